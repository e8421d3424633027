/**
 * Placement quality: VNFs nfvhost places versus the exact optimum (MILP over every planner rule,
 * ./milp-full.ts) and versus OpenStack Nova's NUMA fitting (./nova_driver.py) on the hard cases
 * (./generate.ts hardCases).
 *
 * "nfvhost placed" is what `nfvhost plan` places: one call of planDeployment (the library call the
 * CLI makes) on the whole topology. When not every VNF fits it names the most that fit together
 * (its placement summary); the bench re-plans exactly that set, which must plan, and checks it.
 * Arrival mode: VNFs arrive one at a time in file order, each planned next to the earlier ones
 * running (never moved). Nova runs in both emulator modes (share, its default; isolate) and both
 * orders (arrival = file order; smallest first).
 */
import { fileURLToPath } from "node:url";
import { run } from "../src/util/exec.js";
import type { DeployedVnf, Plan } from "../src/plan/types.js";
import type { Topology } from "../src/topology/types.js";
import type { BenchCase } from "./generate.js";
import { hardCases } from "./generate.js";
import type { PlacementModel } from "./model.js";
import type { FullModel } from "./milp-full.js";
import { buildFullModel, solveFull } from "./milp-full.js";
import { checkPlanInvariants } from "../src/plan/invariants.js";
import { novaPeer } from "./peers.js";
import type { PlanFn } from "./planner.js";
import { loadPlanner } from "./planner.js";
import { deployedFromPlan } from "../src/plan/deployed.js";
import { DEFAULT_TIME_LIMIT_S } from "../src/plan/solve/index.js";

export type Unavailable = `unavailable: ${string}`;
export const unavailable = (reason: string): Unavailable => `unavailable: ${reason}`;

/**
 * VNF indices in the order the "as many as possible" search adds them: smallest dominant share
 * first, the share of a resource being what the VNF takes of all the host can give it (cores and
 * pages of the nodes it may use, VFs of its PFs), as in the classic greedy for multi-dimensional
 * knapsacks. Ties: smaller total share, then file order.
 */
export function greedyOrder(model: PlacementModel): number[] {
  const share = model.vnfs.map((v) => {
    const nodes = model.nodes.filter((n) => v.nodes.includes(n.id));
    const cores = nodes.reduce((a, n) => a + n.usableCores, 0);
    const pages = nodes.reduce((a, n) => a + n.pages, 0);
    const parts = [cores ? v.vcpus / cores : Infinity, pages ? v.pages / pages : Infinity];
    for (const [pf, k] of Object.entries(v.vfs)) {
      const cap = model.pfs.find((p) => p.name === pf)?.vfs ?? 0;
      parts.push(cap ? k / cap : Infinity);
    }
    return { max: Math.max(...parts), sum: parts.reduce((a, b) => a + b, 0) };
  });
  return model.vnfs
    .map((_, i) => i)
    .sort((a, b) => share[a]!.max - share[b]!.max || share[a]!.sum - share[b]!.sum || a - b);
}

/** Rule violations of a plan against the bench model: a plan that breaks them would beat the optimum. */
export function checkPlan(model: PlacementModel, plan: Plan): string[] {
  const out: string[] = [];
  const coreOf = new Map<number, { node: number; core: number; housekeeping: boolean }>();
  for (const n of model.nodes) {
    n.cores.forEach((c, ci) => {
      for (const t of c.threads) coreOf.set(t, { node: n.id, core: ci, housekeeping: c.housekeeping });
    });
  }
  // Pass 1: vCPU cores are exclusive under isolate (the whole core belongs to the VNF).
  const coreOwner = new Map<string, string>();
  const pagesUsed = new Map<number, number>();
  const vfsUsed = new Map<string, number>();
  const vfPcis = new Set<string>();
  for (const v of plan.vnfs) {
    const m = model.vnfs.find((x) => x.name === v.name);
    if (!m) {
      out.push(`${v.name}: not in the topology`);
      continue;
    }
    if (!m.nodes.includes(v.node)) out.push(`${v.name}: node ${v.node} is not local to its PFs`);
    if (v.vcpuPins.length !== m.vcpus) out.push(`${v.name}: ${v.vcpuPins.length} pins for ${m.vcpus} vCPUs`);
    const own = new Set<string>();
    for (const cpu of v.vcpuPins) {
      const c = coreOf.get(cpu);
      if (!c) {
        out.push(`${v.name}: vCPU on CPU ${cpu}, offline or unknown`);
        continue;
      }
      const key = `${c.node}/${c.core}`;
      if (c.node !== v.node)
        out.push(`${v.name}: vCPU on CPU ${cpu} of node ${c.node}, VNF on node ${v.node}`);
      if (c.housekeeping) out.push(`${v.name}: vCPU on CPU ${cpu}, a housekeeping core`);
      if (own.has(key)) out.push(`${v.name}: two vCPUs on one core (CPU ${cpu}) under isolate`);
      own.add(key);
      const owner = coreOwner.get(key);
      if (owner && owner !== v.name) out.push(`${v.name}: vCPU shares a core with ${owner} (CPU ${cpu})`);
      coreOwner.set(key, v.name);
    }
    pagesUsed.set(v.node, (pagesUsed.get(v.node) ?? 0) + v.memory.pages);
    for (const i of v.interfaces) {
      if (i.type !== "sriov-pool" && i.type !== "sriov-hostdev") continue;
      vfsUsed.set(i.vf.pf, (vfsUsed.get(i.vf.pf) ?? 0) + 1);
      if (vfPcis.has(i.vf.pci)) out.push(`${v.name}: VF ${i.vf.pci} given twice`);
      vfPcis.add(i.vf.pci);
    }
  }
  // Pass 2: emulator threads go on the VNF's own siblings or on non-isolated (housekeeping) CPUs,
  // never on a core whose vCPUs belong to another VNF.
  for (const v of plan.vnfs) {
    for (const cpu of v.emulatorCpus) {
      const c = coreOf.get(cpu);
      if (!c) continue;
      const owner = coreOwner.get(`${c.node}/${c.core}`);
      if (owner && owner !== v.name) out.push(`${v.name}: emulator on CPU ${cpu}, a core of ${owner}`);
    }
  }
  for (const n of model.nodes) {
    if ((pagesUsed.get(n.id) ?? 0) > n.pages)
      out.push(`node ${n.id}: ${pagesUsed.get(n.id)} pages > ${n.pages}`);
  }
  for (const pf of model.pfs) {
    if ((vfsUsed.get(pf.name) ?? 0) > pf.vfs) out.push(`${pf.name}: ${vfsUsed.get(pf.name)} VFs > ${pf.vfs}`);
  }
  return out;
}

export interface NfvhostPlacement {
  placed: number;
  /** The planner proved no placement keeps more (false: its time limit stopped the search). */
  proven: boolean;
  /** The planner's proven bound on how many fit. */
  bound: number;
  /** The one planDeployment call on the whole topology. */
  planMs: number;
  violations: string[];
}

/** Capacity and rule checks of a plan against the bench's own model, plus the invariant checker. */
export function checkFullPlan(
  c: BenchCase,
  m: FullModel,
  plan: Plan,
  deployed: DeployedVnf[] = [],
): string[] {
  const out = checkPlanInvariants(c.facts, c.topology, plan, deployed).map((x) => `invariant: ${x}`);
  const pages = new Map<number, number>();
  const vfs = new Map<string, number>();
  for (const v of plan.vnfs) {
    const mv = m.vnfs.find((x) => x.name === v.name);
    if (!mv) {
      out.push(`${v.name}: not in the topology`);
      continue;
    }
    if (!mv.nodes.includes(v.node)) out.push(`${v.name}: node ${v.node} not allowed (pin or PF node)`);
    pages.set(v.node, (pages.get(v.node) ?? 0) + v.memory.pages);
    for (const i of v.interfaces)
      if (i.type === "sriov-pool" || i.type === "sriov-hostdev")
        vfs.set(i.vf.pf, (vfs.get(i.vf.pf) ?? 0) + 1);
  }
  for (const n of m.nodes)
    if ((pages.get(n.id) ?? 0) > n.pages) out.push(`node ${n.id}: ${pages.get(n.id)} pages > ${n.pages}`);
  for (const pf of m.pfs)
    if ((vfs.get(pf.name) ?? 0) > pf.vfs) out.push(`${pf.name}: ${vfs.get(pf.name)} VFs > ${pf.vfs}`);
  return out;
}

/** What `nfvhost plan` places on the case; throws when the planner throws. */
export function nfvhostPlacement(plan: PlanFn, c: BenchCase, m: FullModel): NfvhostPlacement {
  const t0 = performance.now();
  const r = plan(c.facts, c.topology, [], { timeLimitS: PLANNER_TIME_LIMIT_S });
  const planMs = performance.now() - t0;
  if (r.ok) {
    return {
      placed: r.plan.vnfs.length,
      proven: true,
      bound: r.plan.vnfs.length,
      planMs,
      violations: checkFullPlan(c, m, r.plan),
    };
  }
  const summary = r.placement;
  if (!summary)
    throw new Error(`${c.id}: plan failed without a placement summary: ${r.problems[0]?.message}`);
  const left = new Set(summary.unplaced);
  const kept = { ...c.topology, vnfs: c.topology.vnfs.filter((v) => !left.has(v.name)) };
  const again = plan(c.facts, kept, [], { timeLimitS: PLANNER_TIME_LIMIT_S });
  const violations = again.ok
    ? checkFullPlan(c, m, again.plan)
    : [`the ${summary.placed} VNFs it says fit do not plan: ${again.problems[0]?.message ?? "?"}`];
  if (again.ok && again.plan.vnfs.length !== summary.placed)
    violations.push(`says ${summary.placed} fit, the re-plan holds ${again.plan.vnfs.length}`);
  return {
    placed: again.ok ? again.plan.vnfs.length : 0,
    proven: summary.proven,
    bound: summary.bound,
    planMs,
    violations,
  };
}

export interface ArrivalPlacement {
  placed: number;
  totalMs: number;
  msPerPlacement: number;
  violations: string[];
}

/** Arrival mode: VNFs in file order, one at a time, the earlier ones running and never moved. */
export function nfvhostArrival(plan: PlanFn, c: BenchCase, m: FullModel): ArrivalPlacement {
  const kept: Topology["vnfs"] = [];
  let deployed: DeployedVnf[] = [];
  let last: Plan | null = null;
  let totalMs = 0;
  // The host as it would read after each deploy: the running VNFs' pages are in use.
  const facts = structuredClone(c.facts);
  const size = String(c.topology.host.hugepages.sizeKiB);
  for (const v of c.topology.vnfs) {
    const t0 = performance.now();
    const r = plan(facts, { ...c.topology, vnfs: [...kept, v] }, deployed, {
      timeLimitS: PLANNER_TIME_LIMIT_S,
    });
    totalMs += performance.now() - t0;
    if (!r.ok) continue;
    kept.push(v);
    last = r.plan;
    deployed = r.plan.vnfs.map(deployedFromPlan);
    const placed = r.plan.vnfs.find((x) => x.name === v.name)!;
    const pool = facts.nodes.find((n) => n.id === placed.node)?.hugepages[size];
    if (pool) {
      // The kernel reserves what the plan asks, then the VM takes its pages.
      const reserve = r.plan.host.hugepages.find((h) => h.node === placed.node)?.reserve ?? pool.total;
      pool.free += Math.max(0, reserve - pool.total);
      pool.total = Math.max(pool.total, reserve);
      pool.free = Math.max(0, pool.free - placed.memory.pages);
    }
  }
  return {
    placed: kept.length,
    totalMs,
    msPerPlacement: totalMs / Math.max(1, c.topology.vnfs.length),
    violations: last ? checkFullPlan(c, m, last) : [],
  };
}

/** The planner's time limit in the bench: the CLI's default, which `nfvhost plan` passes. */
export const PLANNER_TIME_LIMIT_S = DEFAULT_TIME_LIMIT_S;

export type NovaMode = { emulator: "share" | "isolate"; order: "arrival" | "smallest-first" };
export const NOVA_MODES: NovaMode[] = [
  { emulator: "share", order: "arrival" },
  { emulator: "share", order: "smallest-first" },
  { emulator: "isolate", order: "arrival" },
  { emulator: "isolate", order: "smallest-first" },
];
export const novaModeName = (m: NovaMode) => `${m.emulator}/${m.order}`;

interface NovaCaseOut {
  id: string;
  placed: number;
  attempted: number;
  perPlacementMs: number[];
}

/** The same hosts and requests as the MILP sees them, in Nova's terms. */
export function novaCase(c: BenchCase, m: FullModel, mode: NovaMode) {
  const online = new Set(c.facts.cpus.filter((x) => x.online).map((x) => x.id));
  const order = c.topology.vnfs.map((_, i) => i);
  if (mode.order === "smallest-first")
    order.sort(
      (a, b) =>
        c.topology.vnfs[a]!.vcpus - c.topology.vnfs[b]!.vcpus ||
        c.topology.vnfs[a]!.memoryKiB - c.topology.vnfs[b]!.memoryKiB ||
        a - b,
    );
  return {
    id: c.id,
    emulator: mode.emulator,
    pageSizeKiB: c.topology.host.hugepages.sizeKiB,
    nodes: m.nodes.map((n) => {
      const groups = new Map<string, number[]>();
      for (const cpu of c.facts.cpus) {
        if (!online.has(cpu.id) || cpu.node !== n.id) continue;
        const t = [...new Set([cpu.id, ...cpu.siblings])].filter((x) => online.has(x)).sort((a, b) => a - b);
        groups.set(t.join(","), t);
      }
      // The same cores the MILP gives VNFs: all but the node's first core and CPU 0's core.
      const cores = [...groups.values()]
        .sort((a, b) => a[0]! - b[0]!)
        .slice(1)
        .filter((t) => !t.includes(0));
      const fact = c.facts.nodes.find((f) => f.id === n.id)!;
      return {
        id: n.id,
        socket: c.facts.cpus.find((cpu) => cpu.node === n.id)?.socket ?? 0,
        pcpus: cores.flat().sort((a, b) => a - b),
        siblings: cores,
        memoryMiB: Math.floor(fact.memoryKiB / 1024),
        pages: n.pages,
      };
    }),
    pfs: m.pfs.map((p) => ({ name: p.name, node: p.node, vfs: p.vfs })),
    instances: order.map((i) => {
      const v = m.vnfs[i]!;
      const spec = c.topology.vnfs[i]!;
      const vfs: Record<string, number> = {};
      for (const [pf, e] of v.vfs) vfs[pf] = e.count;
      // nodes: the VNF's node pin and PF node, which the driver offers Nova as the only cells.
      return {
        name: v.name,
        vcpus: v.vcpus,
        threadPolicy: spec.threadPolicy,
        memoryMiB: (v.pages * c.topology.host.hugepages.sizeKiB) / 1024,
        vfs,
        nodes: v.nodes,
      };
    }),
  };
}

const NOVA_DRIVER = fileURLToPath(new URL("./nova_driver.py", import.meta.url));

export async function runNova(
  cases: BenchCase[],
  models: FullModel[],
  mode: NovaMode,
): Promise<{ version: string; cases: NovaCaseOut[] } | Unavailable> {
  const peer = await novaPeer();
  if (!peer.ok) return unavailable(peer.reason);
  const input = JSON.stringify({ cases: cases.map((c, i) => novaCase(c, models[i]!, mode)) });
  const r = await run("/usr/bin/python3", [NOVA_DRIVER], { input, timeoutMs: 600_000 });
  let parsed: { nova?: string; cases?: NovaCaseOut[]; error?: string };
  try {
    parsed = JSON.parse(r.stdout) as typeof parsed;
  } catch {
    return unavailable(`nova_driver.py exit ${r.code}: ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
  }
  if (parsed.error || !parsed.cases) return unavailable(parsed.error ?? "nova_driver.py printed no cases");
  return { version: parsed.nova ?? "?", cases: parsed.cases };
}

export interface PlacementCaseResult {
  id: string;
  vnfs: number;
  optimum: number | null;
  milpStatus: string;
  milpMs: number;
  nfvhost: NfvhostPlacement & { ratio: number | null };
  arrival: ArrivalPlacement & { ratio: number | null };
  /** Per Nova mode (novaModeName): VNFs placed, or why Nova is missing. */
  nova: Record<string, { placed: number; ratio: number | null; totalMs: number } | Unavailable>;
}

export interface PeerSummary {
  avgRatio: number;
  minRatio: number;
  placed: number;
  avgPlanMs: number;
  maxPlanMs: number;
}

export interface PlacementSection {
  seed: number;
  cases: PlacementCaseResult[];
  milp: { optimal: number; cases: number; avgMs: number; maxMs: number; placed: number };
  nfvhost: PeerSummary & {
    violations: number;
    proven: number;
    /** Cases where the optimum places every VNF and nfvhost does not. */
    missedFullFit: number;
    /** Cases below 0.95 of the optimum. */
    below095: number;
  };
  arrival: PeerSummary & { msPerPlacement: number; violations: number };
  nova: Record<string, (PeerSummary & { version: string; fewerThanNova: number }) | Unavailable>;
}

const ratio = (placed: number, optimum: number | null) =>
  optimum === null ? null : optimum === 0 ? (placed === 0 ? 1 : null) : placed / optimum;

function summarise(values: { ratio: number | null; placed: number; ms: number }[]): PeerSummary {
  const ratios = values.map((v) => v.ratio).filter((r): r is number => r !== null);
  const ms = values.map((v) => v.ms);
  return {
    avgRatio: ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length),
    minRatio: ratios.length ? Math.min(...ratios) : 0,
    placed: values.reduce((a, v) => a + v.placed, 0),
    avgPlanMs: ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length),
    maxPlanMs: ms.length ? Math.max(...ms) : 0,
  };
}

/**
 * Runs every case. nfvhost's planner must load and must not throw: a failure there fails the
 * bench (and test/bench-quick.test.ts), it is never reported as "unavailable".
 */
export async function placementBench(opts: { seed: number; count: number }): Promise<PlacementSection> {
  const cases = hardCases(opts.seed, opts.count);
  const models = cases.map((c) => buildFullModel(c.facts, c.topology));
  const planner = await loadPlanner();
  if (!planner.ok) throw new Error(`nfvhost's planner did not load: ${planner.reason}`);
  const nova = new Map<string, Awaited<ReturnType<typeof runNova>>>();
  for (const mode of NOVA_MODES) nova.set(novaModeName(mode), await runNova(cases, models, mode));
  const results: PlacementCaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const m = models[i]!;
    const milp = await solveFull(m);
    const p = nfvhostPlacement(planner.plan, c, m);
    const a = nfvhostArrival(planner.plan, c, m);
    const nv: PlacementCaseResult["nova"] = {};
    for (const [name, out] of nova) {
      if (typeof out === "string") {
        nv[name] = out;
        continue;
      }
      const co = out.cases.find((x) => x.id === c.id);
      nv[name] = co
        ? {
            placed: co.placed,
            ratio: ratio(co.placed, milp.optimum),
            totalMs: co.perPlacementMs.reduce((x, y) => x + y, 0),
          }
        : unavailable("nova_driver.py skipped this case");
    }
    results.push({
      id: c.id,
      vnfs: c.topology.vnfs.length,
      optimum: milp.optimum,
      milpStatus: milp.status,
      milpMs: milp.ms,
      nfvhost: { ...p, ratio: ratio(p.placed, milp.optimum) },
      arrival: { ...a, ratio: ratio(a.placed, milp.optimum) },
      nova: nv,
    });
  }
  const milpMs = results.map((r) => r.milpMs);
  const novaSummary: PlacementSection["nova"] = {};
  for (const [name, out] of nova) {
    if (typeof out === "string") {
      novaSummary[name] = out;
      continue;
    }
    const rows = results
      .map((r) => r.nova[name]!)
      .filter((x): x is Exclude<typeof x, Unavailable> => typeof x !== "string");
    novaSummary[name] = {
      ...summarise(rows.map((x) => ({ ratio: x.ratio, placed: x.placed, ms: x.totalMs }))),
      version: out.version,
      fewerThanNova: results.filter((r) => {
        const x = r.nova[name];
        return typeof x !== "string" && x !== undefined && r.nfvhost.placed < x.placed;
      }).length,
    };
  }
  return {
    seed: opts.seed,
    cases: results,
    milp: {
      optimal: results.filter((r) => r.optimum !== null).length,
      cases: results.length,
      avgMs: milpMs.reduce((a, b) => a + b, 0) / Math.max(1, milpMs.length),
      maxMs: Math.max(0, ...milpMs),
      placed: results.reduce((a, r) => a + (r.optimum ?? 0), 0),
    },
    nfvhost: {
      ...summarise(
        results.map((r) => ({ ratio: r.nfvhost.ratio, placed: r.nfvhost.placed, ms: r.nfvhost.planMs })),
      ),
      violations: results.reduce((a, r) => a + r.nfvhost.violations.length, 0),
      proven: results.filter((r) => r.nfvhost.proven).length,
      missedFullFit: results.filter((r) => r.optimum === r.vnfs && r.nfvhost.placed < r.vnfs).length,
      below095: results.filter((r) => r.nfvhost.ratio !== null && r.nfvhost.ratio < 0.95).length,
    },
    arrival: {
      ...summarise(
        results.map((r) => ({ ratio: r.arrival.ratio, placed: r.arrival.placed, ms: r.arrival.totalMs })),
      ),
      msPerPlacement:
        results.reduce((a, r) => a + r.arrival.totalMs, 0) /
        Math.max(
          1,
          results.reduce((a, r) => a + r.vnfs, 0),
        ),
      violations: results.reduce((a, r) => a + r.arrival.violations.length, 0),
    },
    nova: novaSummary,
  };
}
