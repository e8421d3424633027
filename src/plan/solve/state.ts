/**
 * Mutable free capacity of a problem's hosts, and the rules that take from it: whole cores by
 * thread policy, shared threads, hugepages, VFs and VLAN budgets. The first pass (./firstPass.ts)
 * and the answer checks use it; the MILP (./milp.ts) states the same rules as linear constraints.
 */
import type { PlacementProblem, SolverHost, SolverPlacement, SolverVnf, ThreadPolicy } from "./types.js";

export interface NodeState {
  host: number;
  id: number;
  /** free[t] = free whole cores with t usable threads. */
  free: number[];
  /** Free threads on shared cores (cores split between share VNFs). */
  shared: number;
  /** Whole cores this search split for share VNFs, by thread count (given back when they empty). */
  converted: number[];
  pages: Map<number, number>;
  /** What the node had at the start, to score how tight a placement leaves it. */
  coreCap: number;
  pageCap: number;
}

export interface PfState {
  host: number;
  name: string;
  node: number | null;
  vfs: number;
  budget: number | null;
  vlans: Map<number, number>;
}

export interface Slot {
  host: number;
  node: number;
}

export interface Take {
  slot: Slot;
  cores: number[];
  /** Threads taken from cores already shared, and cores newly shared (by thread count). */
  sharedUsed: number;
  newlyShared: number[];
  vfs: { pf: number; count: number; vlans: number[] }[];
}

export const MAX_THREADS = 8;

export class CapacityState {
  readonly nodes: NodeState[] = [];
  readonly pfs: PfState[] = [];
  /** nodes of host h: nodeIndex[h].get(nodeId) -> index in nodes. */
  readonly nodeIndex: Map<number, number>[] = [];
  readonly pfsOfHost: number[][] = [];
  /** Affinity bookkeeping: key -> scope value -> count of placed VNFs. */
  readonly affinity = new Map<string, Map<string, number>>();
  readonly anti = new Map<string, Map<string, number>>();

  constructor(readonly problem: PlacementProblem) {
    problem.hosts.forEach((h, hi) => {
      const idx = new Map<number, number>();
      for (const n of h.nodes) {
        const free = new Array<number>(MAX_THREADS + 1).fill(0);
        for (const t of n.freeCores) free[Math.min(MAX_THREADS, Math.max(1, t))]!++;
        const pages = new Map(Object.entries(n.pagesFree).map(([k, v]) => [Number(k), v]));
        idx.set(n.id, this.nodes.length);
        this.nodes.push({
          host: hi,
          id: n.id,
          free,
          shared: n.sharedThreadsFree,
          converted: new Array<number>(MAX_THREADS + 1).fill(0),
          pages,
          coreCap: Math.max(1, n.freeCores.length),
          pageCap: Math.max(
            1,
            [...pages.values()].reduce((a, b) => a + b, 0),
          ),
        });
      }
      this.nodeIndex.push(idx);
      this.pfsOfHost.push(
        h.pfs.map((p) => {
          this.pfs.push({
            host: hi,
            name: p.name,
            node: p.node,
            vfs: p.vfsFree,
            budget: p.vlanBudget,
            vlans: new Map(p.vlansInUse.map((v) => [v, 1])),
          });
          return this.pfs.length - 1;
        }),
      );
    });
  }

  scopeValue(host: SolverHost, scope: string): string {
    if (scope === "host") return `host:${host.id}`;
    const key = scope.slice("label:".length);
    const v = host.labels?.[key];
    return v === undefined ? `host:${host.id}` : `label:${v}`;
  }

  /** Nodes the VNF may use whatever else is placed (pins, allowed hosts, PF locality, size). */
  slots(v: SolverVnf): Slot[] {
    const out: Slot[] = [];
    this.problem.hosts.forEach((h, hi) => {
      if (v.hosts && !v.hosts.includes(h.id)) return;
      for (const n of h.nodes) {
        if (v.node !== undefined && n.id !== v.node) continue;
        const local = (p: { node: number | null }) => p.node === null || p.node === n.id;
        const vfOk = v.vfs.every((need) =>
          need.pf !== undefined
            ? h.pfs.some((p) => p.name === need.pf && local(p) && p.vfsFree >= need.count)
            : h.pfs.filter(local).reduce((s, p) => s + p.vfsFree, 0) >= need.count,
        );
        if (!vfOk) continue;
        const ni = this.nodeIndex[hi]!.get(n.id)!;
        if (!coresFor(this.nodes[ni]!.free, this.nodes[ni]!.shared, v.threadPolicy, v.vcpus)) continue;
        if ((this.nodes[ni]!.pages.get(v.pageSizeKiB) ?? 0) < v.pages) continue;
        out.push({ host: hi, node: ni });
      }
    });
    return out;
  }

  /** What placing v on the slot takes now, or null when it does not fit. */
  tryTake(v: SolverVnf, slot: Slot): Take | null {
    const node = this.nodes[slot.node]!;
    const host = this.problem.hosts[slot.host]!;
    if ((node.pages.get(v.pageSizeKiB) ?? 0) < v.pages) return null;
    if (v.affinity) {
      const placed = this.affinity.get(v.affinity.key);
      const val = this.scopeValue(host, v.affinity.scope);
      if (placed && [...placed].some(([k, c]) => c > 0 && k !== val)) return null;
    }
    if (v.antiAffinity) {
      const val = this.scopeValue(host, v.antiAffinity.scope);
      if ((this.anti.get(v.antiAffinity.key)?.get(val) ?? 0) > 0) return null;
    }
    const cores = coresFor(node.free, node.shared, v.threadPolicy, v.vcpus);
    if (!cores) return null;
    const vfs: Take["vfs"] = [];
    const used = new Map<number, number>();
    const vlansAdded = new Map<number, Set<number>>();
    for (const need of v.vfs) {
      const candidates = this.pfsOfHost[slot.host]!.filter((pi) => {
        const p = this.pfs[pi]!;
        return (p.node === null || p.node === node.id) && (need.pf === undefined || p.name === need.pf);
      });
      let left = need.count;
      // Named PF: that one. Any PF: the one with the most free VFs first, so the need stays on one PF.
      const order = [...candidates].sort(
        (a, b) => this.pfs[b]!.vfs - (used.get(b) ?? 0) - (this.pfs[a]!.vfs - (used.get(a) ?? 0)) || a - b,
      );
      for (const pi of order) {
        if (left === 0) break;
        const p = this.pfs[pi]!;
        const avail = p.vfs - (used.get(pi) ?? 0);
        if (avail <= 0) continue;
        const added = vlansAdded.get(pi) ?? new Set<number>();
        const fresh = need.vlans.filter((x) => !p.vlans.has(x) && !added.has(x));
        if (p.budget !== null && p.vlans.size + added.size + fresh.length > p.budget) continue;
        for (const x of fresh) added.add(x);
        vlansAdded.set(pi, added);
        const k = Math.min(avail, left);
        used.set(pi, (used.get(pi) ?? 0) + k);
        vfs.push({ pf: pi, count: k, vlans: need.vlans });
        left -= k;
      }
      if (left > 0) return null;
    }
    return {
      slot,
      cores: cores.cores,
      sharedUsed: cores.sharedUsed,
      newlyShared: cores.newlyShared,
      vfs,
    };
  }

  commit(v: SolverVnf, t: Take, sign: 1 | -1 = 1): void {
    const node = this.nodes[t.slot.node]!;
    t.cores.forEach((k, th) => (node.free[th]! -= sign * k));
    // Shared threads are counted in total, not per VNF, so VNFs can leave in any order (the local
    // search removes them out of order): a share VNF splits free cores, smallest first, until
    // the shared threads cover every share vCPU; when one leaves, split cores that are no longer
    // needed become whole again.
    if (v.threadPolicy === "share") {
      node.shared -= sign * v.vcpus;
      for (let th = 1; th <= MAX_THREADS && node.shared < 0; th++) {
        while (node.shared < 0 && node.free[th]! > 0) {
          node.free[th]!--;
          node.converted[th]!++;
          node.shared += th;
        }
      }
      for (let th = MAX_THREADS; th >= 1; th--) {
        while (node.converted[th]! > 0 && node.shared >= th) {
          node.converted[th]!--;
          node.free[th]!++;
          node.shared -= th;
        }
      }
    }
    node.pages.set(v.pageSizeKiB, (node.pages.get(v.pageSizeKiB) ?? 0) - sign * v.pages);
    for (const f of t.vfs) {
      const p = this.pfs[f.pf]!;
      p.vfs -= sign * f.count;
      for (const x of f.vlans) {
        const c = (p.vlans.get(x) ?? 0) + sign;
        if (c <= 0) p.vlans.delete(x);
        else p.vlans.set(x, c);
      }
    }
    const host = this.problem.hosts[t.slot.host]!;
    const bump = (map: Map<string, Map<string, number>>, key: string, val: string) => {
      const m = map.get(key) ?? new Map<string, number>();
      m.set(val, (m.get(val) ?? 0) + sign);
      map.set(key, m);
    };
    if (v.affinity) bump(this.affinity, v.affinity.key, this.scopeValue(host, v.affinity.scope));
    if (v.antiAffinity) bump(this.anti, v.antiAffinity.key, this.scopeValue(host, v.antiAffinity.scope));
  }

  placement(v: SolverVnf, t: Take): SolverPlacement {
    const coresByThreads: Record<string, number> = {};
    t.cores.forEach((k, th) => {
      if (k > 0) coresByThreads[String(th)] = k;
    });
    const vfs = new Map<string, number>();
    for (const f of t.vfs) vfs.set(this.pfs[f.pf]!.name, (vfs.get(this.pfs[f.pf]!.name) ?? 0) + f.count);
    return {
      vnf: v.name,
      host: this.problem.hosts[t.slot.host]!.id,
      node: this.nodes[t.slot.node]!.id,
      coresByThreads,
      sharedThreads: v.threadPolicy === "share" ? v.vcpus : 0,
      vfs: [...vfs].map(([pf, count]) => ({ pf, count })),
    };
  }
}

/**
 * Whole cores (by thread count) a VNF takes from a node's free cores, or for share the threads
 * it takes from shared cores and the cores it newly shares. Picks what wastes least: isolate
 * takes single-thread cores first, prefer/require fill the most threads per core first.
 */
export function coresFor(
  free: readonly number[],
  shared: number,
  policy: ThreadPolicy,
  vcpus: number,
): { cores: number[]; sharedUsed: number; newlyShared: number[] } | null {
  const cores = new Array<number>(free.length).fill(0);
  const newlyShared = new Array<number>(free.length).fill(0);
  const avail = [...free];
  if (policy === "isolate") {
    let left = vcpus;
    for (let t = 1; t < avail.length && left > 0; t++) {
      const k = Math.min(avail[t]!, left);
      cores[t] = k;
      left -= k;
    }
    return left === 0 ? { cores, sharedUsed: 0, newlyShared } : null;
  }
  if (policy === "prefer" || policy === "require") {
    const min = policy === "require" ? 2 : 1;
    let left = vcpus;
    // Largest cores while they fill completely, then the smallest core that covers the rest.
    for (let t = avail.length - 1; t >= min && left > 0; t--) {
      while (avail[t]! > 0 && left >= t) {
        avail[t]!--;
        cores[t]!++;
        left -= t;
      }
    }
    while (left > 0) {
      let pickT = -1;
      for (let t = min; t < avail.length; t++)
        if (avail[t]! > 0 && t >= left) {
          pickT = t;
          break;
        }
      if (pickT < 0)
        for (let t = avail.length - 1; t >= min; t--) if (avail[t]! > 0) pickT = pickT < 0 ? t : pickT;
      if (pickT < 0) return null;
      avail[pickT]!--;
      cores[pickT]!++;
      left -= Math.min(left, pickT);
    }
    return { cores, sharedUsed: 0, newlyShared };
  }
  const fromShared = Math.min(shared, vcpus);
  let left = vcpus - fromShared;
  for (let t = 1; t < avail.length && left > 0; t++) {
    while (avail[t]! > 0 && left > 0) {
      avail[t]!--;
      newlyShared[t]!++;
      left -= Math.min(left, t);
    }
  }
  return left === 0 ? { cores, sharedUsed: fromShared, newlyShared } : null;
}
