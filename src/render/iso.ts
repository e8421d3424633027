/**
 * Builds a day-0 ISO9660 image with the standard tool, as Cisco's guides do with mkisofs:
 * `xorriso -as mkisofs -l -V LABEL -o IMAGE FILE...` (-l: long ISO9660 names; xorriso adds Rock
 * Ridge, so names keep their case). The image holds secrets: mode 0600. And a reader for tests and
 * verify: the file list and the content of a file inside an image.
 */
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { NfvError } from "../util/errors.js";
import { runChecked } from "../util/exec.js";
import { makePrivateWorkDir, writeNewFile } from "../util/private-files.js";
import { MODE_SECRET } from "./types.js";

// ISO9660 allows A-Z 0-9 _ only; '-' is what OpenStack config drives use (config-2), and Linux,
// cloud-init and the vendors' readers take it.
const LABEL_RE = /^[A-Za-z0-9_-]{1,32}$/;
const IN_IMAGE_RE = /^(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+$/;

/** A file of the image: a local source and its path inside the image (no leading '/'). */
export interface IsoEntry {
  source: string;
  as: string;
}

/**
 * Builds the image from files (a plain path goes to the root under its base name; an IsoEntry to
 * its own path, so config drives get openstack/latest/user_data) and empty directories (`dirs`,
 * e.g. a VM-Series bootstrap's content/ and software/).
 */
export async function buildIso(
  image: string,
  volumeLabel: string,
  files: (string | IsoEntry)[],
  dirs: string[] = [],
): Promise<void> {
  if (!LABEL_RE.test(volumeLabel)) {
    throw new NfvError({
      what: "ISO volume label",
      value: volumeLabel,
      expected: "1-32 letters, digits, '_' or '-'",
    });
  }
  const entries = files.map((f) => (typeof f === "string" ? { source: f, as: basename(f) } : f));
  const names = [...entries.map((e) => e.as), ...dirs];
  for (const n of names) {
    if (!IN_IMAGE_RE.test(n.replace(/\/$/, "")) || n.split("/").some((c) => c === "." || c === "..")) {
      throw new NfvError({
        what: `path inside ${image}`,
        value: n,
        expected: "a relative path of letters, digits, '.', '_' and '-' without '.' or '..' components",
      });
    }
  }
  if (new Set(names).size !== names.length) {
    throw new NfvError({
      what: `files of ${image}`,
      value: names,
      expected: "distinct paths inside the image",
    });
  }
  // Built inside a private work directory next to the image into a file created 0600 (xorriso
  // keeps the mode of a file it writes into), then renamed into place: the image is never
  // readable by another user, not even while xorriso writes it or after a kill.
  const work = await makePrivateWorkDir(dirname(image), "iso");
  try {
    const tmp = join(work, basename(image));
    await writeNewFile(tmp, "", MODE_SECRET);
    const empty = join(work, "empty-dir");
    if (dirs.length > 0) await mkdir(empty, { mode: 0o700 });
    // -quiet: without it xorriso's progress reporting paces the run (~100 ms per image, idle);
    // the image is byte for byte the same and failures still reach stderr with a non-zero exit.
    await runChecked("xorriso", [
      "-as",
      "mkisofs",
      "-quiet",
      "-l",
      "-V",
      volumeLabel,
      "-o",
      tmp,
      "-graft-points",
      ...entries.map((e) => `/${e.as}=${e.source}`),
      ...dirs.map((d) => `/${d.replace(/\/$/, "")}/=${empty}`),
    ]);
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
  // The extracted file may be a day-0 config: a private work dir of this process, which a later
  // run removes if this one is killed before its finally.
  const dir = await makePrivateWorkDir(tmpdir(), "isoread");
  try {
    const out = join(dir, "file");
    await runChecked("xorriso", ["-osirrox", "on", "-indev", image, "-extract", path, out]);
    return await readFile(out, "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
