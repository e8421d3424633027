/**
 * Scale: plan HOSTS hosts x PER_HOST VNFs with nfvhost's planner (the build the CLI runs, when
 * `npm run build` succeeded); wall time, CPU time and peak RSS of the planning process (goals:
 * under 2 s and under 500 MB on a 2-core machine; reported, not asserted).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../src/util/exec.js";
import type { Unavailable } from "./placement.js";
import { unavailable } from "./placement.js";

export interface ScaleResult {
  /** Which planner ran: the build bin/nfvhost.js runs, or the sources through tsx. */
  code: string;
  hosts: number;
  vnfs: number;
  okHosts: number;
  plannedVnfs: number;
  wallMs: number;
  /** CPU time (user + system) of the planning; below wallMs when the machine is busy. */
  cpuMs: number;
  peakRssMB: number;
  rssBeforePlanningMB: number;
}

export interface ScaleSection {
  goal: { wallMs: number; peakRssMB: number };
  nfvhost: ScaleResult | Unavailable;
}

const CHILD = fileURLToPath(new URL("./scale-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

export async function scaleBench(opts: {
  hosts: number;
  perHost: number;
  seed: number;
  /** Plan with the built planner (after a successful `npm run build`), as the CLI does. */
  built: boolean;
}): Promise<ScaleSection> {
  const goal = { wallMs: 2000, peakRssMB: 500 };
  const builtPlanner = join(ROOT, "dist", "plan", "planner.js");
  const r = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      CHILD,
      String(opts.hosts),
      String(opts.perHost),
      String(opts.seed),
      ...(opts.built && existsSync(builtPlanner) ? [builtPlanner] : []),
    ],
    { cwd: ROOT, timeoutMs: 600_000 },
  );
  const line = r.stdout.trim().split("\n").pop() ?? "";
  let parsed: (ScaleResult & { error?: string }) | null = null;
  try {
    parsed = JSON.parse(line) as ScaleResult & { error?: string };
  } catch {
    parsed = null;
  }
  if (!parsed) {
    const why = r.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${r.code}`;
    return { goal, nfvhost: unavailable(`scale child failed: ${why}`) };
  }
  if (parsed.error) return { goal, nfvhost: unavailable(parsed.error) };
  return { goal, nfvhost: parsed };
}
