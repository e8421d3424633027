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

/**
 * Search steps (placement attempts) the "as many as possible" local search may spend: 200,000 up
 * to 50 VNFs, fewer beyond (each step costs more there, and HiGHS starts from what it found).
 */
export function improveSteps(vnfs: number): number {
  return Math.round(200_000 * Math.min(1, 50 / Math.max(1, vnfs)));
}

export interface MostResult {
  takes: Map<number, Take>;
  /** Placement attempts spent: a work measure, the same on an idle and a busy machine. */
  steps: number;
}

/**
 * When not every VNF fits: the most valuable set it can find by weight (priority first, then
 * count, then file order; ./milp.ts objectiveWeights), deterministic and bounded by a step budget.
 * Best fit in several orders (smallest share of the host first, fewest vCPUs, fewest pages, fewest
 * candidate nodes; and the first pass's own answer), then local search on the best: insert a VNF
 * left out, if need be after moving one placed VNF to another node; leave one placed VNF out for
 * it and refill; clear one of its nodes until it fits there and put the others back. Every
 * accepted change raises the weight, so the search ends.
 */
export function mostVnfs(
  problem: PlacementProblem,
  weights: readonly number[],
  firstOrder: readonly Map<number, Take>[] = [],
  maxSteps = improveSteps(problem.vnfs.length),
): MostResult {
  const vnfs = problem.vnfs;
  const base = new CapacityState(problem);
  const slots = vnfs.map((v) => base.slots(v));
  const steps = { n: 0 };
  const weightOf = (takes: Map<number, Take>) => {
    let w = 0;
    for (const i of takes.keys()) w += weights[i]!;
    return w;
  };
  const share = vnfs.map((v, i) => {
    let cores = 0;
    let pages = 0;
    for (const q of slots[i]!) {
      const nd = base.nodes[q.node]!;
      cores += nd.coreCap;
      pages += nd.pages.get(v.pageSizeKiB) ?? 0;
    }
    const coreShare = cores > 0 ? v.vcpus / cores : Infinity;
    const pageShare = pages > 0 ? v.pages / pages : v.pages > 0 ? Infinity : 0;
    return Math.max(coreShare, pageShare);
  });
  const byPriority = (a: number, b: number) => (vnfs[b]!.priority ?? 0) - (vnfs[a]!.priority ?? 0);
  const comparators: ((a: number, b: number) => number)[] = [
    (a, b) => share[a]! - share[b]! || a - b,
    (a, b) => vnfs[a]!.vcpus - vnfs[b]!.vcpus || vnfs[a]!.pages - vnfs[b]!.pages || a - b,
    (a, b) => vnfs[a]!.pages - vnfs[b]!.pages || vnfs[a]!.vcpus - vnfs[b]!.vcpus || a - b,
    (a, b) => slots[a]!.length - slots[b]!.length || share[a]! - share[b]! || a - b,
  ];
  const orders = comparators.map((cmp) =>
    vnfs
      .map((_, i) => i)
      .filter((i) => slots[i]!.length > 0)
      .sort((a, b) => byPriority(a, b) || cmp(a, b)),
  );
  let best: { s: CapacityState; takes: Map<number, Take> } | null = null;
  const consider = (s: CapacityState, takes: Map<number, Take>) => {
    if (!best || weightOf(takes) > weightOf(best.takes)) best = { s, takes };
  };
  for (const order of orders) {
    const s = new CapacityState(problem);
    const takes = new Map<number, Take>();
    for (const i of order) {
      steps.n += slots[i]!.length;
      const t = bestFit(s, vnfs[i]!, slots[i]!);
      if (t) {
        s.commit(vnfs[i]!, t);
        takes.set(i, t);
      }
    }
    consider(s, takes);
  }
  for (const given of firstOrder) {
    const s = new CapacityState(problem);
    for (const [i, t] of given) s.commit(vnfs[i]!, t);
    consider(s, new Map(given));
  }
  const { s, takes } = best!;
  // Every change goes through set(), which records it, so a trial can be rolled back exactly.
  type Change = { i: number; before: Take | undefined; after: Take | undefined };
  let journal: Change[] = [];
  const set = (i: number, after: Take | undefined) => {
    const before = takes.get(i);
    if (before) s.commit(vnfs[i]!, before, -1);
    if (after) {
      s.commit(vnfs[i]!, after);
      takes.set(i, after);
    } else takes.delete(i);
    journal.push({ i, before, after });
  };
  const rollback = (mark: number) => {
    while (journal.length > mark) {
      const { i, before, after } = journal.pop()!;
      if (after) s.commit(vnfs[i]!, after, -1);
      if (before) {
        s.commit(vnfs[i]!, before);
        takes.set(i, before);
      } else takes.delete(i);
    }
  };
  const outside = () =>
    vnfs
      .map((_, i) => i)
      .filter((i) => !takes.has(i) && slots[i]!.length > 0)
      .sort((a, b) => weights[b]! - weights[a]!);
  const fitNow = (i: number): Take | null => {
    steps.n += slots[i]!.length;
    return bestFit(s, vnfs[i]!, slots[i]!);
  };
  /** Places u, moving at most one placed VNF to another node first; false (nothing changed) when it cannot. */
  const insert = (u: number): boolean => {
    const direct = fitNow(u);
    if (direct) {
      set(u, direct);
      return true;
    }
    for (const p of [...takes.keys()].sort((a, b) => weights[a]! - weights[b]!)) {
      const tp = takes.get(p)!;
      for (const q of slots[p]!) {
        if (q.node === tp.slot.node || steps.n >= maxSteps) continue;
        const mark = journal.length;
        set(p, undefined);
        steps.n++;
        const moved = s.tryTake(vnfs[p]!, q);
        if (moved) {
          set(p, moved);
          const tu = fitNow(u);
          if (tu) {
            set(u, tu);
            return true;
          }
        }
        rollback(mark);
      }
    }
    return false;
  };
  const weightNow = () => weightOf(takes);
  const improveOnce = (): boolean => {
    const left = outside();
    for (const u of left) {
      if (steps.n >= maxSteps) return false;
      if (insert(u)) return true;
      // Leave one placed VNF of less weight out for u, then refill: kept when the weight rises.
      const most = left.reduce((a, i) => a + weights[i]!, 0);
      const before = weightNow();
      for (const p of [...takes.keys()].sort((a, b) => weights[a]! - weights[b]!)) {
        if (weights[p]! >= most || steps.n >= maxSteps) continue;
        const mark = journal.length;
        set(p, undefined);
        if (insert(u)) {
          for (const o of outside()) if (o !== p && steps.n < maxSteps) insert(o);
          if (weightNow() > before) return true;
        }
        rollback(mark);
      }
      // Make room on one of u's nodes: clear VNFs off it (least weight first) until u fits there,
      // then put them back wherever they fit (moving one other VNF if need be) and refill.
      for (const q of slots[u]!) {
        if (steps.n >= maxSteps) return false;
        const mark = journal.length;
        const onNode = [...takes.keys()]
          .filter((i) => takes.get(i)!.slot.node === q.node)
          .sort((a, b) => weights[a]! - weights[b]!);
        let tu: Take | null = null;
        for (const p of onNode) {
          set(p, undefined);
          steps.n++;
          tu = s.tryTake(vnfs[u]!, q);
          if (tu) break;
        }
        if (tu) {
          set(u, tu);
          for (const o of outside()) if (steps.n < maxSteps) insert(o);
          if (weightNow() > before) return true;
        }
        rollback(mark);
      }
    }
    return false;
  };
  while (steps.n < maxSteps && improveOnce()) {
    journal = [];
  }
  return { takes, steps: steps.n };
}
