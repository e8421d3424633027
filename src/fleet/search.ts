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
    const key = `${v.spec.name}\u0000${h.name}`;
    let d = this.cache.get(key);
    if (!d) {
      d = demandOf(v.spec, h.cap, this.networks);
      this.cache.set(key, d);
    }
    return d;
  }
}

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
  order: "large" | "small",
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
  const sorted = [...free].sort((a, b) => {
    const ua = unit(a);
    const ub = unit(b);
    return (
      b.priority - a.priority ||
      unitAllowed.get(ua)! - unitAllowed.get(ub)! ||
      (order === "large"
        ? unitWeight.get(ub)! - unitWeight.get(ua)!
        : unitWeight.get(ua)! - unitWeight.get(ub)!) ||
      (ua < ub ? -1 : ua > ub ? 1 : 0) ||
      (a.spec.name < b.spec.name ? -1 : 1)
    );
  });

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

  for (const v of sorted) {
    let best: { h: SearchHost; node: number; slack: number } | null = null;
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
  return better(score(small, vnfs), score(large, vnfs)) ? small : large;
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
