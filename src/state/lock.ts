/**
 * One apply (destroy, rollback) at a time per host. The lock is flock(2) on a fixed file per
 * host, /run/lock/nfvhost/<host>.lock, so it does not depend on --state: two applies with
 * different state directories still exclude each other. flock is atomic and belongs to the open
 * file description, so the kernel drops it when its holder dies: a killed apply leaves no lock
 * to take over, and no starter can ever delete a live owner's lock (the file is never removed).
 *
 * Node has no flock(2); util-linux `flock N` locks the descriptor it inherits as fd N and exits.
 * The lock stays with the description this process keeps open, and is released when it closes.
 *
 * The file holds the owner's pid, start time and command while it is held (for the refusal
 * message) and is emptied on release; content found on acquisition means the previous owner died
 * while holding it, which the caller is told, because that run may have left work half done.
 */
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { NfvError } from "../util/errors.js";
import { run } from "../util/exec.js";
import { processAlive } from "../util/private-files.js";

export { processAlive };

/** Where host locks live: tmpfs, cleared at boot, the FHS place for lock files. */
export const LOCK_DIR = "/run/lock/nfvhost";

export interface LockInfo {
  pid: number;
  started: string;
  command: string;
}

export interface HeldLock {
  path: string;
  /** The owner that died holding this lock before this run took it, if any. */
  staleFrom: LockInfo | null;
  release(): Promise<void>;
}

/**
 * The lock file of one managed host, named by its libvirt connection: libvirt is where two runs
 * would destroy each other's work, and the state directory is the user's choice, not the host's.
 * A test:/// driver lives inside one process, so each process is its own host there. Hashed: a URI
 * may hold characters no file name should.
 */
export function hostLockPath(connect: string, dir = LOCK_DIR): string {
  const key = connect.trim().startsWith("test:") ? `${connect.trim()}\n${process.pid}` : connect.trim();
  const host = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return join(dir, `${host}.lock`);
}

function parseInfo(text: string): LockInfo | null {
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid !== "number") return null;
    return {
      pid: parsed.pid,
      started: String(parsed.started ?? "?"),
      command: String(parsed.command ?? "?"),
    };
  } catch {
    return null;
  }
}

/** What a lock file says about its holder (null: empty or being written). */
export async function readLockInfo(path: string): Promise<LockInfo | null> {
  try {
    return parseInfo(await readFile(path, "utf8"));
  } catch {
    return null;
  }
}

/** Exit code util-linux flock gives when the lock is held elsewhere (-E). */
const HELD = 75;

async function tryFlock(fh: FileHandle, path: string): Promise<boolean> {
  const r = await run("flock", ["--exclusive", "--nonblock", "--conflict-exit-code", String(HELD), "3"], {
    fds: [fh.fd],
  });
  if (r.code === 0) return true;
  if (r.code === HELD) return false;
  throw new NfvError({
    what: `lock ${path}`,
    value: r.stderr.trim() || `flock exit ${r.code}`,
    expected: "util-linux flock to lock it",
    fix: "install util-linux (it provides flock)",
    exitCode: 1,
  });
}

/**
 * Takes the lock at `path` or refuses, naming its holder. `waitMs` > 0 waits that long for the
 * holder to finish (polling; flock has no timeout of its own in non-blocking mode).
 */
export async function acquireLockFile(path: string, command: string, waitMs = 0): Promise<HeldLock> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new NfvError({
      what: `lock directory ${dir}`,
      value: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
      expected: "a directory nfvhost can create files in",
      fix: "run as root (the host lock lives in /run/lock)",
      exitCode: 1,
    });
  }
  // O_NOFOLLOW: a symlink planted at the lock path must not make us write through it.
  const fh = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  const deadline = Date.now() + waitMs;
  try {
    for (;;) {
      if (await tryFlock(fh, path)) break;
      if (Date.now() >= deadline) {
        const recorded = await readLockInfo(path);
        // A record naming a process that is gone was left by a killed holder: the live holder has
        // not written its name over it yet.
        const holder = recorded && processAlive(recorded.pid) ? recorded : null;
        throw new NfvError({
          what: `host lock ${path}`,
          value: holder
            ? `held by pid ${holder.pid} (${holder.command}, since ${holder.started})`
            : "held by a process that has not written its name yet",
          expected: "no other nfvhost apply, destroy or rollback running on this host",
          fix: holder
            ? `wait for pid ${holder.pid} to finish (the lock is released when it exits, also when it is killed)`
            : "wait a moment and try again",
          exitCode: 1,
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await fh.close();
    throw e;
  }
  const before = (await fh.readFile("utf8")).trim();
  const staleFrom = before
    ? (parseInfo(before) ?? { pid: 0, started: "?", command: "unreadable lock file" })
    : null;
  const info: LockInfo = { pid: process.pid, started: new Date().toISOString(), command };
  const text = Buffer.from(`${JSON.stringify(info)}\n`);
  await fh.truncate(0);
  await fh.write(text, 0, text.length, 0);
  let released = false;
  return {
    path,
    staleFrom,
    release: async () => {
      if (released) return;
      released = true;
      // Emptied first: a file with content is how the next owner learns that this one died.
      await fh.truncate(0).catch(() => undefined);
      await fh.close();
    },
  };
}

/** The host lock for a libvirt connection. */
export function acquireHostLock(
  connect: string,
  command: string,
  opts: { waitMs?: number; dir?: string } = {},
): Promise<HeldLock> {
  return acquireLockFile(hostLockPath(connect, opts.dir), command, opts.waitMs ?? 0);
}
