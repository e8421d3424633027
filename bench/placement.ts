/**
 * Placement quality: VNFs nfvhost places versus the exact optimum (MILP, ./milp.ts) and versus
 * OpenStack Nova's NUMA fitting (./nova_driver.py) on the same generated cases.
 *
 * nfvhost plans a whole topology or reports it infeasible; "placed" is defined as: try the whole
 * topology; when it does not fit, take the VNFs smallest first (greedyOrder) and keep each
 * one whose addition still plans, re-planning the whole kept set every time (joint placement,
 * nothing pinned by earlier steps). The order is greedyOrder() below. Nova gets the instances in the
 * same order, one after another.
 */
import { fileURLToPath } from "node:url";
import { run } from "../src/util/exec.js";
import type { DeployedVnf, Plan } from "../src/plan/types.js";
import type { Topology } from "../src/topology/types.js";
import type { BenchCase } from "./generate.js";
import { placementCases } from "./generate.js";
import { solvePlacement } from "./milp.js";
import { buildPlacementModel, coresFor } from "./model.js";
import type { PlacementModel } from "./model.js";
import { novaPeer } from "./peers.js";
import type { PlanFn } from "./planner.js";
import { loadPlanner } from "./planner.js";
import { deployedFromPlan } from "../src/plan/deployed.js";

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

function subset(topology: Topology, indices: number[]): Topology {
  const keep = [...indices].sort((a, b) => a - b);
  return { ...topology, vnfs: keep.map((i) => topology.vnfs[i]!) };
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
  /**
   * Whether nfvhost plans the optimum's own VNF set (null when there is no proven optimum): the
   * planner's completeness, apart from the search order.
   */
  optimalSetFits: boolean | null;
  /** One planDeployment call on the whole topology (fits or not). */
  planMs: number;
  /** All calls of the smallest-first search (equal to planMs when everything fits). */
  searchMs: number;
  calls: number;
  violations: string[];
  error?: string;
}

export function nfvhostPlacement(
  plan: PlanFn,
  c: BenchCase,
  model: PlacementModel,
  optimalSet: number[] | null,
): NfvhostPlacement {
  const timed = (t: Topology) => {
    const t0 = performance.now();
    const r = plan(c.facts, t);
    return { r, ms: performance.now() - t0 };
  };
  try {
    const whole = timed(c.topology);
    const optimalSetFits = optimalSet === null ? null : plan(c.facts, subset(c.topology, optimalSet)).ok;
    if (whole.r.ok) {
      return {
        optimalSetFits,
        placed: whole.r.plan.vnfs.length,
        planMs: whole.ms,
        searchMs: whole.ms,
        calls: 1,
        violations: checkPlan(model, whole.r.plan),
      };
    }
    let searchMs = whole.ms;
    let calls = 1;
    const kept: number[] = [];
    let last: Plan | null = null;
    for (const i of greedyOrder(model)) {
      const step = timed(subset(c.topology, [...kept, i]));
      searchMs += step.ms;
      calls++;
      if (step.r.ok) {
        kept.push(i);
        last = step.r.plan;
      }
    }
    return {
      optimalSetFits,
      placed: kept.length,
      planMs: whole.ms,
      searchMs,
      calls,
      violations: last ? checkPlan(model, last) : [],
    };
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0] ?? String(e);
    return { placed: 0, optimalSetFits: null, planMs: 0, searchMs: 0, calls: 0, violations: [], error: msg };
  }
}

export interface IncrementalPlacement {
  placed: number;
  /** Total planning time of all the one-at-a-time steps. */
  totalMs: number;
  msPerPlacement: number;
  violations: string[];
}

/**
 * nfvhost used the way Nova is: VNFs arrive one at a time in the same order, each step re-plans
 * with every VNF placed so far passed as `deployed` (running, never moved), like deploying a new
 * VNF next to running ones.
 */
export function nfvhostIncremental(plan: PlanFn, c: BenchCase, model: PlacementModel): IncrementalPlacement {
  const kept: number[] = [];
  let deployed: DeployedVnf[] = [];
  let last: Plan | null = null;
  let totalMs = 0;
  const order = greedyOrder(model);
  for (const i of order) {
    const t0 = performance.now();
    const r = plan(c.facts, subset(c.topology, [...kept, i]), deployed);
    totalMs += performance.now() - t0;
    if (!r.ok) continue;
    kept.push(i);
    last = r.plan;
    deployed = r.plan.vnfs.map(deployedFromPlan);
  }
  return {
    placed: kept.length,
    totalMs,
    msPerPlacement: totalMs / Math.max(1, order.length),
    violations: last ? checkPlan(model, last) : [],
  };
}

interface NovaCaseOut {
  id: string;
  placed: number;
  attempted: number;
  perPlacementMs: number[];
}

/** The same hosts and requests as the MILP sees them, in Nova's terms. */
export function novaCase(c: BenchCase, model: PlacementModel) {
  const order = greedyOrder(model);
  return {
    id: c.id,
    pageSizeKiB: model.pageSizeKiB,
    nodes: model.nodes.map((n) => {
      const usable = n.cores.filter((core) => !core.housekeeping);
      const fact = c.facts.nodes.find((f) => f.id === n.id)!;
      const socket = c.facts.cpus.find((cpu) => cpu.node === n.id)?.socket ?? 0;
      return {
        id: n.id,
        socket,
        pcpus: usable.flatMap((core) => core.threads).sort((a, b) => a - b),
        // As the libvirt driver reports them: one set per core, a singleton without SMT.
        siblings: usable.map((core) => core.threads),
        memoryMiB: Math.floor(fact.memoryKiB / 1024),
        pages: n.pages,
      };
    }),
    pfs: model.pfs,
    instances: order.map((i) => {
      const v = model.vnfs[i]!;
      return { name: v.name, vcpus: v.vcpus, memoryMiB: (v.pages * model.pageSizeKiB) / 1024, vfs: v.vfs };
    }),
  };
}

const NOVA_DRIVER = fileURLToPath(new URL("./nova_driver.py", import.meta.url));

export async function runNova(
  cases: BenchCase[],
  models: PlacementModel[],
): Promise<{ version: string; cases: NovaCaseOut[] } | Unavailable> {
  const peer = await novaPeer();
  if (!peer.ok) return unavailable(peer.reason);
  const input = JSON.stringify({ cases: cases.map((c, i) => novaCase(c, models[i]!)) });
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
  shape: string;
  vnfs: number;
  /** Cores VNFs can use / cores the whole mix needs (isolate rule): how oversubscribed the case is. */
  load: number;
  optimum: number | null;
  milpStatus: string;
  milpMs: number;
  milpVariables: number;
  nfvhost: (NfvhostPlacement & { ratio: number | null }) | Unavailable;
  /** nfvhost one VNF at a time with the earlier ones running (Nova's way of working). */
  nfvhostIncremental: (IncrementalPlacement & { ratio: number | null }) | Unavailable;
  nova: { placed: number; ratio: number | null; msPerPlacement: number; totalMs: number } | Unavailable;
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
  nfvhost:
    | (PeerSummary & {
        avgSearchMs: number;
        violations: number;
        /** Cases whose optimal VNF set nfvhost plans / fails to plan. */
        optimalSetPlanned: number;
        optimalSetFailed: number;
      })
    | Unavailable;
  nfvhostIncremental: (PeerSummary & { msPerPlacement: number; violations: number }) | Unavailable;
  nova: (PeerSummary & { version: string; msPerPlacement: number }) | Unavailable;
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

export async function placementBench(opts: { seed: number; count: number }): Promise<PlacementSection> {
  const cases = placementCases(opts.seed, opts.count);
  const models = cases.map((c) => buildPlacementModel(c.facts, c.topology));
  const planner = await loadPlanner();
  const nova = await runNova(cases, models);
  const results: PlacementCaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    const model = models[i]!;
    const milp = await solvePlacement(model);
    const need = model.vnfs.reduce((a, v) => a + coresFor(v.vcpus, model.nodes[0]!), 0);
    const have = model.nodes.reduce((a, n) => a + n.usableCores, 0);
    let nfv: PlacementCaseResult["nfvhost"];
    let inc: PlacementCaseResult["nfvhostIncremental"];
    if (planner.ok) {
      try {
        const p = nfvhostIncremental(planner.plan, c, model);
        inc = { ...p, ratio: ratio(p.placed, milp.optimum) };
      } catch (e) {
        inc = unavailable(`planner threw: ${(e as Error).message.split("\n")[0]}`);
      }
      const p = nfvhostPlacement(
        planner.plan,
        c,
        model,
        milp.optimum === null ? null : [...milp.assignment.keys()],
      );
      nfv = p.error
        ? unavailable(`planner threw: ${p.error}`)
        : { ...p, ratio: ratio(p.placed, milp.optimum) };
    } else {
      nfv = unavailable(planner.reason);
      inc = unavailable(planner.reason);
    }
    let nv: PlacementCaseResult["nova"];
    if (typeof nova === "string") {
      nv = nova;
    } else {
      const out = nova.cases.find((x) => x.id === c.id);
      if (!out) {
        nv = unavailable("nova_driver.py skipped this case");
      } else {
        const total = out.perPlacementMs.reduce((a, b) => a + b, 0);
        nv = {
          placed: out.placed,
          ratio: ratio(out.placed, milp.optimum),
          msPerPlacement: total / Math.max(1, out.perPlacementMs.length),
          totalMs: total,
        };
      }
    }
    results.push({
      id: c.id,
      shape: c.shape.name,
      vnfs: c.topology.vnfs.length,
      load: need / Math.max(1, have),
      optimum: milp.optimum,
      milpStatus: milp.status,
      milpMs: milp.ms,
      milpVariables: milp.variables,
      nfvhost: nfv,
      nfvhostIncremental: inc,
      nova: nv,
    });
  }
  const milpMs = results.map((r) => r.milpMs);
  const nfvOk = results
    .map((r) => r.nfvhost)
    .filter((x): x is Exclude<typeof x, Unavailable> => typeof x !== "string");
  const nfvSummary: PlacementSection["nfvhost"] = !planner.ok
    ? unavailable(planner.reason)
    : nfvOk.length < results.length
      ? unavailable(
          `planner failed on ${results.length - nfvOk.length} case(s): ${String(results.find((r) => typeof r.nfvhost === "string")?.nfvhost)}`,
        )
      : {
          ...summarise(nfvOk.map((p) => ({ ratio: p.ratio, placed: p.placed, ms: p.planMs }))),
          avgSearchMs: nfvOk.reduce((a, p) => a + p.searchMs, 0) / Math.max(1, nfvOk.length),
          optimalSetPlanned: nfvOk.filter((p) => p.optimalSetFits === true).length,
          optimalSetFailed: nfvOk.filter((p) => p.optimalSetFits === false).length,
          violations: nfvOk.reduce((a, p) => a + p.violations.length, 0),
        };
  const incOk = results
    .map((r) => r.nfvhostIncremental)
    .filter((x): x is Exclude<typeof x, Unavailable> => typeof x !== "string");
  const incSummary: PlacementSection["nfvhostIncremental"] = !planner.ok
    ? unavailable(planner.reason)
    : incOk.length < results.length
      ? unavailable(String(results.find((r) => typeof r.nfvhostIncremental === "string")?.nfvhostIncremental))
      : {
          ...summarise(incOk.map((p) => ({ ratio: p.ratio, placed: p.placed, ms: p.totalMs }))),
          msPerPlacement:
            incOk.reduce((a, p) => a + p.totalMs, 0) /
            Math.max(
              1,
              results.reduce((a, r) => a + r.vnfs, 0),
            ),
          violations: incOk.reduce((a, p) => a + p.violations.length, 0),
        };
  const novaOk = results
    .map((r) => r.nova)
    .filter((x): x is Exclude<typeof x, Unavailable> => typeof x !== "string");
  const novaSummary: PlacementSection["nova"] =
    typeof nova === "string"
      ? nova
      : {
          ...summarise(novaOk.map((p) => ({ ratio: p.ratio, placed: p.placed, ms: p.totalMs }))),
          version: nova.version,
          msPerPlacement:
            novaOk.reduce((a, p) => a + p.totalMs, 0) /
            Math.max(
              1,
              results.reduce((a, r) => a + r.vnfs, 0),
            ),
        };
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
    nfvhost: nfvSummary,
    nfvhostIncremental: incSummary,
    nova: novaSummary,
  };
}
