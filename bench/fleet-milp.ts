/**
 * The exact optimum of a fleet placement: a MILP over hosts x NUMA nodes on the fleet's capacity
 * model (src/fleet/capacity.ts, the model `nfvhost plan -i` searches): one binary per (VNF, host,
 * node) a VNF may take; cores, pages per node and VFs per PF as knapsack rows; pins and selectors
 * by leaving variables out; anti-affinity as "at most one per label value"; affinity as one host
 * variable per group that every placed member follows. Solved by HiGHS with symmetry detection off (HiGHS 1.15.1 returned a wrong
 * "optimal" on a symmetric packing with it on). Maximises VNFs placed, a higher priority worth
 * more than any number of lower ones.
 */
import { coresFor, demandOf } from "../src/fleet/capacity.js";
import { labelOf, type SearchHost, type SearchVnf } from "../src/fleet/search.js";
import type { FleetGroup } from "../src/fleet/types.js";
import type { NetworkSpec } from "../src/topology/types.js";
import { loadHighs } from "./milp.js";

export interface FleetMilpResult {
  status: string;
  /** Proven optimum, VNFs placed; null when HiGHS proved none in time. */
  optimum: number | null;
  assignment: Map<string, { host: string; node: number }>;
  variables: number;
  ms: number;
}

export function buildFleetLp(
  hosts: readonly SearchHost[],
  vnfs: readonly SearchVnf[],
  groups: readonly FleetGroup[],
  networks: readonly NetworkSpec[],
): { lp: string; xs: { name: string; vnf: string; host: string; node: number }[] } {
  const xs: {
    name: string;
    vnf: string;
    host: string;
    node: number;
    cores: number;
    pages: number;
    vfs: Map<string, number>;
  }[] = [];
  vnfs.forEach((v, vi) => {
    hosts.forEach((h, hi) => {
      if (v.allowed !== null && !v.allowed.has(h.name)) return;
      const d = demandOf(v.spec, h.cap, networks);
      if (d.missing !== null) return;
      if ([...d.vfs].some(([pf, n]) => (h.cap.pfs.get(pf)?.free ?? 0) < n)) return;
      for (const n of h.cap.nodes) {
        if (d.nodes !== null && !d.nodes.includes(n.node)) continue;
        // thread-policy require needs sibling threads: not on a node without SMT.
        if (v.spec.threadPolicy === "require" && n.threadsPerCore < 2) continue;
        const cores = coresFor(v.spec, n.threadsPerCore);
        if (cores > n.cores || d.pages > n.pages) continue;
        xs.push({
          name: `x_${vi}_${hi}_${n.node}`,
          vnf: v.spec.name,
          host: h.name,
          node: n.node,
          cores,
          pages: d.pages,
          vfs: d.vfs,
        });
      }
    });
  });
  const rows: string[] = [];
  const sum = (terms: [number, string][]) =>
    terms.map(([c, x], i) => `${i === 0 ? "" : "+ "}${c === 1 ? "" : `${c} `}${x}`).join(" ");
  const chunk = (s: string) => s.replace(/((?:\S+ ){24})/g, "$1\n  ");
  const byVnf = new Map<string, typeof xs>();
  for (const x of xs) byVnf.set(x.vnf, [...(byVnf.get(x.vnf) ?? []), x]);
  let r = 0;
  for (const list of byVnf.values())
    if (list.length > 1) rows.push(` r${r++}: ${chunk(sum(list.map((x) => [1, x.name])))} <= 1`);
  const byNode = new Map<string, typeof xs>();
  for (const x of xs)
    byNode.set(`${x.host}\u0000${x.node}`, [...(byNode.get(`${x.host}\u0000${x.node}`) ?? []), x]);
  for (const [key, list] of byNode) {
    const [host, node] = key.split("\u0000");
    const n = hosts.find((h) => h.name === host)!.cap.nodes.find((c) => c.node === Number(node))!;
    rows.push(` r${r++}: ${chunk(sum(list.map((x) => [x.cores, x.name])))} <= ${n.cores}`);
    rows.push(` r${r++}: ${chunk(sum(list.map((x) => [x.pages, x.name])))} <= ${n.pages}`);
  }
  for (const h of hosts)
    for (const [pf, p] of h.cap.pfs) {
      const list = xs.filter((x) => x.host === h.name && (x.vfs.get(pf) ?? 0) > 0);
      if (list.length > 0)
        rows.push(` r${r++}: ${chunk(sum(list.map((x) => [x.vfs.get(pf)!, x.name])))} <= ${p.free}`);
    }
  const binaries = xs.map((x) => x.name);
  groups.forEach((g, gi) => {
    const members = xs.filter((x) => g.vnfs.includes(x.vnf));
    if (g.antiAffinity) {
      const byLabel = new Map<string, typeof xs>();
      for (const x of members) {
        const h = hosts.find((y) => y.name === x.host)!;
        const label = labelOf(h, g.antiAffinity) ?? `host:${h.name}`;
        byLabel.set(label, [...(byLabel.get(label) ?? []), x]);
      }
      for (const list of byLabel.values())
        if (list.length > 1) rows.push(` r${r++}: ${chunk(sum(list.map((x) => [1, x.name])))} <= 1`);
    }
    if (g.affinity) {
      // y_g_h = 1 on the group's host; a member placed is there (one left out does not hold the
      // others back: the solver's rule, src/plan/solve).
      hosts.forEach((h, hi) => {
        const y = `y_${gi}_${hi}`;
        binaries.push(y);
        for (const m of g.vnfs) {
          const list = members.filter((x) => x.vnf === m && x.host === h.name);
          if (list.length > 0) rows.push(` r${r++}: ${sum(list.map((x) => [1, x.name]))} - ${y} <= 0`);
        }
      });
      rows.push(` r${r++}: ${sum(hosts.map((_, hi) => [1, `y_${gi}_${hi}`]))} <= 1`);
    }
  });
  const levels = [...new Set(vnfs.map((v) => v.priority))].sort((a, b) => a - b);
  const weight = new Map<number, number>();
  let w = 1;
  for (const p of levels) {
    weight.set(p, w);
    w *= vnfs.length + 1;
  }
  const prio = new Map(vnfs.map((v) => [v.spec.name, weight.get(v.priority)!]));
  const lp = [
    "Maximize",
    ` placed: ${xs.length ? chunk(sum(xs.map((x) => [prio.get(x.vnf)!, x.name]))) : "0 dummy"}`,
    "Subject To",
    ...(rows.length ? rows : [" r0: 0 dummy >= 0"]),
    "Binary",
    ...binaries.map((b) => ` ${b}`),
    ...(xs.length ? [] : [" dummy"]),
    "End",
  ].join("\n");
  return { lp, xs };
}

export async function solveFleet(
  hosts: readonly SearchHost[],
  vnfs: readonly SearchVnf[],
  groups: readonly FleetGroup[],
  networks: readonly NetworkSpec[],
  timeLimitS = 60,
): Promise<FleetMilpResult> {
  const { lp, xs } = buildFleetLp(hosts, vnfs, groups, networks);
  const t0 = performance.now();
  const highs = await loadHighs();
  const sol = highs.solve(lp, {
    output_flag: false,
    mip_rel_gap: 0,
    mip_abs_gap: 0,
    mip_detect_symmetry: false,
    time_limit: timeLimitS,
  } as Parameters<typeof highs.solve>[1]);
  const ms = performance.now() - t0;
  const assignment = new Map<string, { host: string; node: number }>();
  if (sol.Status !== "Optimal")
    return { status: sol.Status, optimum: null, assignment, variables: xs.length, ms };
  for (const x of xs) {
    const col = sol.Columns[x.name] as { Primal?: number } | undefined;
    if ((col?.Primal ?? 0) > 0.5) assignment.set(x.vnf, { host: x.host, node: x.node });
  }
  return { status: sol.Status, optimum: assignment.size, assignment, variables: xs.length, ms };
}
