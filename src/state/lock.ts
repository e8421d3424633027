/**
 * One apply at a time per host: an exclusive lock file in the state directory holding the pid of
 * its owner. A lock whose pid is gone (a killed apply) is stale and taken over, and the caller is
 * told so, because a killed apply may have left work that this run now finishes.
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { NfvError } from "../util/errors.js";

export interface LockInfo {
  pid: number;
  started: string;
  command: string;
}

export interface HeldLock {
  path: string;
  /** The owner of a stale lock this run took over, if any. */
  staleFrom: LockInfo | null;
  release(): Promise<void>;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readLock(path: string): Promise<LockInfo | null> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<LockInfo>;
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

export async function acquireLock(stateDir: string, command: string): Promise<HeldLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  const path = join(stateDir, "apply.lock");
  let staleFrom: LockInfo | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, "wx", 0o644);
      const info: LockInfo = { pid: process.pid, started: new Date().toISOString(), command };
      await fh.writeFile(`${JSON.stringify(info)}\n`);
      await fh.close();
      return {
        path,
        staleFrom,
        release: async () => {
          const now = await readLock(path);
          if (now?.pid === process.pid) await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = await readLock(path);
    // Our own pid counts as alive: a second apply inside one process must wait as well.
    if (holder && (holder.pid === process.pid || processAlive(holder.pid))) {
      throw new NfvError({
        what: `state lock ${path}`,
        value: `held by pid ${holder.pid} (${holder.command}, since ${holder.started})`,
        expected: "no other nfvhost apply running on this host",
        fix: `wait for pid ${holder.pid} to finish; if it is not nfvhost, remove ${path}`,
        exitCode: 1,
      });
    }
    // Dead owner or unreadable file (killed while writing it): stale.
    staleFrom = holder ?? { pid: 0, started: "?", command: "unreadable lock file" };
    await rm(path, { force: true });
  }
  throw new NfvError({
    what: `state lock ${path}`,
    value: "could not be taken",
    fix: `remove ${path}`,
    exitCode: 1,
  });
}
