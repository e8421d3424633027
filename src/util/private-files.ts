/**
 * Files that hold secrets (day-0 configs, ISOs, staging copies) are private from their first byte:
 * created with O_EXCL and their final mode inside a 0700 work directory that only root can enter,
 * never made private afterwards with chmod. A run that is killed leaves its work directory
 * behind; it is named after its owner's pid, so the next run in the same place removes it.
 */
import { constants, readFileSync } from "node:fs";
import { lstat, mkdir, mkdtemp, open, readdir, rm } from "node:fs/promises";
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

/**
 * When a process started (ms since the epoch), from /proc/<pid>/stat's starttime (clock ticks
 * since boot) and /proc/uptime; null when it cannot be read. USER_HZ is 100 on every Linux
 * architecture Node runs on (the ABI fixes it, whatever the kernel's own HZ).
 */
export function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]);
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    if (!Number.isFinite(startTicks) || !Number.isFinite(uptime)) return null;
    return Date.now() - (uptime - startTicks / 100) * 1000;
  } catch {
    return null;
  }
}

/**
 * A work dir's owner is gone when no process has its pid, or when the process with that pid
 * started after the directory was last written: the pid was reused after a kill (its owner
 * created the directory and wrote into it after it started). The start time is estimated from
 * the uptime clock, the mtime is wall-clock time: a minute of margin covers the 10 ms tick and a
 * wall clock stepped forward (NTP) while a live owner works; a reused pid is far older than that.
 */
const REUSE_MARGIN_MS = 60_000;

function ownerGone(pid: number, dirMtimeMs: number): boolean {
  if (!processAlive(pid)) return true;
  const started = processStartMs(pid);
  return started !== null && started > dirMtimeMs + REUSE_MARGIN_MS;
}

/**
 * Removes work directories (any tag) in parent that this user owns and whose owner process is
 * gone (dead, or its pid reused since); returns their names. Another user's directory, a link or
 * a file of such a name is left alone: only what a run of ours made is ours to remove.
 */
export async function removeStaleWorkDirs(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const uid = process.getuid?.() ?? -1;
  const stale: string[] = [];
  for (const n of names) {
    const m = WORK_RE.exec(n);
    const pid = m === null ? NaN : Number(m[2]);
    if (!Number.isSafeInteger(pid) || pid === process.pid) continue;
    const st = await lstat(join(parent, n)).catch(() => null);
    if (st === null || !st.isDirectory() || st.uid !== uid) continue;
    if (ownerGone(pid, st.mtimeMs)) stale.push(n);
  }
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
    // The umask may have taken bits the file should have (a 0755 script): set on the descriptor
    // while the file is still empty, so the mode is exact before the first byte, never changed after.
    await fh.chmod(mode);
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}
