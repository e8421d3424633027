/**
 * The exact stage: the whole placement problem as one MILP in CPLEX LP format (solved by HiGHS,
 * ./highs.ts). x_v_n = 1 when VNF v goes to node n; per node, whole cores by thread count,
 * cores newly split for share, hugepages per size; per PF, VFs and the VLAN budget; affinity
 * and anti-affinity over hosts or label values. docs/plan.md states the formulation.
 */
import type { CapacityState, Slot } from "./state.js";
import type { PlacementProblem, SolverVnf } from "./types.js";

interface Row {
  terms: [number, string][];
  sense: "<=" | ">=" | "=";
  rhs: number;
}

export interface MilpModel {
  lp: string;
  /** x variable name -> (vnf index, slot). */
  x: Map<string, { vnf: number; slot: Slot }>;
  /** Objective scale: every placed VNF adds at least this much (for the bound on the count). */
  perVnf: number;
  weights: number[];
  /**
   * A known answer (VNF index -> node index) as a MIP start for HiGHS: its x columns, with
   * interchangeable nodes relabelled and identical VNFs reordered the way the model's symmetry
   * rows want. Null when the answer cannot be stated in the model's columns.
   */
  startFor(answer: ReadonlyMap<number, number>): Record<string, number> | null;
}

/** Whole cores a VNF takes on a node whose free cores all have t threads. */
function uniformCores(v: SolverVnf, t: number): number {
  if (v.threadPolicy === "isolate") return v.vcpus;
  return Math.ceil(v.vcpus / t);
}

/**
 * Objective weights: one VNF of a higher priority outweighs every VNF of lower ones; within a
 * priority each placed VNF adds `perVnf`; earlier VNFs in the file weigh a little more, so of
 * equally many the earlier ones stay.
 */
export function objectiveWeights(vnfs: readonly SolverVnf[]): { weights: number[]; perVnf: number } {
  const n = vnfs.length;
  const perVnf = (n * (n + 1)) / 2 + 1;
  const levels = [...new Set(vnfs.map((v) => v.priority ?? 0))].sort((a, b) => a - b);
  const levelWeight = new Map<number, number>();
  let below = 0;
  for (const p of levels) {
    const w = below + 1;
    levelWeight.set(p, w);
    below += w * vnfs.filter((v) => (v.priority ?? 0) === p).length;
  }
  return {
    perVnf,
    weights: vnfs.map((v, i) => levelWeight.get(v.priority ?? 0)! * perVnf + (n - i)),
  };
}

export function buildMilp(problem: PlacementProblem, s: CapacityState, slotsIn: Slot[][]): MilpModel {
  const rows: Row[] = [];
  const ints: string[] = [];
  const bins: string[] = [];
  const bounds: string[] = [];
  const x = new Map<string, { vnf: number; slot: Slot }>();
  const vnfs = problem.vnfs;

  // Interchangeable nodes of one host (same free capacity, no PF of their own, same VNFs may use
  // them): the r-th VNF (file order) that may use them only goes to the first r+1 of them.
  const membership = s.nodes.map((_, ni) =>
    slotsIn.map((sl) => (sl.some((q) => q.node === ni) ? 1 : 0)).join(""),
  );
  const classes = new Map<string, number[]>();
  s.nodes.forEach((node, ni) => {
    if (s.pfs.some((p) => p.host === node.host && p.node === node.id)) return;
    const key = `${node.host}|${node.free.join(",")}|${node.shared}|${[...node.pages].join(",")}|${membership[ni]}`;
    classes.set(key, [...(classes.get(key) ?? []), ni]);
  });
  const allowed = new Map<number, number>(); // node index -> position in its class
  const classOf = new Map<number, string>();
  for (const [key, members] of classes)
    if (members.length > 1)
      members.forEach((ni, pos) => {
        allowed.set(ni, pos);
        classOf.set(ni, key);
      });
  const rankIn = new Map<string, number>();
  const slots: Slot[][] = slotsIn.map(() => []);
  // Ranks must follow file order: recompute the filter with ranks counted per class.
  slotsIn.forEach((sl, vi) => {
    const seen = new Set<string>();
    const kept: Slot[] = [];
    for (const slot of sl) {
      const pos = allowed.get(slot.node);
      if (pos === undefined) {
        kept.push(slot);
        continue;
      }
      const cls = classOf.get(slot.node)!;
      const rank = rankIn.get(cls) ?? 0;
      if (pos <= rank) kept.push(slot);
      seen.add(cls);
    }
    for (const cls of seen) rankIn.set(cls, (rankIn.get(cls) ?? 0) + 1);
    slots[vi] = kept;
  });

  const xName = (vi: number, ni: number) => `x${vi}_${ni}`;
  slots.forEach((sl, vi) => {
    for (const slot of sl) {
      const name = xName(vi, slot.node);
      x.set(name, { vnf: vi, slot });
      bins.push(name);
    }
    if (sl.length > 1) rows.push({ terms: sl.map((q) => [1, xName(vi, q.node)]), sense: "<=", rhs: 1 });
  });
  const onNode = new Map<number, number[]>();
  slots.forEach((sl, vi) => {
    for (const q of sl) onNode.set(q.node, [...(onNode.get(q.node) ?? []), vi]);
  });

  for (const [ni, list] of onNode) {
    const node = s.nodes[ni]!;
    const types = node.free.map((k, t) => (k > 0 ? t : -1)).filter((t) => t > 0);
    const whole = list.filter((vi) => vnfs[vi]!.threadPolicy !== "share");
    const share = list.filter((vi) => vnfs[vi]!.threadPolicy === "share");
    if (types.length <= 1) {
      const t = types[0] ?? 1;
      const free = node.free[t] ?? 0;
      const terms: [number, string][] = whole.map((vi) => [uniformCores(vnfs[vi]!, t), xName(vi, ni)]);
      if (share.length > 0) {
        const sv = `s${ni}_${t}`;
        ints.push(sv);
        bounds.push(` 0 <= ${sv} <= ${free}`);
        terms.push([1, sv]);
        rows.push({
          terms: [...share.map((vi): [number, string] => [vnfs[vi]!.vcpus, xName(vi, ni)]), [-t, sv]],
          sense: "<=",
          rhs: node.shared,
        });
      }
      if (terms.length > 0) rows.push({ terms, sense: "<=", rhs: free });
    } else {
      const perType = new Map<number, [number, string][]>(types.map((t) => [t, []]));
      for (const vi of whole) {
        const v = vnfs[vi]!;
        const usable = types.filter((t) => v.threadPolicy !== "require" || t >= 2);
        const ks = usable.map((t) => `k${vi}_${ni}_${t}`);
        usable.forEach((t, j) => {
          ints.push(ks[j]!);
          bounds.push(` 0 <= ${ks[j]} <= ${node.free[t]}`);
          perType.get(t)!.push([1, ks[j]!]);
          const most = v.threadPolicy === "isolate" ? v.vcpus : Math.ceil(v.vcpus / t);
          rows.push({
            terms: [
              [1, ks[j]!],
              [-most, xName(vi, ni)],
            ],
            sense: "<=",
            rhs: 0,
          });
        });
        rows.push({
          terms: [
            ...usable.map((t, j): [number, string] => [v.threadPolicy === "isolate" ? 1 : t, ks[j]!]),
            [-v.vcpus, xName(vi, ni)],
          ],
          sense: v.threadPolicy === "isolate" ? "=" : ">=",
          rhs: 0,
        });
      }
      if (share.length > 0) {
        const shareTerms: [number, string][] = share.map((vi) => [vnfs[vi]!.vcpus, xName(vi, ni)]);
        for (const t of types) {
          const sv = `s${ni}_${t}`;
          ints.push(sv);
          bounds.push(` 0 <= ${sv} <= ${node.free[t]}`);
          perType.get(t)!.push([1, sv]);
          shareTerms.push([-t, sv]);
        }
        rows.push({ terms: shareTerms, sense: "<=", rhs: node.shared });
      }
      for (const [t, terms] of perType)
        if (terms.length > 0) rows.push({ terms, sense: "<=", rhs: node.free[t]! });
    }
    const sizes = new Set(list.map((vi) => vnfs[vi]!.pageSizeKiB));
    for (const size of sizes) {
      const terms = list
        .filter((vi) => vnfs[vi]!.pageSizeKiB === size && vnfs[vi]!.pages > 0)
        .map((vi): [number, string] => [vnfs[vi]!.pages, xName(vi, ni)]);
      if (terms.length > 0) rows.push({ terms, sense: "<=", rhs: node.pages.get(size) ?? 0 });
    }
  }

  // VFs: a named PF takes count per placed VNF; "any PF of the node" splits the count over them.
  const pfTerms = new Map<number, [number, string][]>();
  const vlanUse = new Map<number, Map<number, [number, string][]>>(); // pf -> vlan -> (multiplier, variable)
  const addVlan = (pi: number, vlans: number[], coef: number, name: string) => {
    const m = vlanUse.get(pi) ?? new Map<number, [number, string][]>();
    for (const vl of vlans) m.set(vl, [...(m.get(vl) ?? []), [coef, name]]);
    vlanUse.set(pi, m);
  };
  slots.forEach((sl, vi) => {
    const v = vnfs[vi]!;
    v.vfs.forEach((need, ri) => {
      for (const q of sl) {
        const node = s.nodes[q.node]!;
        const local = s.pfsOfHost[q.host]!.filter((pi) => {
          const p = s.pfs[pi]!;
          return (p.node === null || p.node === node.id) && (need.pf === undefined || p.name === need.pf);
        });
        if (need.pf !== undefined) {
          const pi = local[0]!;
          pfTerms.set(pi, [...(pfTerms.get(pi) ?? []), [need.count, xName(vi, q.node)]]);
          addVlan(pi, need.vlans, 1, xName(vi, q.node));
        } else {
          const fs = local.map((pi) => `f${vi}_${ri}_${q.node}_${pi}`);
          local.forEach((pi, j) => {
            ints.push(fs[j]!);
            bounds.push(` 0 <= ${fs[j]} <= ${need.count}`);
            pfTerms.set(pi, [...(pfTerms.get(pi) ?? []), [1, fs[j]!]]);
            addVlan(pi, need.vlans, need.count, fs[j]!);
          });
          rows.push({
            terms: [...fs.map((f): [number, string] => [1, f]), [-need.count, xName(vi, q.node)]],
            sense: "=",
            rhs: 0,
          });
        }
      }
    });
  });
  for (const [pi, terms] of pfTerms) {
    const total = terms.reduce((a, [c]) => a + c, 0);
    if (total > s.pfs[pi]!.vfs) rows.push({ terms, sense: "<=", rhs: s.pfs[pi]!.vfs });
  }
  for (const [pi, byVlan] of vlanUse) {
    const p = s.pfs[pi]!;
    if (p.budget === null) continue;
    const fresh = [...byVlan.keys()].filter((vl) => !p.vlans.has(vl));
    const room = Math.max(0, p.budget - p.vlans.size);
    if (fresh.length <= room) continue;
    const us = fresh.map((vl) => `u${pi}_${vl}`);
    bins.push(...us);
    fresh.forEach((vl, j) => {
      // x <= u for a named PF; f <= count * u for a share of "any PF" VFs.
      for (const [mult, name] of byVlan.get(vl)!)
        rows.push({
          terms: [
            [1, name],
            [-mult, us[j]!],
          ],
          sense: "<=",
          rhs: 0,
        });
    });
    rows.push({ terms: us.map((u): [number, string] => [1, u]), sense: "<=", rhs: room });
  }

  // Affinity: one scope value per key. Anti-affinity: at most one VNF per key and scope value.
  const groups = (pick: (v: SolverVnf) => { key: string; scope: string } | undefined) => {
    const m = new Map<string, { scope: string; members: number[] }>();
    vnfs.forEach((v, vi) => {
      const g = pick(v);
      if (!g) return;
      const e = m.get(g.key) ?? { scope: g.scope, members: [] };
      e.members.push(vi);
      m.set(g.key, e);
    });
    return [...m.entries()].filter(([, e]) => e.members.length > 1);
  };
  groups((v) => v.affinity).forEach(([, g], gi) => {
    const valueVar = new Map<string, string>();
    for (const vi of g.members) {
      for (const q of slots[vi]!) {
        const val = s.scopeValue(problem.hosts[q.host]!, g.scope);
        if (!valueVar.has(val)) valueVar.set(val, `a${gi}_${valueVar.size}`);
        rows.push({
          terms: [
            [1, xName(vi, q.node)],
            [-1, valueVar.get(val)!],
          ],
          sense: "<=",
          rhs: 0,
        });
      }
    }
    bins.push(...valueVar.values());
    if (valueVar.size > 1)
      rows.push({ terms: [...valueVar.values()].map((a) => [1, a]), sense: "<=", rhs: 1 });
  });
  for (const [, g] of groups((v) => v.antiAffinity)) {
    const byVal = new Map<string, [number, string][]>();
    for (const vi of g.members) {
      for (const q of slots[vi]!) {
        const val = s.scopeValue(problem.hosts[q.host]!, g.scope);
        byVal.set(val, [...(byVal.get(val) ?? []), [1, xName(vi, q.node)]]);
      }
    }
    for (const terms of byVal.values()) if (terms.length > 1) rows.push({ terms, sense: "<=", rhs: 1 });
  }

  // Identical VNFs (same request, same nodes): an earlier one is placed whenever a later one is.
  const sig = (vi: number) => {
    const { name: _n, ...rest } = vnfs[vi]!;
    return `${JSON.stringify(rest)}|${slots[vi]!.map((q) => q.node).join(",")}`;
  };
  const lastOf = new Map<string, number>();
  vnfs.forEach((_, vi) => {
    if (slots[vi]!.length === 0) return;
    const key = sig(vi);
    const prev = lastOf.get(key);
    if (prev !== undefined && !vnfs[vi]!.affinity && !vnfs[vi]!.antiAffinity) {
      rows.push({
        terms: [
          ...slots[prev]!.map((q): [number, string] => [1, xName(prev, q.node)]),
          ...slots[vi]!.map((q): [number, string] => [-1, xName(vi, q.node)]),
        ],
        sense: ">=",
        rhs: 0,
      });
    }
    lastOf.set(key, vi);
  });

  const { weights, perVnf } = objectiveWeights(vnfs);
  const objTerms = [...x.entries()].map(([name, { vnf }]): [number, string] => [weights[vnf]!, name]);
  const lines = [
    "Maximize",
    ` obj: ${objTerms.length > 0 ? formatTerms(objTerms) : "0 dummy"}`,
    "Subject To",
    ...rows.map((r, i) => ` r${i}: ${formatTerms(r.terms)} ${r.sense} ${r.rhs}`),
  ];
  if (rows.length === 0) lines.push(" r0: dummy >= 0");
  lines.push("Bounds", ...bounds);
  if (objTerms.length === 0) lines.push(" 0 <= dummy <= 0");
  if (ints.length > 0) lines.push("General", ...ints.map((v) => ` ${v}`));
  if (bins.length > 0) lines.push("Binary", ...bins.map((v) => ` ${v}`));
  lines.push("End", "");
  const startFor = (answer: ReadonlyMap<number, number>): Record<string, number> | null => {
    // Identical VNFs: the earliest ones of each group hold the nodes the group was given.
    const nodeOf = new Map(answer);
    const groupsBySig = new Map<string, number[]>();
    vnfs.forEach((v, vi) => {
      if (slots[vi]!.length === 0 || v.affinity || v.antiAffinity) return;
      const key = sig(vi);
      groupsBySig.set(key, [...(groupsBySig.get(key) ?? []), vi]);
    });
    for (const members of groupsBySig.values()) {
      const given = members.filter((vi) => nodeOf.has(vi)).map((vi) => nodeOf.get(vi)!);
      members.forEach((vi, k) => {
        if (k < given.length) nodeOf.set(vi, given[k]!);
        else nodeOf.delete(vi);
      });
    }
    // Interchangeable nodes: numbered in the order VNFs (file order) first use them.
    const relabel = new Map<string, Map<number, number>>();
    const out: Record<string, number> = {};
    for (const name of x.keys()) out[name] = 0;
    for (let vi = 0; vi < vnfs.length; vi++) {
      const ni = nodeOf.get(vi);
      if (ni === undefined) continue;
      let target = ni;
      const cls = classOf.get(ni);
      if (cls !== undefined) {
        const m = relabel.get(cls) ?? new Map<number, number>();
        relabel.set(cls, m);
        if (!m.has(ni)) m.set(ni, classes.get(cls)![m.size]!);
        target = m.get(ni)!;
      }
      const name = xName(vi, target);
      if (!x.has(name)) return null;
      out[name] = 1;
    }
    return out;
  };
  return { lp: lines.join("\n"), x, perVnf, weights, startFor };
}

function formatTerms(terms: [number, string][]): string {
  const parts = terms.map(([c, v], i) => {
    const sign = c < 0 ? "-" : i === 0 ? "" : "+";
    const mag = Math.abs(c);
    return `${sign} ${mag === 1 ? "" : `${mag} `}${v}`.trim();
  });
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i += 12) lines.push(parts.slice(i, i + 12).join(" "));
  return lines.join("\n   ");
}
