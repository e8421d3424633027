/**
 * Joint placement of VNFs on NUMA nodes: a depth-first branch-and-bound over node choices.
 *
 * - VNFs are searched most-constrained first (fewest candidate nodes, then most cores, then most
 *   pages, then file order), so the first descent already packs most real topologies.
 * - At each VNF the candidate nodes are tried in id order; nodes whose free capacity is identical
 *   (same free cores, shared threads and pages) are tried once (NPS4 hosts have 8 alike nodes).
 * - Identical VNFs (same size, policy, pages and candidates) take nodes in non-decreasing order,
 *   so their permutations are not searched again.
 * - Bounds: a branch is cut as soon as the remaining VNFs need more cores or pages than all nodes
 *   still have together, or more whole cores than the nodes can hold given the sizes (per node,
 *   the largest subset sum of the remaining core demands that fits its free cores).
 * - When no packing of every VNF exists, VNFs are kept in file order as long as the kept set
 *   still packs (one search per VNF): the ones reported as not fitting are the last in the file.
 * - Work is bounded (MAX_STEPS allocation attempts over all searches of one plan).
 * Everything iterates in fixed orders, so the same input always yields the same answer.
 */
import type { ThreadPolicy } from "../topology/types.js";
import type { CpuAlloc, NodePool } from "./cpuPool.js";
import { allocate, commit, freeCoreCount, poolSignature, release } from "./cpuPool.js";

export interface PlacementItem {
  /** Position in the topology file. */
  index: number;
  name: string;
  vcpus: number;
  policy: ThreadPolicy;
  pages: number;
  candidates: number[];
}

export interface PlacementResult {
  allocs: Map<string, CpuAlloc>;
  unplaced: PlacementItem[];
  steps: number;
  exhausted: boolean;
}

export const MAX_STEPS = 200_000;

function coreDemand(item: PlacementItem, threadsPerCore: number): number {
  if (item.policy === "isolate") return item.vcpus;
  if (item.policy === "share") return item.vcpus / threadsPerCore;
  return Math.ceil(item.vcpus / threadsPerCore);
}

export function placeJointly(
  items: PlacementItem[],
  pools: Map<number, NodePool>,
  pagesFree: Map<number, number>,
  smt: boolean,
  maxSteps = MAX_STEPS,
): PlacementResult {
  const threadsPerCore = Math.max(
    1,
    ...[...pools.values()].flatMap((p) => p.cores.map((c) => c.threads.length)),
  );
  const budget = { steps: 0, max: maxSteps };
  const byFile = [...items].sort((a, b) => a.index - b.index);
  const all = findPacking(byFile, pools, pagesFree, smt, threadsPerCore, budget);
  let packing: Map<string, CpuAlloc> = all ?? new Map<string, CpuAlloc>();
  let kept = byFile;
  if (!all) {
    // No packing of all: keep VNFs in file order as long as the kept set still packs, so the
    // VNFs reported as not fitting are the ones the file lists last.
    kept = [];
    for (const it of byFile) {
      const attempt: Map<string, CpuAlloc> | null =
        budget.steps < budget.max
          ? findPacking([...kept, it], pools, pagesFree, smt, threadsPerCore, budget)
          : extendGreedily(packing, kept, it, pools, pagesFree, smt);
      if (attempt) {
        kept.push(it);
        packing = attempt;
      }
    }
  }
  // Re-allocate the chosen nodes in file order so CPU numbers follow the file (the first VNF gets
  // the lowest cores); if a mixed-policy corner case does not fit that way, keep the search's.
  const nodeOf = new Map<string, number>();
  for (const [name, a] of packing) nodeOf.set(name, a.node);
  const allocs = allocateInOrder(kept, nodeOf, pools, smt) ?? packing;
  for (const it of kept) {
    const a = allocs.get(it.name)!;
    commit(a);
    pagesFree.set(a.node, (pagesFree.get(a.node) ?? 0) - it.pages);
  }
  const keptNames = new Set(kept.map((it) => it.name));
  const unplaced = byFile.filter((it) => !keptNames.has(it.name));
  return { allocs, unplaced, steps: budget.steps, exhausted: budget.steps >= budget.max };
}

/**
 * A packing of every item, or null: depth-first over node choices, most constrained VNF first,
 * alike nodes tried once, cut when the remaining demand exceeds the free total. Leaves the pools
 * as it found them; the returned allocations are valid together on those pools.
 */
function findPacking(
  list: PlacementItem[],
  pools: Map<number, NodePool>,
  pagesFree: Map<number, number>,
  smt: boolean,
  threadsPerCore: number,
  budget: { steps: number; max: number },
): Map<string, CpuAlloc> | null {
  const order = [...list].sort(
    (a, b) =>
      a.candidates.length - b.candidates.length ||
      coreDemand(b, threadsPerCore) - coreDemand(a, threadsPerCore) ||
      b.pages - a.pages ||
      a.index - b.index,
  );
  const n = order.length;
  // Two nodes are interchangeable only if every VNF accepts both or neither.
  const membership = new Map<number, string>();
  for (const node of pools.keys()) {
    membership.set(node, order.map((it) => (it.candidates.includes(node) ? "1" : "0")).join(""));
  }
  const suffixCores: number[] = new Array<number>(n + 1).fill(0);
  const suffixPages: number[] = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    suffixCores[i] = suffixCores[i + 1]! + coreDemand(order[i]!, threadsPerCore);
    suffixPages[i] = suffixPages[i + 1]! + order[i]!.pages;
  }
  // Identical VNFs are interchangeable: each takes a node no earlier than its twin before it.
  const sameAsPrev = order.map(
    (it, i) =>
      i > 0 &&
      it.vcpus === order[i - 1]!.vcpus &&
      it.policy === order[i - 1]!.policy &&
      it.pages === order[i - 1]!.pages &&
      it.candidates.join() === order[i - 1]!.candidates.join(),
  );
  const chosenIdx: number[] = new Array<number>(n).fill(0);
  const chosen: CpuAlloc[] = [];
  let found: Map<string, CpuAlloc> | null = null;

  /**
   * Whole-core VNFs cannot use a node's last cores if no subset of them adds up to that: each node
   * holds at most the largest subset sum of the remaining demands not above its free cores.
   */
  const wholeCoresFit = (from: number): boolean => {
    const demands: number[] = [];
    for (let k = from; k < n; k++)
      if (order[k]!.policy !== "share") demands.push(coreDemand(order[k]!, threadsPerCore));
    if (demands.length === 0) return true;
    const free = [...pools.values()].map(freeCoreCount);
    const max = Math.max(...free);
    if (demands.length * (max + 1) > 50_000) return true;
    const reach = new Array<boolean>(max + 1).fill(false);
    reach[0] = true;
    for (const d of demands) for (let v = max; v >= d; v--) if (reach[v - d]) reach[v] = true;
    let room = 0;
    for (const f of free) {
      let v = f;
      while (v > 0 && !reach[v]) v--;
      room += v;
    }
    return room >= demands.reduce((a, b) => a + b, 0);
  };

  const freeTotals = (): { cores: number; pages: number } => {
    let cores = 0;
    let pages = 0;
    for (const p of pools.values()) {
      cores += freeCoreCount(p);
      for (const c of p.cores)
        if (c.shared) cores += c.threadOwner.filter((o) => o === null).length / threadsPerCore;
      pages += pagesFree.get(p.node) ?? 0;
    }
    return { cores, pages };
  };

  const search = (i: number): boolean => {
    if (i === n) {
      found = new Map(chosen.map((a) => [a.vnf, { ...a }]));
      return true;
    }
    if (budget.steps >= budget.max) return false;
    const totals = freeTotals();
    if (suffixCores[i]! > totals.cores + 1e-9 || suffixPages[i]! > totals.pages) return false;
    if (!wholeCoresFit(i)) return false;
    const item = order[i]!;
    const tried = new Set<string>();
    for (let ci = sameAsPrev[i] ? chosenIdx[i - 1]! : 0; ci < item.candidates.length; ci++) {
      const node = item.candidates[ci]!;
      if (budget.steps >= budget.max) return false;
      const pool = pools.get(node);
      const free = pagesFree.get(node) ?? 0;
      if (!pool || free < item.pages) continue;
      const sig = `${poolSignature(pool)}|${free}|${membership.get(node)}`;
      if (tried.has(sig)) continue;
      tried.add(sig);
      budget.steps++;
      const alloc = allocate(pool, item.name, item.vcpus, item.policy, smt);
      if (!alloc) continue;
      commit(alloc);
      pagesFree.set(node, free - item.pages);
      chosen.push(alloc);
      chosenIdx[i] = ci;
      const ok = search(i + 1);
      chosen.pop();
      pagesFree.set(node, free);
      release(alloc);
      if (ok) return true;
    }
    return false;
  };
  search(0);
  return found;
}

/** Out of search budget: keep the packing so far and put the next VNF on its first node that fits. */
function extendGreedily(
  packing: Map<string, CpuAlloc>,
  kept: PlacementItem[],
  item: PlacementItem,
  pools: Map<number, NodePool>,
  pagesFree: Map<number, number>,
  smt: boolean,
): Map<string, CpuAlloc> | null {
  const used = new Map<number, number>();
  for (const it of kept) {
    const a = packing.get(it.name)!;
    commit(a);
    used.set(a.node, (used.get(a.node) ?? 0) + it.pages);
  }
  let result: Map<string, CpuAlloc> | null = null;
  for (const node of item.candidates) {
    if ((pagesFree.get(node) ?? 0) - (used.get(node) ?? 0) < item.pages) continue;
    const a = allocate(pools.get(node)!, item.name, item.vcpus, item.policy, smt);
    if (a) {
      result = new Map(packing);
      result.set(item.name, a);
      break;
    }
  }
  for (const it of [...kept].reverse()) release(packing.get(it.name)!);
  return result;
}

function allocateInOrder(
  list: PlacementItem[],
  nodeOf: Map<string, number>,
  pools: Map<number, NodePool>,
  smt: boolean,
): Map<string, CpuAlloc> | null {
  const done: CpuAlloc[] = [];
  const out = new Map<string, CpuAlloc>();
  for (const it of list) {
    const a = allocate(pools.get(nodeOf.get(it.name)!)!, it.name, it.vcpus, it.policy, smt);
    if (!a) {
      for (const d of done.reverse()) release(d);
      return null;
    }
    commit(a);
    done.push(a);
    out.set(it.name, a);
  }
  // The caller commits the winner; leave the pools as they were.
  for (const d of [...done].reverse()) release(d);
  return out;
}
