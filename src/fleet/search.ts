/**
 * Placement of VNFs over hosts on the capacity model (./capacity.ts): pins, selectors, running VNFs
 * fixed, affinity groups on one host, anti-affinity groups never sharing a host or a label value.
 * Pure and deterministic: host order in the inventory and VNF order in the file do not change the
 * result beyond the documented tie-breaks (priority, then name).
 */
import type { NetworkSpec, VnfSpec } from "../topology/types.js";
import { coresFor, demandOf, type Demand, type HostCapacity } from "./capacity.js";
import type { FleetGroup } from "./types.js";

export interface SearchHost {
  name: string;
  labels: Record<string, string>;
  cap: HostCapacity;
}

export interface SearchVnf {
  spec: VnfSpec;
  priority: number;
  /** Hosts it may go to (pin, selector, evictions); null: all. */
  allowed: Set<string> | null;
  /** Already runs there: stays, takes nothing more (its use is in the host's capacity). */
  fixed?: string;
}

export interface Spot {
  host: string;
  node: number;
}

interface State {
  cores: Map<string, number[]>;
  pages: Map<string, number[]>;
  vfs: Map<string, Map<string, number>>;
}

function initState(hosts: readonly SearchHost[]): State {
  const s: State = { cores: new Map(), pages: new Map(), vfs: new Map() };
  for (const h of hosts) {
    s.cores.set(
      h.name,
      h.cap.nodes.map((n) => n.cores),
    );
    s.pages.set(
      h.name,
      h.cap.nodes.map((n) => n.pages),
    );
    s.vfs.set(h.name, new Map([...h.cap.pfs].map(([pf, p]) => [pf, p.free])));
  }
  return s;
}

/** The group label a host has for an anti-affinity key ("host": its name). */
export function labelOf(
  h: { name: string; labels: Record<string, string> },
  key: string,
): string | undefined {
  return key === "host" ? h.name : h.labels[key];
}

export interface SearchResult {
  placed: Map<string, Spot>;
  unplaced: string[];
}

/** Demands are computed once per (VNF, host): the hot loop only compares numbers. */
class Demands {
  private cache = new Map<string, Demand>();
  constructor(private readonly networks: readonly NetworkSpec[]) {}
  of(v: SearchVnf, h: SearchHost): Demand {
    // A VNF without interfaces needs the same of every host with its page size.
    const key =
      v.spec.interfaces.length === 0
        ? `${v.spec.name}\u0000#${h.cap.pageSizeKiB}`
        : `${v.spec.name}\u0000${h.name}`;
    let d = this.cache.get(key);
    if (!d) {
      d = demandOf(v.spec, h.cap, this.networks);
      this.cache.set(key, d);
    }
    return d;
  }
}

/**
 * Max free cores per host over a segment tree: "the first host from i with a node of at least n
 * free cores" in O(log hosts), so large fleets are searched first-fit without scanning every host.
 */
class FreeCores {
  private readonly size: number;
  private readonly tree: number[];
  constructor(
    private readonly hosts: readonly SearchHost[],
    private readonly st: State,
  ) {
    this.size = 1;
    while (this.size < hosts.length) this.size *= 2;
    this.tree = new Array<number>(2 * this.size).fill(-1);
    hosts.forEach((_, i) => this.update(i));
  }
  update(i: number): void {
    let k = this.size + i;
    this.tree[k] = Math.max(-1, ...this.st.cores.get(this.hosts[i]!.name)!);
    for (k >>= 1; k >= 1; k >>= 1) this.tree[k] = Math.max(this.tree[2 * k]!, this.tree[2 * k + 1]!);
  }
  /** First host index >= from whose best node has >= need free cores, or -1. */
  first(from: number, need: number, k = 1, lo = 0, hi = this.size): number {
    if (hi <= from || this.tree[k]! < need) return -1;
    if (hi - lo === 1) return lo < this.hosts.length ? lo : -1;
    const mid = (lo + hi) >> 1;
    const left = this.first(from, need, 2 * k, lo, mid);
    return left !== -1 ? left : this.first(from, need, 2 * k + 1, mid, hi);
  }
}

/** Fleets larger than this are searched first-fit through FreeCores, smaller ones best-fit. */
const BEST_FIT_HOSTS = 64;

/** The node of h that fits v best (least cores left), or null. */
function bestNode(v: SearchVnf, h: SearchHost, d: Demand, st: State): { node: number; slack: number } | null {
  if (d.missing !== null) return null;
  const cores = st.cores.get(h.name)!;
  const pages = st.pages.get(h.name)!;
  const vfs = st.vfs.get(h.name)!;
  for (const [pf, n] of d.vfs) if ((vfs.get(pf) ?? 0) < n) return null;
  let best: { node: number; slack: number } | null = null;
  h.cap.nodes.forEach((n, i) => {
    if (d.nodes !== null && !d.nodes.includes(n.node)) return;
    const need = coresFor(v.spec, n.threadsPerCore);
    if (cores[i]! < need || pages[i]! < d.pages) return;
    const slack = cores[i]! - need;
    if (best === null || slack < best.slack) best = { node: n.node, slack };
  });
  return best;
}

function take(v: SearchVnf, h: SearchHost, d: Demand, node: number, st: State, sign: 1 | -1): void {
  const i = h.cap.nodes.findIndex((n) => n.node === node);
  st.cores.get(h.name)![i]! -= sign * coresFor(v.spec, h.cap.nodes[i]!.threadsPerCore);
  st.pages.get(h.name)![i]! -= sign * d.pages;
  const vfs = st.vfs.get(h.name)!;
  for (const [pf, n] of d.vfs) vfs.set(pf, (vfs.get(pf) ?? 0) - sign * n);
}

/** Size of a VNF for ordering: cores first, then pages. */
function weight(v: SearchVnf): number {
  return v.spec.vcpus * 1e6 + v.spec.memoryKiB / 1024;
}

function runOrder(
  hosts: readonly SearchHost[],
  vnfs: readonly SearchVnf[],
  groups: readonly FleetGroup[],
  demands: Demands,
  order: "large" | "small" | { prefix: number },
): SearchResult {
  const st = initState(hosts);
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const placed = new Map<string, Spot>();
  const groupsOf = new Map<string, FleetGroup[]>();
  for (const g of groups) for (const n of g.vnfs) groupsOf.set(n, [...(groupsOf.get(n) ?? []), g]);
  for (const v of vnfs) if (v.fixed !== undefined) placed.set(v.spec.name, { host: v.fixed, node: -1 });

  // Affinity groups travel as one unit: their members are ordered together, the first decides.
  const unitOf = new Map<string, string>();
  for (const g of groups)
    if (g.affinity) for (const n of g.vnfs) unitOf.set(n, unitOf.get(g.vnfs[0]!) ?? g.vnfs[0]!);
  const free = vnfs.filter((v) => v.fixed === undefined);
  const unitWeight = new Map<string, number>();
  const unitAllowed = new Map<string, number>();
  for (const v of free) {
    const u = unitOf.get(v.spec.name) ?? v.spec.name;
    unitWeight.set(u, (unitWeight.get(u) ?? 0) + weight(v));
    unitAllowed.set(u, Math.min(unitAllowed.get(u) ?? Infinity, v.allowed?.size ?? hosts.length));
  }
  const unit = (v: SearchVnf) => unitOf.get(v.spec.name) ?? v.spec.name;
  const compare = (kind: "large" | "small") => (a: SearchVnf, b: SearchVnf) => {
    const ua = unit(a);
    const ub = unit(b);
    // Largest first packs tight fleets where all fits, the constrained (pinned, selected) first;
    // smallest first keeps the most VNFs when not all fit, whatever their constraints.
    const constrained = unitAllowed.get(ua)! - unitAllowed.get(ub)!;
    const size =
      kind === "large"
        ? unitWeight.get(ub)! - unitWeight.get(ua)!
        : unitWeight.get(ua)! - unitWeight.get(ub)!;
    return (
      b.priority - a.priority ||
      (kind === "large" ? constrained || size : size || constrained) ||
      (ua < ub ? -1 : ua > ub ? 1 : 0) ||
      (a.spec.name < b.spec.name ? -1 : 1)
    );
  };
  let sorted: SearchVnf[];
  if (typeof order === "string") sorted = [...free].sort(compare(order));
  else {
    // The k VNFs smallest first would keep, packed largest first, then the rest smallest first.
    const small = [...free].sort(compare("small"));
    sorted = [...small.slice(0, order.prefix).sort(compare("large")), ...small.slice(order.prefix)];
  }

  const allowedBy = (v: SearchVnf, h: SearchHost): boolean => {
    if (v.allowed !== null && !v.allowed.has(h.name)) return false;
    for (const g of groupsOf.get(v.spec.name) ?? []) {
      for (const other of g.vnfs) {
        if (other === v.spec.name) continue;
        const spot = placed.get(other);
        if (!spot) continue;
        if (g.affinity && spot.host !== h.name) return false;
        if (g.antiAffinity) {
          const mine = labelOf(h, g.antiAffinity);
          const theirs = labelOf(byName.get(spot.host) ?? { name: spot.host, labels: {} }, g.antiAffinity);
          // A host without the label cannot prove it is elsewhere: it shares nothing only by name.
          if (mine === undefined || theirs === undefined ? h.name === spot.host : mine === theirs)
            return false;
        }
      }
    }
    return true;
  };

  const index = new Map(hosts.map((h, i) => [h.name, i]));
  const freeCores = hosts.length > BEST_FIT_HOSTS ? new FreeCores(hosts, st) : null;
  for (const v of sorted) {
    let best: { h: SearchHost; node: number; slack: number } | null = null;
    if (freeCores && v.allowed === null && !groupsOf.has(v.spec.name)) {
      const need = Math.min(coresFor(v.spec, 1), coresFor(v.spec, 2));
      for (let i = freeCores.first(0, need); i !== -1; i = freeCores.first(i + 1, need)) {
        const h = hosts[i]!;
        const fit = bestNode(v, h, demands.of(v, h), st);
        if (fit) {
          best = { h, ...fit };
          break;
        }
      }
      if (best) {
        take(v, best.h, demands.of(v, best.h), best.node, st, 1);
        placed.set(v.spec.name, { host: best.h.name, node: best.node });
        freeCores.update(index.get(best.h.name)!);
      }
      continue;
    }
    for (const h of hosts) {
      if (!allowedBy(v, h)) continue;
      const fit = bestNode(v, h, demands.of(v, h), st);
      if (fit && (best === null || fit.slack < best.slack)) {
        best = { h, ...fit };
        if (fit.slack === 0) break;
      }
    }
    if (best) {
      take(v, best.h, demands.of(v, best.h), best.node, st, 1);
      placed.set(v.spec.name, { host: best.h.name, node: best.node });
      freeCores?.update(index.get(best.h.name)!);
    }
  }

  // Repair: a VNF left out may fit where one placed VNF (of no higher priority, in no affinity
  // group) moves elsewhere: try each such single move, within a work budget.
  const inGroup = new Set(groups.filter((g) => g.affinity).flatMap((g) => g.vnfs));
  const byVnf = new Map(free.map((v) => [v.spec.name, v]));
  // Large fleets skip it: its scan is quadratic, and their first-fit leaves little behind.
  let budget = hosts.length > BEST_FIT_HOSTS ? 0 : 200_000;
  const bestSpot = (v: SearchVnf, skip: { host: string; node: number } | null) => {
    let best: { h: SearchHost; node: number; slack: number } | null = null;
    for (const h of hosts) {
      budget--;
      if (!allowedBy(v, h)) continue;
      const fit = bestNode(v, h, demands.of(v, h), st);
      if (!fit || (skip && skip.host === h.name && skip.node === fit.node)) continue;
      if (best === null || fit.slack < best.slack) best = { h, ...fit };
    }
    return best;
  };
  for (const u of sorted) {
    if (placed.has(u.spec.name) || inGroup.has(u.spec.name) || budget <= 0) continue;
    let done = false;
    for (const h of hosts) {
      if (done || budget <= 0) break;
      if (!allowedBy(u, h)) continue;
      const du = demands.of(u, h);
      if (du.missing !== null) continue;
      for (const [name, spot] of [...placed]) {
        if (spot.host !== h.name || spot.node < 0 || inGroup.has(name)) continue;
        const v = byVnf.get(name);
        if (!v || v.priority > u.priority) continue;
        const dv = demands.of(v, h);
        take(v, h, dv, spot.node, st, -1);
        placed.delete(name);
        const fitU = bestNode(u, h, du, st);
        if (fitU && fitU.node === spot.node) {
          take(u, h, du, spot.node, st, 1);
          placed.set(u.spec.name, { host: h.name, node: spot.node });
          const elsewhere = bestSpot(v, null);
          if (elsewhere) {
            take(v, elsewhere.h, demands.of(v, elsewhere.h), elsewhere.node, st, 1);
            placed.set(name, { host: elsewhere.h.name, node: elsewhere.node });
            done = true;
            break;
          }
          take(u, h, du, spot.node, st, -1);
          placed.delete(u.spec.name);
        }
        take(v, h, dv, spot.node, st, 1);
        placed.set(name, spot);
        if (budget <= 0) break;
      }
    }
  }
  return { placed, unplaced: free.filter((v) => !placed.has(v.spec.name)).map((v) => v.spec.name) };
}

/** Priority-weighted score: a higher-priority VNF outweighs any number of lower ones. */
function score(r: SearchResult, vnfs: readonly SearchVnf[]): number[] {
  const levels = [...new Set(vnfs.map((v) => v.priority))].sort((a, b) => b - a);
  return levels.map((p) => vnfs.filter((v) => v.priority === p && r.placed.has(v.spec.name)).length);
}

function better(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

/**
 * Places as many VNFs as it can (higher priority first): largest-first (packs tight fleets where
 * everything fits) and smallest-first (most VNFs when not everything fits), the better kept.
 */
export function searchFleet(
  hosts: readonly SearchHost[],
  vnfs: readonly SearchVnf[],
  groups: readonly FleetGroup[],
  networks: readonly NetworkSpec[],
): SearchResult {
  const sortedHosts = [...hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const demands = new Demands(networks);
  const large = runOrder(sortedHosts, vnfs, groups, demands, "large");
  if (large.unplaced.length === 0) return large;
  const small = runOrder(sortedHosts, vnfs, groups, demands, "small");
  let best = better(score(small, vnfs), score(large, vnfs)) ? small : large;
  // Choosing the smallest is right, packing them smallest first is not: pack the k smallest
  // largest first, the largest k (binary search) that places them all.
  const free = vnfs.filter((v) => v.fixed === undefined).length;
  let lo = free - best.unplaced.length + 1;
  let hi = free - 1;
  while (lo <= hi) {
    const k = Math.floor((lo + hi) / 2);
    const r = runOrder(sortedHosts, vnfs, groups, demands, { prefix: k });
    if (free - r.unplaced.length >= k) {
      if (better(score(r, vnfs), score(best, vnfs))) best = r;
      lo = k + 1;
    } else hi = k - 1;
  }
  return best;
}

/** Why v cannot go on h, given what the others took: one line, for misfit reports. */
export function whyNot(
  v: SearchVnf,
  h: SearchHost,
  networks: readonly NetworkSpec[],
): { reason: string; short: number } {
  const d = demandOf(v.spec, h.cap, networks);
  if (v.allowed !== null && !v.allowed.has(h.name))
    return { reason: "not selected by its host:/hosts:", short: Infinity };
  if (d.missing !== null) return { reason: d.missing, short: Infinity };
  let best: { reason: string; short: number } | null = null;
  for (const n of h.cap.nodes) {
    if (d.nodes !== null && !d.nodes.includes(n.node)) continue;
    const need = coresFor(v.spec, n.threadsPerCore);
    const parts: string[] = [];
    let short = 0;
    if (n.cores < need) {
      parts.push(`${need - n.cores} core${need - n.cores === 1 ? "" : "s"} short`);
      short += need - n.cores;
    }
    if (n.pages < d.pages) {
      parts.push(`${d.pages - n.pages} page${d.pages - n.pages === 1 ? "" : "s"} short`);
      short += (d.pages - n.pages) / 1000;
    }
    for (const [pf, k] of d.vfs) {
      const free = h.cap.pfs.get(pf)?.free ?? 0;
      if (free < k) {
        parts.push(`${k - free} VF${k - free === 1 ? "" : "s"} of ${pf} short`);
        short += k - free;
      }
    }
    const reason =
      parts.length === 0
        ? `node ${n.node}: fits alone, taken by the others`
        : `node ${n.node}, ${parts.join(", ")}`;
    if (best === null || short < best.short) best = { reason, short };
  }
  return best ?? { reason: "no NUMA node it may use", short: Infinity };
}
