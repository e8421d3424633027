/**
 * Joint placement of VNFs on NUMA nodes: a depth-first branch-and-bound over node choices.
 *
 * - VNFs are searched most-constrained first (fewest candidate nodes, then most cores, then most
 *   pages, then file order), so the first descent already packs most real topologies.
 * - At each VNF the candidate nodes are tried in id order; nodes whose free capacity is identical
 *   (same free cores, shared threads and pages) are tried once (NPS4 hosts have 8 alike nodes).
 * - Bound: a branch is cut as soon as the remaining VNFs need more cores or pages than all nodes
 *   still have together.
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
): PlacementResult {
  const threadsPerCore = Math.max(1, ...[...pools.values()].flatMap((p) => p.cores.map((c) => c.threads.length)));
  const budget = { steps: 0 };
  const byFile = [...items].sort((a, b) => a.index - b.index);
  let packing = findPacking(byFile, pools, pagesFree, smt, threadsPerCore, budget);
  let kept = byFile;
  if (!packing) {
    // No packing of all: keep VNFs in file order as long as the kept set still packs, so the
    // VNFs reported as not fitting are the ones the file lists last.
    kept = [];
    packing = new Map();
    for (const it of byFile) {
      const attempt = findPacking([...kept, it], pools, pagesFree, smt, threadsPerCore, budget);
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
  return { allocs, unplaced, steps: budget.steps, exhausted: budget.steps >= MAX_STEPS };
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
  budget: { steps: number },
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
  const chosen: CpuAlloc[] = [];
  let found: Map<string, CpuAlloc> | null = null;

  const freeTotals = (): { cores: number; pages: number } => {
    let cores = 0;
    let pages = 0;
    for (const p of pools.values()) {
      cores += freeCoreCount(p);
      for (const c of p.cores) if (c.shared) cores += c.threadOwner.filter((o) => o === null).length / threadsPerCore;
      pages += pagesFree.get(p.node) ?? 0;
    }
    return { cores, pages };
  };

  const search = (i: number): boolean => {
    if (i === n) {
      found = new Map(chosen.map((a) => [a.vnf, { ...a }]));
      return true;
    }
    if (budget.steps >= MAX_STEPS) return false;
    const totals = freeTotals();
    if (suffixCores[i]! > totals.cores + 1e-9 || suffixPages[i]! > totals.pages) return false;
    const item = order[i]!;
    const tried = new Set<string>();
    for (const node of item.candidates) {
      if (budget.steps >= MAX_STEPS) return false;
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
