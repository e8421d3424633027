/**
 * The large-fleet fast path in front of the exact solver. The solver's first pass scores every
 * (VNF, node) pair, which is 20 million pairs for 10,000 VNFs over 1,000 hosts; here a segment
 * tree over hosts finds the first host with a node that has room, and the solver's own capacity
 * rules (CapacityState.tryTake) and best fit over that host's nodes decide; the answer is re-checked
 * by the solver's checkAnswer. When it places every VNF nothing places more; otherwise the whole
 * problem goes to solvePlacement, unless it is too large for it (./solve.ts).
 */
import { bestFit } from "../plan/solve/firstPass.js";
import {
  checkAnswer,
  type PlacementProblem,
  type SolverPlacement,
  type SolverVnf,
} from "../plan/solve/index.js";
import { CapacityState, type Slot } from "../plan/solve/state.js";

/** Most free whole cores on any node of each host, as a max segment tree over host indices. */
class RoomTree {
  private readonly size: number;
  private readonly tree: number[];
  constructor(
    private readonly s: CapacityState,
    private readonly hostNodes: number[][],
  ) {
    let size = 1;
    while (size < hostNodes.length) size *= 2;
    this.size = size;
    this.tree = new Array<number>(2 * size).fill(-1);
    for (let i = 0; i < hostNodes.length; i++) this.tree[size + i] = this.room(i);
    for (let k = size - 1; k >= 1; k--) this.tree[k] = Math.max(this.tree[2 * k]!, this.tree[2 * k + 1]!);
  }
  private room(host: number): number {
    let best = 0;
    for (const ni of this.hostNodes[host]!) {
      let cores = 0;
      for (const k of this.s.nodes[ni]!.free) cores += k;
      if (cores > best) best = cores;
    }
    return best;
  }
  update(host: number): void {
    let k = this.size + host;
    this.tree[k] = this.room(host);
    for (k >>= 1; k >= 1; k >>= 1) this.tree[k] = Math.max(this.tree[2 * k]!, this.tree[2 * k + 1]!);
  }
  at(host: number): number {
    return this.tree[this.size + host]!;
  }
  /** First host index >= from with a node of at least `need` free whole cores, or -1. */
  first(from: number, need: number): number {
    const walk = (k: number, lo: number, hi: number): number => {
      if (hi <= from || this.tree[k]! < need) return -1;
      if (hi - lo === 1) return lo < this.hostNodes.length ? lo : -1;
      const mid = (lo + hi) >> 1;
      const left = walk(2 * k, lo, mid);
      return left !== -1 ? left : walk(2 * k + 1, mid, hi);
    };
    return walk(1, 0, this.size);
  }
}

/** Whole cores a VNF needs at the least on any node (share: none, it may use shared threads). */
function minCores(v: SolverVnf, maxThreads: number): number {
  if (v.threadPolicy === "share") return 0;
  return v.threadPolicy === "isolate" ? v.vcpus : Math.ceil(v.vcpus / maxThreads);
}

/**
 * First fit of every VNF it can, in the solver's first-pass order: priority, fewest hosts, largest.
 * `complete` when every VNF is placed (then nothing places more).
 */
export function firstFit(problem: PlacementProblem): { placements: SolverPlacement[]; complete: boolean } {
  const s = new CapacityState(problem);
  const hostIndex = new Map(problem.hosts.map((h, i) => [h.id, i]));
  const hostNodes: number[][] = problem.hosts.map((_, hi) => [...s.nodeIndex[hi]!.values()]);
  const tree = new RoomTree(s, hostNodes);
  const maxThreads = Math.max(1, ...problem.hosts.flatMap((h) => h.nodes.flatMap((n) => n.freeCores)));
  const allowed = problem.vnfs.map((v) =>
    v.hosts
      ? v.hosts
          .map((h) => hostIndex.get(h) ?? -1)
          .filter((i) => i >= 0)
          .sort((a, b) => a - b)
      : null,
  );
  const order = problem.vnfs
    .map((_, i) => i)
    .sort((a, b) => {
      const va = problem.vnfs[a]!;
      const vb = problem.vnfs[b]!;
      return (
        (vb.priority ?? 0) - (va.priority ?? 0) ||
        (allowed[a]?.length ?? problem.hosts.length) - (allowed[b]?.length ?? problem.hosts.length) ||
        vb.vcpus - va.vcpus ||
        vb.pages - va.pages ||
        a - b
      );
    });
  const hostSlots: Slot[][] = hostNodes.map((nodes, hi) => nodes.map((ni) => ({ host: hi, node: ni })));
  const slotsOf = (v: SolverVnf, hi: number): Slot[] =>
    v.node === undefined ? hostSlots[hi]! : hostSlots[hi]!.filter((sl) => s.nodes[sl.node]!.id === v.node);
  const placements: SolverPlacement[] = [];
  let complete = true;
  for (const i of order) {
    const v = problem.vnfs[i]!;
    const need = minCores(v, maxThreads);
    const tryHost = (hi: number): boolean => {
      const t = bestFit(s, v, slotsOf(v, hi));
      if (!t) return false;
      s.commit(v, t);
      placements.push(s.placement(v, t));
      tree.update(hi);
      return true;
    };
    let done = false;
    const list = allowed[i];
    if (list) {
      for (const hi of list) if (tree.at(hi) >= need && (done = tryHost(hi))) break;
    } else {
      for (let hi = tree.first(0, need); hi !== -1 && !done; hi = tree.first(hi + 1, need))
        done = tryHost(hi);
    }
    if (!done) complete = false;
  }
  const order2 = new Map(problem.vnfs.map((v, i) => [v.name, i]));
  placements.sort((a, b) => order2.get(a.vnf)! - order2.get(b.vnf)!);
  const broken = checkAnswer(problem, placements);
  if (broken.length > 0) throw new Error(`fleet first fit breaks capacity: ${broken.join("; ")}`);
  return { placements, complete };
}
