/**
 * The fast first pass: best fit, most constrained and largest VNF first, then (when that leaves
 * some out) a short depth-first search over node choices. When it places every VNF the answer is
 * optimal by definition and the exact stage (HiGHS) is never loaded; otherwise its result is the
 * floor the exact stage must beat.
 */
import type { Slot, Take } from "./state.js";
import { CapacityState } from "./state.js";
import type { PlacementProblem, SolverVnf } from "./types.js";

export interface FirstPassResult {
  takes: Map<number, Take>;
  complete: boolean;
  steps: number;
}

/** Search steps the depth-first stage may spend before giving up to the exact stage. */
export const FIRST_PASS_STEPS = 5_000;

/** Whole cores a VNF takes at the least (threads per core at most maxT), for the search's bound. */
function minCores(v: SolverVnf, maxT: number): number {
  if (v.threadPolicy === "isolate") return v.vcpus;
  return v.vcpus / Math.max(1, maxT);
}

function demand(v: SolverVnf, s: CapacityState, slots: Slot[]): number {
  const node = slots[0] ? s.nodes[slots[0].node]! : null;
  if (!node) return 0;
  return v.vcpus / Math.max(1, node.coreCap * 2) + v.pages / Math.max(1, node.pageCap);
}

/** How full the node is after taking: the tightest fit scores lowest. */
function leftAfter(s: CapacityState, v: SolverVnf, t: Take): number {
  const node = s.nodes[t.slot.node]!;
  const coresLeft =
    node.free.reduce((a, k) => a + k, 0) -
    t.cores.reduce((a, k) => a + k, 0) -
    t.newlyShared.reduce((a, k) => a + k, 0);
  const pagesLeft = (node.pages.get(v.pageSizeKiB) ?? 0) - v.pages;
  const vfLeft = t.vfs.reduce((a, f) => a + s.pfs[f.pf]!.vfs - f.count, 0);
  return coresLeft / node.coreCap + pagesLeft / node.pageCap + vfLeft / 1000;
}

export function bestFit(s: CapacityState, v: SolverVnf, slots: Slot[]): Take | null {
  let best: Take | null = null;
  let bestScore = Infinity;
  for (const slot of slots) {
    const t = s.tryTake(v, slot);
    if (!t) continue;
    // A preferred node wins over a tighter fit elsewhere.
    const preferred = v.preferNodes?.includes(s.nodes[slot.node]!.id) ? -10 : 0;
    const score = preferred + leftAfter(s, v, t);
    if (score < bestScore - 1e-12) {
      best = t;
      bestScore = score;
    }
  }
  return best;
}

export function firstPass(problem: PlacementProblem, maxSteps = FIRST_PASS_STEPS): FirstPassResult {
  const s = new CapacityState(problem);
  const slots = problem.vnfs.map((v) => s.slots(v));
  const order = problem.vnfs
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (problem.vnfs[b]!.priority ?? 0) - (problem.vnfs[a]!.priority ?? 0) ||
        slots[a]!.length - slots[b]!.length ||
        demand(problem.vnfs[b]!, s, slots[b]!) - demand(problem.vnfs[a]!, s, slots[a]!) ||
        a - b,
    );
  const takes = new Map<number, Take>();
  for (const i of order) {
    const t = bestFit(s, problem.vnfs[i]!, slots[i]!);
    if (t) {
      s.commit(problem.vnfs[i]!, t);
      takes.set(i, t);
    }
  }
  if (takes.size === problem.vnfs.length) return { takes, complete: true, steps: 0 };
  if (slots.some((x) => x.length === 0) || problem.vnfs.length > 400)
    return { takes, complete: false, steps: 0 };
  // Undo the greedy and search for a packing of every VNF.
  for (const i of [...order].reverse()) {
    const t = takes.get(i);
    if (t) s.commit(problem.vnfs[i]!, t, -1);
  }
  const found = new Map<number, Take>();
  let steps = 0;
  // Bound: what the VNFs still to place need at the least against all that is free.
  const maxT = Math.max(
    1,
    ...s.nodes.map((nd) => nd.free.reduce((m, k, t) => (k > 0 ? Math.max(m, t) : m), 1)),
  );
  const suffixCores = new Array<number>(order.length + 1).fill(0);
  const suffixPages = new Array<number>(order.length + 1).fill(0);
  for (let k = order.length - 1; k >= 0; k--) {
    suffixCores[k] = suffixCores[k + 1]! + minCores(problem.vnfs[order[k]!]!, maxT);
    suffixPages[k] = suffixPages[k + 1]! + problem.vnfs[order[k]!]!.pages;
  }
  const freeNow = () => {
    let cores = 0;
    let pages = 0;
    for (const nd of s.nodes) {
      cores += nd.free.reduce((a, k) => a + k, 0) + nd.shared / maxT;
      for (const p of nd.pages.values()) pages += p;
    }
    return { cores, pages };
  };
  // Two nodes are interchangeable only if every VNF may use both or neither.
  const membership = s.nodes.map((_, ni) =>
    slots.map((sl) => (sl.some((x) => x.node === ni) ? "1" : "0")).join(""),
  );
  const search = (k: number): boolean => {
    if (k === order.length) return true;
    if (steps >= maxSteps) return false;
    const f = freeNow();
    if (suffixCores[k]! > f.cores + 1e-9 || suffixPages[k]! > f.pages) return false;
    const i = order[k]!;
    const v = problem.vnfs[i]!;
    const tried = new Set<string>();
    const options: { t: Take; score: number }[] = [];
    for (const slot of slots[i]!) {
      const node = s.nodes[slot.node]!;
      // Nodes with the same free capacity and no PF of their own are interchangeable.
      const sig = `${slot.host}|${node.free.join(",")}|${node.shared}|${[...node.pages].join(",")}|${
        s.pfs.some((p) => p.host === slot.host && p.node === node.id) ? node.id : ""
      }|${membership[slot.node]}`;
      if (tried.has(sig)) continue;
      tried.add(sig);
      const t = s.tryTake(v, slot);
      if (t) options.push({ t, score: leftAfter(s, v, t) });
    }
    options.sort((a, b) => a.score - b.score);
    for (const { t } of options) {
      if (steps++ >= maxSteps) return false;
      s.commit(v, t);
      found.set(i, t);
      if (search(k + 1)) return true;
      found.delete(i);
      s.commit(v, t, -1);
    }
    return false;
  };
  if (search(0)) return { takes: found, complete: true, steps };
  return { takes, complete: false, steps };
}
