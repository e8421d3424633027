/**
 * The only I/O of render: write the rendered files under an output directory with their modes,
 * then build the ISO images from the files just written.
 */
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { mapLimit } from "../util/concurrency.js";
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

/** Writes one file: always a new file, created with its final mode. */
async function writeOne(path: string, f: RenderedFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // A secret is never readable by others, not even for a moment through an older, more open file
  // of the same name.
  await rm(path, { force: true });
  await writeFile(path, f.content, { mode: f.mode, flag: "wx" });
  await chmod(path, f.mode);
}

async function writeIso(path: string, f: RenderedFile, outDir: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await buildIso(
    path,
    f.iso!.volumeLabel,
    f.iso!.from.map((rel) => {
      const root = f.iso!.root;
      // Below root a file keeps its sub-path (openstack/latest/user_data); else its base name.
      return root !== undefined && rel.startsWith(`${root}/`)
        ? { source: target(outDir, rel), as: rel.slice(root.length + 1) }
        : target(outDir, rel);
    }),
    f.iso!.dirs ?? [],
  );
  await chmod(path, f.mode);
}

/** Images built at once: xorriso mostly waits, but a host of many VNFs should not start one per VNF. */
const ISO_CONCURRENCY = 4;

/**
 * Builds the images, ISO_CONCURRENCY at a time, none started after one failed; settles only when
 * no xorriso runs any more, with the first failure in file order (never rejects).
 */
async function buildIsos(isos: RenderedFile[], outDir: string): Promise<{ error: unknown } | undefined> {
  let failed = false;
  const results = await mapLimit(isos, ISO_CONCURRENCY, async (f) => {
    if (failed) return undefined;
    try {
      await writeIso(target(outDir, f.path), f, outDir);
      return undefined;
    } catch (error) {
      failed = true;
      return { error };
    }
  });
  return results.find((r) => r !== undefined);
}

/** Writes every file (mode as rendered, also when the file existed) and builds the ISOs; returns the paths written. */
export async function writeArtifacts(files: RenderedFile[], outDir: string): Promise<string[]> {
  // Every path is checked before the first byte is written.
  for (const f of files) {
    target(outDir, f.path);
    for (const from of f.iso?.from ?? []) target(outDir, from);
  }
  const plain = files.filter((x) => !x.iso);
  const isos = files.filter((x) => x.iso);
  // xorriso takes ~100 ms per image, most of it waiting: the files the images are made of are
  // written first, and the images build while the rest is written.
  const inImages = new Set(isos.flatMap((f) => f.iso!.from));
  for (const f of plain.filter((x) => inImages.has(x.path))) await writeOne(target(outDir, f.path), f);
  const building = buildIsos(isos, outDir);
  let failure: { error: unknown } | undefined;
  try {
    for (const f of plain.filter((x) => !inImages.has(x.path))) await writeOne(target(outDir, f.path), f);
  } catch (error) {
    failure = { error };
  }
  // Never leave xorriso writing into a directory the caller may remove; report the first problem
  // in file order (files, then images), as writing them one after another did.
  const isoFailure = await building;
  if (failure) throw failure.error;
  if (isoFailure) throw isoFailure.error;
  return [...plain, ...isos].map((f) => target(outDir, f.path));
}
