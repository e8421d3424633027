/**
 * Child process of the scale benchmark: plans a whole generated fleet and prints wall time, CPU
 * time and peak RSS as JSON. Run apart from the bench so that its peak memory is the planner's, not
 * the bench's. With BUILT (dist/plan/planner.js, what bin/nfvhost.js runs after `npm run build`) it
 * plans with the built planner; without it, with the sources through tsx.
 * Usage: node --import tsx bench/scale-child.ts HOSTS PER_HOST SEED [BUILT]
 */
import { scaleFleet } from "./generate.js";
import type { PlannerLoad } from "./planner.js";
import { loadPlanner } from "./planner.js";

const [hosts, perHost, seed] = process.argv.slice(2, 5).map(Number);
const built = process.argv[5];
async function loadBuilt(file: string): Promise<PlannerLoad> {
  try {
    const mod = (await import(file)) as { planDeployment?: unknown };
    if (typeof mod.planDeployment !== "function")
      return { ok: false, reason: `${file} has no planDeployment` };
    return { ok: true, plan: mod.planDeployment as Extract<PlannerLoad, { ok: true }>["plan"] };
  } catch (e) {
    return { ok: false, reason: `${file} failed to load: ${(e as Error).message.split("\n")[0]}` };
  }
}
const planner = built ? await loadBuilt(built) : await loadPlanner();
if (!planner.ok) {
  process.stdout.write(`${JSON.stringify({ error: planner.reason })}\n`);
} else {
  const fleet = scaleFleet(seed ?? 1, hosts ?? 1000, perHost ?? 10);
  const baseRssKiB = process.resourceUsage().maxRSS;
  let okHosts = 0;
  let planned = 0;
  let peakSampleKiB = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [i, c] of fleet.entries()) {
    const r = planner.plan(c.facts, c.topology);
    if (r.ok) {
      okHosts++;
      planned += r.plan.vnfs.length;
    }
    if (i % 50 === 0) peakSampleKiB = Math.max(peakSampleKiB, process.memoryUsage().rss / 1024);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const vnfs = fleet.reduce((a, c) => a + c.topology.vnfs.length, 0);
  const out = {
    code: built ? "dist (npm run build)" : "src (tsx)",
    hosts: fleet.length,
    vnfs,
    okHosts,
    plannedVnfs: planned,
    wallMs,
    // CPU time of the planning (user + system): what wall time would be on an idle machine.
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    rssBeforePlanningMB: baseRssKiB / 1024,
    heapUsedMB: process.memoryUsage().heapUsed / 1024 / 1024,
    sampledPeakRssMB: peakSampleKiB / 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
