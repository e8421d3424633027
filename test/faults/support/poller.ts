/**
 * A hostile local user for the secrets suites: ./poller.py run as `nobody` (setpriv), reading every
 * file it can under the given directories and /tmp/nfvhost* until stopped, and reporting each
 * readable file that held one of the markers.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const POLLER = readFileSync(new URL("./poller.py", import.meta.url), "utf8");

export interface PollReport {
  uid: number;
  passes: number;
  reads: number;
  /** Readable file -> the first marker found in it. */
  hits: Record<string, string>;
}

/** Starts the poller as nobody; stop() closes its stdin and returns its report. */
export function startPoller(dirs: string[], markers: string[]): { stop: () => Promise<PollReport> } {
  const child = spawn(
    "setpriv",
    ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "/usr/bin/python3", "-c", POLLER, ...dirs],
    { env: { PATH: process.env.PATH, NFVT_MARKERS: markers.join("\n") }, stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const closed = new Promise<void>((r) => child.once("close", () => r()));
  return {
    stop: async () => {
      child.stdin.end();
      await closed;
      if (!out) throw new Error(`poller failed: ${err}`);
      return JSON.parse(out) as PollReport;
    },
  };
}
