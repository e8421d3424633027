/**
 * The only I/O of render: write the rendered files under an output directory with their modes,
 * then build the ISO images from the files just written.
 */
import { lstat, mkdir, readFile, readdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, normalize, resolve, sep } from "node:path";
import { mapLimit } from "../util/concurrency.js";
import { NfvError } from "../util/errors.js";
import { writeNewFile } from "../util/private-files.js";
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

/** Writes one file: always a new file, created with its final mode (never changed afterwards). */
async function writeOne(path: string, f: RenderedFile): Promise<void> {
  // A secret is never readable by others, not even for a moment through an older, more open file
  // of the same name: that one goes, and the new file is created exclusively with its mode.
  await rm(path, { force: true });
  await writeNewFile(path, f.content, f.mode);
}

/** A file no one but its owner may read (a day-0 config, a keyfile, an ISO). */
const isPrivate = (f: RenderedFile) => (f.mode & 0o077) === 0;

/**
 * Creates every directory the files go to before the first file is written: 0700 for one that
 * holds a private file (day0/<vnf>/, system-connections/), so a secret is never reachable through
 * a directory that was made open for a moment or made private afterwards; 0755 for the others.
 */
async function makeDirs(outDir: string, files: RenderedFile[]): Promise<void> {
  const modes = new Map<string, number>();
  for (const f of files) {
    const rel = dirname(normalize(f.path));
    for (let d = rel; d !== "." && d !== sep && d !== ""; d = dirname(d)) {
      if (!modes.has(d)) modes.set(d, 0o755);
    }
    if (rel !== "." && isPrivate(f)) modes.set(rel, 0o700);
  }
  // Parents first (shorter paths), each with its own mode: never mkdir -p with a child's mode.
  for (const d of [...modes.keys()].sort((a, b) => a.split(sep).length - b.split(sep).length)) {
    try {
      await mkdir(join(outDir, d), { mode: modes.get(d)! });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

async function writeIso(path: string, f: RenderedFile, outDir: string): Promise<void> {
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
export async function writeArtifacts(
  files: RenderedFile[],
  outDir: string,
  opts: {
    /**
     * CPU work of the caller's (formatting what it will print) run while the images build:
     * xorriso spends most of its time waiting (libburn polls its writer every 100 ms).
     */
    whileImagesBuild?: () => void;
  } = {},
): Promise<string[]> {
  // Every path is checked before the first byte is written.
  for (const f of files) {
    target(outDir, f.path);
    for (const from of f.iso?.from ?? []) target(outDir, from);
  }
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  await makeDirs(outDir, files);
  const plain = files.filter((x) => !x.iso);
  const isos = files.filter((x) => x.iso);
  // Each image is its own xorriso process: the files the images are made of are
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
  if (!failure) opts.whileImagesBuild?.();
  // Never leave xorriso writing into a directory the caller may remove; report the first problem
  // in file order (files, then images), as writing them one after another did.
  const isoFailure = await building;
  if (failure) throw failure.error;
  if (isoFailure) throw isoFailure.error;
  return [...plain, ...isos].map((f) => target(outDir, f.path));
}

/** Marks a directory nfvhost rendered into, so a later render may replace it without --force. */
export const MARKER = ".nfvhost-render.json";

/**
 * Directories a render must never replace, --force or not: the system's own, libvirt's, and the
 * user's home. /proc and /sys (and everything under them) are not file systems to write to.
 */
const NEVER = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/media",
  "/mnt",
  "/opt",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/tmp",
  "/usr",
  "/usr/local",
  "/var",
  "/var/lib",
  "/var/lib/libvirt",
  "/var/lib/libvirt/images",
  "/var/lib/libvirt/qemu",
  "/var/log",
  "/var/tmp",
  "/etc/libvirt",
  "/etc/NetworkManager",
];
const NEVER_UNDER = ["/proc", "/sys", "/dev", "/etc", "/boot", "/usr", "/var/lib/libvirt", "/etc/libvirt"];

function refuseOut(out: string, why: string, fix: string): never {
  throw new NfvError({ what: "--out", value: out, expected: why, fix, exitCode: 2 });
}

async function lstatMaybe(path: string) {
  try {
    return await lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ENOTDIR")
      refuseOut(path, "a path whose parents are directories", "a part of it is a file: choose another path");
    throw e;
  }
}

/**
 * Checks --out before anything is rendered: "absent" (created), "replace" (empty, or an earlier
 * render's output holding only what its marker lists), or an error naming why not. --force
 * replaces a non-empty directory, but never a system directory or the home directory.
 */
export async function checkOutDir(outArg: string, force: boolean): Promise<"absent" | "replace"> {
  const out = resolve(outArg);
  const home = homedir();
  if (NEVER.includes(out) || out === home || NEVER_UNDER.some((d) => out.startsWith(`${d}/`))) {
    refuseOut(
      out,
      "a directory of its own for the rendered files (not a system directory, libvirt's, /proc, /sys or your home)",
      `choose a new directory, e.g. --out ${join(out === "/" ? "/srv" : out === home ? home : "/srv", "nfvhost-out")}`,
    );
  }
  // Every parent must be a directory (a file as parent is refused here, not by a failed mkdir).
  for (let p = dirname(out); ; p = dirname(p)) {
    const st = await lstatMaybe(p);
    if (st && !st.isDirectory() && !st.isSymbolicLink()) {
      refuseOut(out, "a path whose parents are directories", `${p} is a file: choose another path`);
    }
    if (p === dirname(p)) break;
  }
  const st = await lstatMaybe(out);
  if (!st) return "absent";
  if (!st.isDirectory()) {
    refuseOut(
      out,
      "a directory (or a path that does not exist yet)",
      "choose a new directory for the output",
    );
  }
  const entries = await readdir(out);
  if (entries.length === 0 || force) return "replace";
  if (entries.includes(MARKER)) {
    // The marker only vouches for what it lists: anything else in the directory is someone's.
    let listed: string[] = [];
    try {
      const m = JSON.parse(await readFile(join(out, MARKER), "utf8")) as { files?: unknown };
      if (Array.isArray(m.files)) listed = m.files.filter((f): f is string => typeof f === "string");
    } catch {
      listed = [];
    }
    const tops = new Set(listed.map((f) => normalize(f).split(sep)[0]!));
    const foreign = entries.filter((e) => e !== MARKER && !tops.has(e));
    if (listed.length > 0 && foreign.length === 0) return "replace";
    refuseOut(
      out,
      "only what an earlier nfvhost render wrote there (the files its .nfvhost-render.json lists)",
      `it also holds ${foreign.length > 0 ? foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? ` and ${foreign.length - 5} more` : "") : "files no render listed"}: move them away, choose another directory, or pass --force to replace ${out} and everything in it`,
    );
  }
  refuseOut(
    out,
    "an empty directory, or one an earlier nfvhost render wrote",
    `choose another directory, or pass --force to replace ${out} and everything in it`,
  );
}
