/**
 * The host-side state apply converges besides libvirt: sysfs knobs (hugepage pools, sriov_numvfs)
 * and files (NetworkManager keyfiles, day-0 ISOs). Every path is joined under `root`, so the same
 * code runs against a snapshot root in tests and against / on a host.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, readFile, readdir, readlink, rename, rm } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, posix, relative, resolve } from "node:path";
import { NfvError } from "../util/errors.js";
import { processAlive, writeNewFile } from "../util/private-files.js";

/** ROOT + an absolute host path, refusing anything that escapes ROOT. */
export function underRoot(root: string, hostPath: string): string {
  if (!isAbsolute(hostPath)) {
    throw new NfvError({ what: "host path", value: hostPath, expected: "an absolute path" });
  }
  const full = resolve(root, `.${hostPath}`);
  const rel = relative(resolve(root), full);
  if (rel.startsWith("..")) {
    throw new NfvError({ what: "host path", value: hostPath, expected: `a path inside ${root}` });
  }
  return full;
}

/**
 * ROOT + an absolute host path with every symbolic link on the way resolved inside ROOT, the way
 * the kernel would resolve it if ROOT were `/`. A snapshot root is a tree of files someone else
 * made: a link in it that leaves it (an absolute target, or `..` above ROOT) would make apply
 * write, and discovery read, a file of the machine running nfvhost. Such a link is refused
 * (NFV-ROOT-SYMLINK), never followed. For the live host (ROOT `/`) every link is the host's own.
 * Components that do not exist yet are taken as plain names (they are created as directories).
 */
export async function resolveInRoot(root: string, hostPath: string): Promise<string> {
  const base = resolve(root);
  const lexical = underRoot(base, hostPath);
  if (base === "/") return lexical;
  const refuse = (at: string, got: string, why: string): never => {
    throw new NfvError({
      what: `--root ${root}: ${hostPath}`,
      value: `${at} -> ${got}`,
      expected: `links inside the snapshot root that stay inside it (${why})`,
      fix: `replace ${join(base, at)} with the file or directory it stands for, or take the snapshot again (nfvhost snapshot --out DIR); nothing was written`,
      code: "NFV-ROOT-SYMLINK",
      exitCode: 1,
    });
  };
  // Not normalized first: `..` after a link goes up from where the link points, as in the kernel.
  const todo = hostPath.split("/").filter(Boolean);
  const done: string[] = [];
  let missing = false;
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === ".") continue;
    if (name === "..") {
      if (done.length === 0) refuse(`/${done.join("/")}`, "..", "this path climbs above the root");
      done.pop();
      continue;
    }
    const rel = [...done, name];
    if (missing) {
      done.push(name);
      continue;
    }
    const st = await lstat(join(base, ...rel)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ENOTDIR") return null;
      throw e;
    });
    if (st === null || !st.isSymbolicLink()) {
      missing = st === null;
      done.push(name);
      continue;
    }
    const target = await readlink(join(base, ...rel));
    if (++links > 40) refuse(`/${rel.join("/")}`, target, "more than 40 links in a row: a loop");
    if (isAbsolute(target)) refuse(`/${rel.join("/")}`, target, "an absolute target leaves the root");
    if (posix.normalize(posix.join(...done, target)).startsWith(".."))
      refuse(`/${rel.join("/")}`, target, "the target climbs above the root");
    todo.unshift(...target.split("/").filter(Boolean));
  }
  const full = join(base, ...done);
  // Belt and braces: whatever the walk did, the answer is inside ROOT.
  if (relative(base, full).startsWith("..")) refuse(hostPath, full, "the resolved path leaves the root");
  return full;
}

export async function readSysfs(root: string, hostPath: string): Promise<string | null> {
  const p = await resolveInRoot(root, hostPath);
  try {
    return (await readFile(p, "utf8")).trim();
  } catch {
    return null;
  }
}

/** Writes a sysfs value; the kernel may accept less than asked (hugepages), so read it back. */
export async function writeSysfs(root: string, hostPath: string, value: string): Promise<string | null> {
  const p = await resolveInRoot(root, hostPath);
  try {
    // O_NOFOLLOW: a link put in the resolved place since is not followed out of the root.
    const fh = await open(
      p,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      await fh.writeFile(`${value}\n`);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new NfvError({
      what: `write ${hostPath}`,
      value: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
      expected: `the kernel to accept ${value}`,
      fix: "run as root on the host; for VFs check that the PF driver supports SR-IOV and IOMMU is on",
      exitCode: 1,
    });
  }
  return readSysfs(root, hostPath);
}

export async function readMaybe(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    return null;
  }
}

/**
 * Replaces a file atomically. The temporary file is new (O_EXCL, a name of this process) and
 * created with the final mode, so a secret is never more open than it will be, not even through a
 * temporary file a killed run left (those are removed here, by their dead pid).
 */
export async function writeFileAtomic(path: string, content: Buffer | string, mode: number): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const prefix = `${basename(path)}.nfvhost-tmp-`;
  for (const n of await readdir(dir)) {
    const pid = n.startsWith(prefix) ? Number(n.slice(prefix.length).split("-")[0]) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid))
      await rm(join(dir, n), { force: true });
  }
  const tmp = join(dir, `${prefix}${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    // Exactly `mode` from the first byte, whatever the umask (writeNewFile).
    await writeNewFile(tmp, content, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
