/**
 * Files that hold secrets (day-0 configs, ISOs, staging copies) are private from their first byte:
 * created with O_EXCL and their final mode inside a 0700 work directory that only root can enter,
 * never made private afterwards with chmod. A run that is killed leaves its work directory
 * behind; it is named after its owner's pid, so the next run in the same place removes it.
 */
import { constants } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

const WORK_RE = /^\.nfvhost-([a-z0-9]+)-(\d+)-/;

/** Removes work directories (any tag) in parent whose owner process is gone; returns their names. */
export async function removeStaleWorkDirs(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const m = WORK_RE.exec(n);
    return m !== null && Number(m[2]) !== process.pid && !processAlive(Number(m[2]));
  });
  await Promise.all(stale.map((n) => rm(join(parent, n), { recursive: true, force: true })));
  return stale;
}

/**
 * A new 0700 directory `.nfvhost-<tag>-<pid>-XXXXXX` in parent (mkdtemp creates it 0700, whatever
 * the umask), after removing the ones killed runs left there.
 */
export async function makePrivateWorkDir(parent: string, tag: string): Promise<string> {
  await mkdir(parent, { recursive: true, mode: 0o755 });
  await removeStaleWorkDirs(parent);
  return mkdtemp(join(parent, `.nfvhost-${tag}-${process.pid}-`));
}

/**
 * Creates a file that must not exist yet with `mode` (0600 for secrets) from the first byte:
 * O_EXCL refuses an older, more open file of the same name, O_NOFOLLOW a planted symlink.
 */
export async function writeNewFile(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
  const fh = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}
