/**
 * The host-side state apply converges besides libvirt: sysfs knobs (hugepage pools, sriov_numvfs)
 * and files (NetworkManager keyfiles, day-0 ISOs). Every path is joined under `root`, so the same
 * code runs against a snapshot root in tests and against / on a host.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
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

export async function readSysfs(root: string, hostPath: string): Promise<string | null> {
  try {
    return (await readFile(underRoot(root, hostPath), "utf8")).trim();
  } catch {
    return null;
  }
}

/** Writes a sysfs value; the kernel may accept less than asked (hugepages), so read it back. */
export async function writeSysfs(root: string, hostPath: string, value: string): Promise<string | null> {
  const p = underRoot(root, hostPath);
  try {
    await writeFile(p, `${value}\n`);
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
    await writeNewFile(tmp, content, mode);
    // The umask may have taken bits the file should have (0644): only ever widened to `mode`.
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
