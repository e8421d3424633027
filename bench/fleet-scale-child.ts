/**
 * Child process of the fleet scale row: builds a fleet of HOSTS real host shapes and VNFS VNFs,
 * then plans it with planFleet, the call `nfvhost plan FLEET -i INVENTORY` makes once the
 * inventory, snapshots and fleet file are read. Prints CPU time, wall time and peak RSS as JSON.
 * Apart from the bench so that its peak memory is the planning's, not the bench's.
 * Usage: node --import tsx bench/fleet-scale-child.ts HOSTS VNFS SEED
 */
import { fleetCase } from "./fleet.js";
import { planFleet } from "../src/fleet/plan.js";

const [hosts, vnfs, seed] = process.argv.slice(2).map(Number);
const p0 = performance.now();
// The fleet file's parse and validation (parseFleetTopology) is part of building the case.
const big = fleetCase(seed ?? 1, hosts ?? 1000, vnfs ?? 10_000, { rules: false, maxVcpus: 4, maxGiB: 4 });
const parseMs = performance.now() - p0;
const rssBeforeMB = process.resourceUsage().maxRSS / 1024;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const plan = planFleet(big.inputs, big.fleet, "bench");
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const out = {
  hosts: big.inputs.length,
  vnfs: big.fleet.vnfs.length,
  placed: Object.keys(plan.assignment).length,
  hostPlans: plan.hosts.length,
  wallMs,
  // User + system CPU of the planning: what wall time is on an idle machine (it is single-threaded).
  cpuMs: (cpu.user + cpu.system) / 1000,
  peakRssMB: process.resourceUsage().maxRSS / 1024,
  rssBeforePlanningMB: rssBeforeMB,
  buildCaseMs: parseMs,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
