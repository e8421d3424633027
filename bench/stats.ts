/** Small numeric helpers shared by the benchmarks. */
import { run } from "../src/util/exec.js";
import type { RunOptions, RunResult } from "../src/util/exec.js";

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

/** Whole-process wall time of one program run, in milliseconds. */
export async function timeRun(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<{ ms: number; result: RunResult }> {
  const t0 = performance.now();
  const result = await run(command, args, opts);
  return { ms: performance.now() - t0, result };
}

/** The line that says what went wrong: the first "error:" line of nfvhost's output, else the last line. */
export function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter(Boolean);
  return (lines.find((l) => /^error:/.test(l)) ?? lines.slice(-1)[0] ?? "").slice(0, 400);
}
