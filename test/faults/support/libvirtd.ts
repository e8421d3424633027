/**
 * Stops and starts the host's real libvirtd for the fault suites. Only these suites may do it,
 * and only from the serial `vitest run -c vitest.faults.config.ts` (every other suite talks to
 * the same daemon). The daemon is started again with scripts/start-test-daemons.sh, as CI does.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { processAlive } from "../../../src/state/lock.js";
import { run, runChecked } from "../../../src/util/exec.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PID_FILE = "/run/libvirtd.pid";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function isLibvirtd(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/comm`, "utf8")).trim() === "libvirtd";
  } catch {
    return false;
  }
}

/** The running libvirtd's pid: its pid file, else `pgrep -x libvirtd`; null when none runs. */
export async function libvirtdPid(): Promise<number | null> {
  try {
    const pid = Number((await readFile(PID_FILE, "utf8")).trim());
    if (Number.isInteger(pid) && pid > 1 && (await isLibvirtd(pid))) return pid;
  } catch {
    /* no pid file: fall back to the process table */
  }
  const r = await run("pgrep", ["-x", "libvirtd"]);
  const pid = Number(r.stdout.trim().split("\n")[0]);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/**
 * Stops libvirtd by its pid and waits until the process is gone. SIGTERM is a clean stop (libvirtd
 * removes its socket); SIGKILL is a crash (the socket file stays, clients get "Connection
 * refused"). A SIGTERM not obeyed within 30 s becomes a SIGKILL. Returns the pid.
 */
export async function stopLibvirtd(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number> {
  const pid = await libvirtdPid();
  if (pid === null) throw new Error("no libvirtd is running: run scripts/start-test-daemons.sh first");
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (processAlive(pid) && (await isLibvirtd(pid))) {
    if (Date.now() > deadline) process.kill(pid, "SIGKILL");
    await sleep(100);
  }
  return pid;
}

/** Starts libvirtd (and virtlogd) the way CI does; resolves once `virsh version` answers. */
export async function startLibvirtd(): Promise<void> {
  await runChecked("bash", [join(REPO, "scripts", "start-test-daemons.sh")], { timeoutMs: 60_000 });
}

/** Runs fn while libvirtd is stopped; libvirtd is started again whatever fn does. */
export async function whileLibvirtdStopped<T>(
  fn: (stoppedPid: number) => Promise<T>,
  signal: "SIGTERM" | "SIGKILL" = "SIGTERM",
): Promise<T> {
  let pid: number;
  try {
    pid = await stopLibvirtd(signal);
  } catch (e) {
    await startLibvirtd();
    throw e;
  }
  try {
    return await fn(pid);
  } finally {
    await startLibvirtd();
  }
}
