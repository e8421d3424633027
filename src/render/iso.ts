/**
 * Builds a day-0 ISO9660 image with the standard tool, as Cisco's guides do with mkisofs:
 * `xorriso -as mkisofs -l -V LABEL -o IMAGE FILE...` (-l: long ISO9660 names; xorriso adds Rock
 * Ridge, so names keep their case). The image holds secrets: mode 0600. And a reader for tests and
 * verify: the file list and the content of a file inside an image.
 */
import { mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { NfvError } from "../util/errors.js";
import { runChecked } from "../util/exec.js";
import { makePrivateWorkDir, writeNewFile } from "../util/private-files.js";
import { MODE_SECRET } from "./types.js";

const LABEL_RE = /^[A-Za-z0-9_]{1,32}$/;

export async function buildIso(image: string, volumeLabel: string, files: string[]): Promise<void> {
  if (!LABEL_RE.test(volumeLabel)) {
    throw new NfvError({
      what: "ISO volume label",
      value: volumeLabel,
      expected: "1-32 letters, digits or '_'",
    });
  }
  const names = files.map((f) => basename(f));
  if (new Set(names).size !== names.length) {
    throw new NfvError({
      what: `files of ${image}`,
      value: names,
      expected: "distinct file names (they share the image's root)",
    });
  }
  // Built inside a private work directory next to the image into a file created 0600 (xorriso
  // keeps the mode of a file it writes into), then renamed into place: the image is never
  // readable by another user, not even while xorriso writes it or after a kill.
  const work = await makePrivateWorkDir(dirname(image), "iso");
  try {
    const tmp = join(work, basename(image));
    await writeNewFile(tmp, "", MODE_SECRET);
    await runChecked("xorriso", ["-as", "mkisofs", "-l", "-V", volumeLabel, "-o", tmp, ...files]);
    await rename(tmp, image);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Paths of the files in an image, e.g. ["/ciscosdwan_cloud_init.cfg"]. */
export async function listIso(image: string): Promise<string[]> {
  const r = await runChecked("xorriso", ["-indev", image, "-find", "/", "-type", "f"]);
  return r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("'"))
    .map((l) => l.slice(1, -1));
}

export async function isoVolumeLabel(image: string): Promise<string> {
  const r = await runChecked("xorriso", ["-indev", image, "-pvd_info"]);
  const m = /^Volume Id\s*:\s*(.*)$/m.exec(r.stdout);
  return m?.[1]?.trim() ?? "";
}

/** The content of one file of an image. */
export async function readIsoFile(image: string, path: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "nfvhost-iso-"));
  try {
    const out = join(dir, "file");
    await runChecked("xorriso", ["-osirrox", "on", "-indev", image, "-extract", path, out]);
    return await readFile(out, "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
