/**
 * solvePlacement: the one placement solver for a host or a fleet. A fast first pass
 * (./firstPass.ts) answers whenever it places every VNF (optimal by definition); otherwise the
 * whole problem goes to HiGHS as a MILP (./milp.ts) under a time limit, and the answer says
 * whether it is proven optimal or gives the proven bound. Every answer is re-checked against the
 * capacities (checkAnswer) before it is returned.
 */
import { firstPass, mostVnfs } from "./firstPass.js";
import { solveMilp } from "./highs.js";
import { buildMilp, objectiveWeights } from "./milp.js";
import type { Take } from "./state.js";
import { CapacityState, MAX_THREADS } from "./state.js";
import type { PlacementAnswer, PlacementProblem, SolveOptions, SolverPlacement } from "./types.js";

export type * from "./types.js";

/**
 * Wall-clock guard of the exact stage, seconds. The work limit below ends the search first on any
 * machine that is not many times slower or busier than this one; the clock only guards the CLI.
 */
export const DEFAULT_TIME_LIMIT_S = 30;

/**
 * Branch-and-bound nodes HiGHS may process (the work limit). The answer does not depend on the
 * machine's load: the same problem always stops at the same node with the same result.
 */
export const DEFAULT_NODE_LIMIT = 2_000;

export function solvePlacement(problem: PlacementProblem, opts: SolveOptions = {}): PlacementAnswer {
  const t0 = performance.now();
  const n = problem.vnfs.length;
  // Answers are assembled field by field: `{ ...x, more }` is a slow path in V8, paid per plan.
  const done = (a: Omit<PlacementAnswer, "ms">): PlacementAnswer => {
    const problems = checkAnswer(problem, a.placements);
    if (problems.length > 0)
      throw new Error(`placement solver answer breaks capacity: ${problems.join("; ")}`);
    const out: PlacementAnswer = {
      placements: a.placements,
      unplaced: a.unplaced,
      proven: a.proven,
      bound: a.bound,
      method: a.method,
      ms: performance.now() - t0,
    };
    if (a.stoppedBy) out.stoppedBy = a.stoppedBy;
    return out;
  };
  if (n === 0) return done({ placements: [], unplaced: [], proven: true, bound: 0, method: "none" });
  const first = opts.exactOnly ? null : firstPass(problem);
  const s = new CapacityState(problem);
  const fromTakes = (takes: Map<number, Take>) => {
    const placements: SolverPlacement[] = [];
    const unplaced: string[] = [];
    for (let i = 0; i < problem.vnfs.length; i++) {
      const v = problem.vnfs[i]!;
      const t = takes.get(i);
      if (t) placements.push(s.placement(v, t));
      else unplaced.push(v.name);
    }
    return { placements, unplaced };
  };
  if (first?.complete)
    return done({ ...fromTakes(first.takes), proven: true, bound: n, method: "first-pass" });
  const { weights } = objectiveWeights(problem.vnfs);
  // Not everything fits: the most valuable set a bounded local search finds is the floor HiGHS
  // starts from, so a work or time limit can only cost the proof, never VNFs it already placed.
  const most = first ? mostVnfs(problem, weights, [first.takes]).takes : null;
  // The incumbent may already reach a simple upper bound (common with many alike VNFs): then it
  // is optimal and HiGHS is not needed. Only without priorities: the bound counts VNFs.
  const uniform = problem.vnfs.every((v) => (v.priority ?? 0) === (problem.vnfs[0]!.priority ?? 0));
  // ...and only when it kept the first VNFs of the file, as the tie rule wants.
  const keptFirst = most !== null && [...most.keys()].every((i) => i < most.size);
  if (most && uniform && keptFirst && most.size >= quickBound(problem, s)) {
    return done({ ...fromTakes(most), proven: true, bound: most.size, method: "first-pass" });
  }

  const slots = problem.vnfs.map((v) => s.slots(v));
  const model = buildMilp(problem, s, slots);
  const start = most ? model.startFor(new Map([...most].map(([i, t]) => [i, t.slot.node]))) : null;
  const run = solveMilp(model.lp, {
    timeLimitS: opts.timeLimitS ?? DEFAULT_TIME_LIMIT_S,
    nodeLimit: opts.nodeLimit ?? DEFAULT_NODE_LIMIT,
    ...(start ? { start } : {}),
  });
  const weightOf = (names: Set<string>) =>
    problem.vnfs.reduce((a, v, i) => a + (names.has(v.name) ? weights[i]! : 0), 0);

  const placements: SolverPlacement[] = [];
  if (run.values.size > 0 || run.status === "Optimal") {
    const byVnf = new Map<number, SolverPlacement>();
    for (const [name, { vnf, slot }] of model.x) {
      if ((run.values.get(name) ?? 0) < 0.5) continue;
      const v = problem.vnfs[vnf]!;
      const node = s.nodes[slot.node]!;
      const host = problem.hosts[slot.host]!;
      const coresByThreads: Record<string, number> = {};
      if (v.threadPolicy !== "share") {
        const types = node.free.map((k, t) => (k > 0 ? t : -1)).filter((t) => t > 0);
        if (types.length <= 1) {
          const t = types[0] ?? 1;
          coresByThreads[String(t)] = v.threadPolicy === "isolate" ? v.vcpus : Math.ceil(v.vcpus / t);
        } else {
          for (let t = 1; t <= MAX_THREADS; t++) {
            const k = Math.round(run.values.get(`k${vnf}_${slot.node}_${t}`) ?? 0);
            if (k > 0) coresByThreads[String(t)] = k;
          }
        }
      }
      const vfs = new Map<string, number>();
      v.vfs.forEach((need, ri) => {
        if (need.pf !== undefined) {
          vfs.set(need.pf, (vfs.get(need.pf) ?? 0) + need.count);
          return;
        }
        for (const pi of s.pfsOfHost[slot.host]!) {
          const k = Math.round(run.values.get(`f${vnf}_${ri}_${slot.node}_${pi}`) ?? 0);
          const name = s.pfs[pi]!.name;
          if (k > 0) vfs.set(name, (vfs.get(name) ?? 0) + k);
        }
      });
      byVnf.set(vnf, {
        vnf: v.name,
        host: host.id,
        node: node.id,
        coresByThreads,
        sharedThreads: v.threadPolicy === "share" ? v.vcpus : 0,
        vfs: [...vfs].map(([pf, count]) => ({ pf, count })),
      });
    }
    for (const i of [...byVnf.keys()].sort((a, b) => a - b)) placements.push(byVnf.get(i)!);
  }
  const proven = run.status === "Optimal";
  const stoppedBy: Pick<PlacementAnswer, "stoppedBy"> = proven
    ? {}
    : { stoppedBy: run.status === "Time limit reached" ? "time" : "work" };
  const countBound =
    run.dualBound !== null ? Math.min(n, Math.floor(run.dualBound / model.perVnf + 1e-9)) : n;
  // A solve stopped by a limit that found less than the local search: keep the local search's.
  const firstAnswer = most ? fromTakes(most) : null;
  const milpNames = new Set(placements.map((p) => p.vnf));
  if (
    !proven &&
    firstAnswer &&
    weightOf(new Set(firstAnswer.placements.map((p) => p.vnf))) > weightOf(milpNames)
  ) {
    return done({
      ...firstAnswer,
      proven: false,
      bound: Math.max(firstAnswer.placements.length, countBound),
      method: "first-pass",
      ...stoppedBy,
    });
  }
  if (
    !proven &&
    run.status !== "Time limit reached" &&
    run.status !== "Work limit reached" &&
    placements.length === 0 &&
    !firstAnswer
  )
    throw new Error(`HiGHS ended with status ${run.status}`);
  return done({
    placements,
    unplaced: problem.vnfs.filter((v) => !milpNames.has(v.name)).map((v) => v.name),
    proven,
    bound: proven ? placements.length : Math.max(placements.length, countBound),
    method: "milp",
    ...stoppedBy,
  });
}

/**
 * An upper bound on how many VNFs fit, from two relaxations: the smallest VNFs first against all
 * free cores, pages and VFs together; and per node, how many of the smallest VNF it could hold.
 */
export function quickBound(problem: PlacementProblem, s: CapacityState): number {
  const vnfs = problem.vnfs.filter((v) => s.slots(v).length > 0);
  if (vnfs.length === 0) return 0;
  const maxT = Math.max(
    1,
    ...s.nodes.map((nd) => nd.free.reduce((m, k, t) => (k > 0 ? Math.max(m, t) : m), 1)),
  );
  const coreNeed = (v: (typeof vnfs)[number]) => (v.threadPolicy === "isolate" ? v.vcpus : v.vcpus / maxT);
  const freeCores = s.nodes.reduce((a, nd) => a + nd.free.reduce((x, k) => x + k, 0) + nd.shared / maxT, 0);
  const freePages = new Map<number, number>();
  for (const nd of s.nodes)
    for (const [size, k] of nd.pages) freePages.set(size, (freePages.get(size) ?? 0) + k);
  const freeVfs = s.pfs.reduce((a, p) => a + p.vfs, 0);
  const kSmallest = (values: number[], cap: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    let sum = 0;
    let k = 0;
    for (const x of sorted) {
      if (sum + x > cap + 1e-9) break;
      sum += x;
      k++;
    }
    return k;
  };
  let bound = Math.min(
    kSmallest(vnfs.map(coreNeed), freeCores),
    kSmallest(
      vnfs.map((v) => v.vfs.reduce((a, nd) => a + nd.count, 0)),
      freeVfs,
    ),
  );
  // Pages per size: VNFs of other sizes are not limited by it.
  for (const [size, free] of freePages) {
    const of = vnfs.filter((v) => v.pageSizeKiB === size);
    bound = Math.min(
      bound,
      vnfs.length -
        of.length +
        kSmallest(
          of.map((v) => v.pages),
          free,
        ),
    );
  }
  const minCore = Math.min(...vnfs.map(coreNeed));
  const minPages = new Map<number, number>();
  for (const v of vnfs)
    minPages.set(v.pageSizeKiB, Math.min(minPages.get(v.pageSizeKiB) ?? Infinity, v.pages));
  if (minPages.size === 1) {
    const [size, p] = [...minPages][0]!;
    let perNode = 0;
    for (const nd of s.nodes) {
      const cores = nd.free.reduce((x, k) => x + k, 0) + nd.shared / maxT;
      const byCores = minCore > 0 ? Math.floor(cores / minCore + 1e-9) : Infinity;
      const byPages = p > 0 ? Math.floor((nd.pages.get(size) ?? 0) / p) : Infinity;
      perNode += Math.min(byCores, byPages);
    }
    bound = Math.min(bound, perNode);
  }
  return bound;
}

/** False when no placement can hold every VNF of the problem (quickBound says fewer fit). */
export function mayPlaceAll(problem: PlacementProblem): boolean {
  return quickBound(problem, new CapacityState(problem)) >= problem.vnfs.length;
}

/**
 * Independent check of an answer against the problem's capacities: cores by thread count,
 * shared threads, pages, VFs, VLAN budgets, pins, allowed hosts, affinity. Empty when sound.
 */
export function checkAnswer(problem: PlacementProblem, placements: readonly SolverPlacement[]): string[] {
  const out: string[] = [];
  const hostOf = new Map(problem.hosts.map((h) => [h.id, h]));
  const byName = new Map(problem.vnfs.map((v) => [v.name, v]));
  const used = new Map<string, { cores: number[]; shareThreads: number; pages: Map<number, number> }>();
  const vfUsed = new Map<string, number>();
  const vlans = new Map<string, Set<number>>();
  const aff = new Map<string, Set<string>>();
  const anti = new Map<string, Set<string>>();
  const scope = (hostId: string, sc: string) => {
    if (sc === "host") return `host:${hostId}`;
    const v = hostOf.get(hostId)?.labels?.[sc.slice(6)];
    return v === undefined ? `host:${hostId}` : `label:${v}`;
  };
  for (const p of placements) {
    const v = byName.get(p.vnf);
    const host = hostOf.get(p.host);
    const node = host?.nodes.find((nd) => nd.id === p.node);
    if (!v || !host || !node) {
      out.push(`${p.vnf}: unknown VNF, host ${p.host} or node ${p.node}`);
      continue;
    }
    if (v.node !== undefined && v.node !== p.node)
      out.push(`${v.name}: pinned to node ${v.node}, got ${p.node}`);
    if (v.hosts && !v.hosts.includes(p.host)) out.push(`${v.name}: host ${p.host} not allowed`);
    const key = `${p.host}/${p.node}`;
    const u = used.get(key) ?? {
      cores: new Array<number>(MAX_THREADS + 1).fill(0),
      shareThreads: 0,
      pages: new Map(),
    };
    let threads = 0;
    for (const [t, k] of Object.entries(p.coresByThreads)) {
      u.cores[Number(t)]! += k;
      threads += Number(t) * k;
      if (v.threadPolicy === "require" && Number(t) < 2)
        out.push(`${v.name}: require on single-thread cores`);
    }
    const coreCount = Object.values(p.coresByThreads).reduce((a, k) => a + k, 0);
    if (v.threadPolicy === "isolate" && coreCount !== v.vcpus)
      out.push(`${v.name}: ${coreCount} cores for ${v.vcpus} isolated vCPUs`);
    if ((v.threadPolicy === "prefer" || v.threadPolicy === "require") && threads < v.vcpus)
      out.push(`${v.name}: ${threads} threads for ${v.vcpus} vCPUs`);
    if (v.threadPolicy === "share") u.shareThreads += v.vcpus;
    u.pages.set(v.pageSizeKiB, (u.pages.get(v.pageSizeKiB) ?? 0) + v.pages);
    used.set(key, u);
    const got = new Map(p.vfs.map((f) => [f.pf, f.count]));
    for (const need of v.vfs) {
      if (need.pf !== undefined && (got.get(need.pf) ?? 0) < need.count)
        out.push(`${v.name}: missing VFs of ${need.pf}`);
    }
    const total = v.vfs.reduce((a, nd) => a + nd.count, 0);
    if (p.vfs.reduce((a, f) => a + f.count, 0) !== total) out.push(`${v.name}: ${total} VFs needed`);
    for (const f of p.vfs) {
      const pf = host.pfs.find((x) => x.name === f.pf);
      if (!pf) {
        out.push(`${v.name}: PF ${f.pf} not on ${p.host}`);
        continue;
      }
      if (pf.node !== null && pf.node !== p.node)
        out.push(`${v.name}: PF ${f.pf} not local to node ${p.node}`);
      const k = `${p.host}/${f.pf}`;
      vfUsed.set(k, (vfUsed.get(k) ?? 0) + f.count);
      const set = vlans.get(k) ?? new Set(pf.vlansInUse);
      for (const need of v.vfs)
        if (need.pf === undefined || need.pf === f.pf) for (const x of need.vlans) set.add(x);
      vlans.set(k, set);
    }
    if (v.affinity) {
      const k = v.affinity.key;
      aff.set(k, (aff.get(k) ?? new Set()).add(scope(p.host, v.affinity.scope)));
    }
    if (v.antiAffinity) {
      const k = v.antiAffinity.key;
      const val = scope(p.host, v.antiAffinity.scope);
      const set = anti.get(k) ?? new Set<string>();
      if (set.has(val)) out.push(`${v.name}: anti-affinity ${k} broken on ${val}`);
      anti.set(k, set.add(val));
    }
  }
  for (const [key, u] of used) {
    const [hostId, nodeId] = key.split("/");
    const node = hostOf.get(hostId!)!.nodes.find((nd) => nd.id === Number(nodeId))!;
    const free = new Array<number>(MAX_THREADS + 1).fill(0);
    for (const t of node.freeCores) free[Math.min(MAX_THREADS, Math.max(1, t))]!++;
    // Shared threads come from shared cores first, then from whole cores left over (any type).
    let needShared = Math.max(0, u.shareThreads - node.sharedThreadsFree);
    for (let t = 1; t <= MAX_THREADS; t++) {
      const left = free[t]! - u.cores[t]!;
      if (left < 0) out.push(`${key}: ${u.cores[t]} cores with ${t} threads taken, ${free[t]} free`);
      needShared -= Math.max(0, left) * t;
    }
    if (needShared > 0) out.push(`${key}: share VNFs lack ${needShared} threads`);
    for (const [size, k] of u.pages)
      if (k > (node.pagesFree[String(size)] ?? 0))
        out.push(`${key}: ${k} pages of ${size} KiB, ${node.pagesFree[String(size)] ?? 0} free`);
  }
  for (const [k, n] of vfUsed) {
    const [hostId, pfName] = k.split("/");
    const pf = hostOf.get(hostId!)!.pfs.find((x) => x.name === pfName)!;
    if (n > pf.vfsFree) out.push(`${k}: ${n} VFs taken, ${pf.vfsFree} free`);
    const set = vlans.get(k);
    if (pf.vlanBudget !== null && set && set.size > pf.vlanBudget)
      out.push(`${k}: ${set.size} VLANs, budget ${pf.vlanBudget}`);
  }
  for (const [k, vals] of aff) if (vals.size > 1) out.push(`affinity ${k} spans ${[...vals].join(", ")}`);
  return out;
}
