/**
 * vitest globalSetup of both runs of `npm test` (vitest.config.ts, then vitest.faults.config.ts):
 * the first one records the machine's libvirtd (pid and start time) under the shell that runs
 * `npm test`, so the fault suite's last test can prove the daemon outlived the WHOLE suite
 * unsignalled, not only the fault files (issue 12). Read only: nothing here signals anything.
 */
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { systemLibvirtd } from "../faults/support/libvirtd.js";

/** The process that runs both vitest runs: npm's `sh -c "... && vitest run && vitest run -c ..."`. */
async function runnerKey(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // pid plus its start time: a recycled pid is another key.
  return `${pid}-${fields[19]}`;
}

/** Where the record of this `npm test` (or of this lone vitest run) lives. */
export async function machineRecordPath(vitestMainPid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${vitestMainPid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  const key = await runnerKey(parent);
  return key === null ? null : `/tmp/nfvt-machine-libvirtd-${key}.json`;
}

/** Whether the process running this vitest also runs the fault suite after it (`npm test`'s sh -c). */
async function faultRunFollows(vitestMainPid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${vitestMainPid}/stat`, "utf8").catch(() => null);
  if (stat === null) return false;
  const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  const cmdline = await readFile(`/proc/${parent}/cmdline`, "utf8").catch(() => "");
  return cmdline.includes("vitest.faults.config");
}

export default async function setup(): Promise<() => Promise<void>> {
  // Records of runs that ended before their fault suite (a failing main run) are removed here.
  for (const n of await readdir("/tmp")) {
    const m = /^nfvt-machine-libvirtd-(\d+)-(\d+)\.json$/.exec(n);
    if (m && (await runnerKey(Number(m[1]))) !== `${m[1]}-${m[2]}`) await rm(`/tmp/${n}`, { force: true });
  }
  const path = await machineRecordPath(process.pid);
  // The record is kept only for a fault run that follows in the same shell; otherwise it goes.
  const teardown = async () => {
    const faultRun = process.argv.some((x) => x.includes("vitest.faults.config"));
    if (path !== null && (faultRun || !(await faultRunFollows(process.pid)))) await rm(path, { force: true });
  };
  if (path === null) return teardown;
  const found = await systemLibvirtd();
  // The first run of the pair writes it; the second keeps the first one's picture.
  await writeFile(path, `${JSON.stringify(found)}\n`, { flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
  return teardown;
}
