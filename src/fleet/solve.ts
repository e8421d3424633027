/**
 * Joint placement over hosts by the one exact solver (src/plan/solve: first pass, then HiGHS when
 * the first pass leaves VNFs out): the fleet on the capacity model (./capacity.ts) becomes one
 * PlacementProblem, a host being a fleet of one of it. Running VNFs are not in the problem: their
 * cores, pages and VFs are already taken from their host, and their group mates are held to (or
 * away from) where they run by each VNF's allowed hosts.
 */
import {
  DEFAULT_TIME_LIMIT_S,
  solvePlacement,
  type AffinityScope,
  type PlacementAnswer,
  type PlacementProblem,
  type SolverHost,
  type SolverVfNeed,
  type SolverVnf,
} from "../plan/solve/index.js";
import type { NetworkSpec, VnfSpec } from "../topology/types.js";
import { demandOf } from "./capacity.js";
import { firstFit } from "./firstFit.js";
import { labelOf, type SearchHost, type SearchVnf } from "./search.js";
import type { FleetGroup } from "./types.js";

export interface Spot {
  host: string;
  node: number;
}

export interface FleetAnswer {
  placed: Map<string, Spot>;
  /** In file order. */
  unplaced: string[];
  /** Proven optimal; the proven bound on VNFs placed; which stage answered. */
  proven: boolean;
  bound: number;
  method: PlacementAnswer["method"] | "first-fit";
  /** Not every VNF fits and the fleet is too large for the exact stage (EXACT_PAIRS). */
  tooLarge?: boolean;
  ms: number;
}

/** Fleets of more hosts than this try ./firstFit.ts before the solver's own first pass. */
export const FIRST_FIT_HOSTS = 64;

/**
 * (VNF, node) pairs beyond which the exact stage is not tried: its first pass scores every pair
 * and its MILP has a variable per pair (1,000 hosts x 10,000 VNFs is 20 million: minutes and
 * gigabytes). Such a fleet that does not fit whole keeps the first fit, said so in a warning.
 */
export const EXACT_PAIRS = 2_000_000;

/**
 * Hosts may use different hugepage sizes; the problem counts pages in the smallest of them, so a
 * node of 1 GiB pages offers 512 units of 2 MiB. That is exact: a VNF only goes to a host whose
 * page size divides its memory (demandOf), so its units there are whole pages.
 */
function pageUnit(hosts: readonly SearchHost[]): number {
  return hosts.length === 0 ? 1 : Math.min(...hosts.map((h) => h.cap.pageSizeKiB));
}

function solverHost(h: SearchHost, unit: number): SolverHost {
  const per = h.cap.pageSizeKiB / unit;
  return {
    id: h.name,
    labels: h.labels,
    nodes: h.cap.nodes.map((n) => ({
      id: n.node,
      freeCores: n.coreThreads,
      sharedThreadsFree: 0,
      pagesFree: { [String(unit)]: n.pages * per },
    })),
    pfs: [...h.cap.pfs].map(([name, p]) => ({
      name,
      node: p.node,
      vfsFree: p.free,
      // The capacity model does not count VLANs; the host's own plan checks its driver's budget.
      vlanBudget: null,
      vlansInUse: [],
    })),
  };
}

/** The VFs a VNF takes, per PF as the topology names it (an interface's pf:, a pool's pf). */
function vfNeeds(spec: VnfSpec, networks: readonly NetworkSpec[]): SolverVfNeed[] {
  if (spec.interfaces.length === 0) return [];
  const byPf = new Map<string, { count: number; vlans: Set<number> }>();
  for (const i of spec.interfaces) {
    if (i.type !== "sriov") continue;
    const net = i.network ? networks.find((n) => n.name === i.network) : undefined;
    const pf = i.pf ?? (net?.type === "sriov-pool" ? net.pf : undefined);
    if (pf === undefined) continue;
    const e = byPf.get(pf) ?? { count: 0, vlans: new Set<number>() };
    e.count++;
    if (i.vlan !== undefined) e.vlans.add(i.vlan);
    for (const v of i.trunkVlans ?? []) e.vlans.add(v);
    byPf.set(pf, e);
  }
  return [...byPf].map(([pf, e]) => ({ pf, count: e.count, vlans: [...e.vlans].sort((a, b) => a - b) }));
}

function scopeOf(key: string): AffinityScope {
  return key === "host" ? "host" : `label:${key}`;
}

/** Affinity groups that share a VNF are one group (its members all share one host). */
function affinityKeys(groups: readonly FleetGroup[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const keyOf = new Map<string, string>();
  for (const g of groups) {
    if (!g.affinity) continue;
    const key = `affinity:${g.name}`;
    parent.set(key, key);
    for (const v of g.vnfs) {
      const other = keyOf.get(v);
      if (other !== undefined) {
        const a = find(other);
        const b = find(key);
        // The smaller name leads, so the key does not depend on the order groups are written.
        if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
      } else keyOf.set(v, key);
    }
  }
  return new Map([...keyOf].map(([v, k]) => [v, find(k)]));
}

/**
 * The fleet's placement problem. hosts sorted by name; vnfs in file order, running ones (fixed)
 * included so their group mates follow them, but not placed again.
 */
export function fleetProblem(
  hosts: readonly SearchHost[],
  vnfs: readonly SearchVnf[],
  groups: readonly FleetGroup[],
  networks: readonly NetworkSpec[],
): PlacementProblem {
  const unit = pageUnit(hosts);
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const fixedAt = new Map(
    vnfs.flatMap((v) => (v.fixed !== undefined ? [[v.spec.name, v.fixed] as const] : [])),
  );
  const affinity = affinityKeys(groups);
  const antiOf = new Map<string, FleetGroup>();
  for (const g of groups) if (g.antiAffinity) for (const v of g.vnfs) if (!antiOf.has(v)) antiOf.set(v, g);
  // Whether a host can take a VNF at all (devices, PFs, page size): the same for hosts alike.
  const missing = new Map<string, boolean>();
  const takes = (v: SearchVnf, i: number, h: SearchHost): boolean => {
    if (v.spec.interfaces.length === 0 && v.spec.node === undefined)
      return v.spec.memoryKiB % h.cap.pageSizeKiB === 0;
    const key = `${i}\u0000${h.cap.signature}`;
    let m = missing.get(key);
    if (m === undefined) {
      m = demandOf(v.spec, h.cap, networks).missing !== null;
      missing.set(key, m);
    }
    return !m;
  };
  const pageSizes = [...new Set(hosts.map((h) => h.cap.pageSizeKiB))];
  const groupsOf = new Map<string, FleetGroup[]>();
  for (const g of groups) for (const v of g.vnfs) groupsOf.set(v, [...(groupsOf.get(v) ?? []), g]);
  const out: SolverVnf[] = [];
  vnfs.forEach((v, i) => {
    if (v.fixed !== undefined) return;
    const name = v.spec.name;
    // Rules from group mates that already run: same host, or never their host / label value.
    const mates: ((h: SearchHost) => boolean)[] = [];
    for (const g of groupsOf.get(name) ?? []) {
      for (const other of g.vnfs) {
        const at = other === name ? undefined : fixedAt.get(other);
        if (at === undefined) continue;
        const there = byName.get(at) ?? { name: at, labels: {} };
        if (g.affinity) mates.push((h) => h.name === at);
        const key = g.antiAffinity;
        if (key !== undefined)
          mates.push((h) => {
            const mine = labelOf(h, key);
            const theirs = labelOf(there, key);
            return mine === undefined || theirs === undefined ? h.name !== at : mine !== theirs;
          });
      }
    }
    const simple =
      v.allowed === null &&
      mates.length === 0 &&
      v.spec.interfaces.length === 0 &&
      v.spec.node === undefined &&
      pageSizes.every((s) => v.spec.memoryKiB % s === 0);
    const allowed = simple
      ? null
      : hosts
          .filter(
            (h) =>
              (v.allowed === null || v.allowed.has(h.name)) && mates.every((ok) => ok(h)) && takes(v, i, h),
          )
          .map((h) => h.name);
    const aff = affinity.get(name);
    const anti = antiOf.get(name);
    out.push({
      name,
      vcpus: v.spec.vcpus,
      threadPolicy: v.spec.threadPolicy,
      pageSizeKiB: unit,
      pages: Math.ceil(v.spec.memoryKiB / unit),
      vfs: vfNeeds(v.spec, networks),
      ...(v.spec.node !== undefined ? { node: v.spec.node } : {}),
      ...(allowed !== null ? { hosts: allowed } : {}),
      ...(v.priority !== 0 ? { priority: v.priority } : {}),
      ...(aff !== undefined ? { affinity: { key: aff, scope: "host" as const } } : {}),
      ...(anti !== undefined ? { antiAffinity: { key: anti.name, scope: scopeOf(anti.antiAffinity!) } } : {}),
    });
  });
  return { hosts: hosts.map((h) => solverHost(h, unit)), vnfs: out };
}

export function solveFleet(
  hosts: readonly SearchHost[],
  vnfs: readonly SearchVnf[],
  groups: readonly FleetGroup[],
  networks: readonly NetworkSpec[],
  opts: { timeLimitS?: number } = {},
): FleetAnswer {
  const t0 = performance.now();
  const problem = fleetProblem(hosts, vnfs, groups, networks);
  const placed = new Map<string, Spot>();
  for (const v of vnfs) if (v.fixed !== undefined) placed.set(v.spec.name, { host: v.fixed, node: -1 });
  const n = problem.vnfs.length;
  const nodes = problem.hosts.reduce((a, h) => a + h.nodes.length, 0);
  const pairs = problem.vnfs.reduce(
    (a, v) => a + (v.hosts ? (v.hosts.length * nodes) / Math.max(1, problem.hosts.length) : nodes),
    0,
  );
  const fit = hosts.length > FIRST_FIT_HOSTS || pairs > EXACT_PAIRS ? firstFit(problem) : null;
  if (fit !== null && (fit.complete || pairs > EXACT_PAIRS)) {
    for (const p of fit.placements) placed.set(p.vnf, { host: p.host, node: p.node });
    const got = new Set(fit.placements.map((p) => p.vnf));
    return {
      placed,
      unplaced: problem.vnfs.filter((v) => !got.has(v.name)).map((v) => v.name),
      proven: fit.complete,
      bound: n,
      method: "first-fit",
      tooLarge: !fit.complete,
      ms: performance.now() - t0,
    };
  }
  const answer = solvePlacement(problem, { timeLimitS: opts.timeLimitS ?? DEFAULT_TIME_LIMIT_S });
  for (const p of answer.placements) placed.set(p.vnf, { host: p.host, node: p.node });
  return {
    placed,
    unplaced: answer.unplaced,
    proven: answer.proven,
    bound: answer.bound,
    method: answer.method,
    ms: performance.now() - t0,
  };
}
