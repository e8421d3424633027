/**
 * The only I/O of render: write the rendered files under an output directory with their modes,
 * then build the ISO images from the files just written.
 */
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { NfvError } from "../util/errors.js";
import { buildIso } from "./iso.js";
import type { RenderedFile } from "./types.js";

function target(outDir: string, rel: string): string {
  const clean = normalize(rel);
  if (isAbsolute(rel) || clean.startsWith(`..${sep}`) || clean === ".." || rel.includes("\0")) {
    throw new NfvError({
      what: "rendered file path",
      value: rel,
      expected: "a path inside the output directory",
    });
  }
  return join(outDir, clean);
}

/** Writes every file (mode as rendered, also when the file existed) and builds the ISOs; returns the paths written. */
export async function writeArtifacts(files: RenderedFile[], outDir: string): Promise<string[]> {
  // Every path is checked before the first byte is written.
  for (const f of files) {
    target(outDir, f.path);
    for (const from of f.iso?.from ?? []) target(outDir, from);
  }
  const written: string[] = [];
  for (const f of files.filter((x) => !x.iso)) {
    const path = target(outDir, f.path);
    await mkdir(dirname(path), { recursive: true });
    // Always a new file, created with its final mode: a secret is never readable by others, not
    // even for a moment through an older, more open file of the same name.
    await rm(path, { force: true });
    await writeFile(path, f.content, { mode: f.mode, flag: "wx" });
    await chmod(path, f.mode);
    written.push(path);
  }
  for (const f of files.filter((x) => x.iso)) {
    const path = target(outDir, f.path);
    await mkdir(dirname(path), { recursive: true });
    await buildIso(
      path,
      f.iso!.volumeLabel,
      f.iso!.from.map((rel) => target(outDir, rel)),
    );
    await chmod(path, f.mode);
    written.push(path);
  }
  return written;
}
