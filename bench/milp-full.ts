/**
 * The exact optimum under every rule of the planner, written down independently of it (from
 * docs/plan.md and docs/topology.md): one NUMA node per VNF (its `node:`, its PFs' node); whole
 * cores by thread policy (isolate: one core per vCPU; prefer: vCPUs fill the threads of whole
 * cores; require: the same on cores with two threads or more; share: threads of cores that only
 * share VNFs use); cores with fewer online threads (offline siblings) counted apart; one
 * housekeeping core per node and CPU 0's core kept for the host; hugepages per node: what the
 * node's memory holds, capped by the boot reservation of host.hugepages.count (its per-node share,
 * or what is reserved now if more), minus pages in use; VFs per PF (host.sriov vfs); distinct VLANs
 * per PF within the driver's budget. Maximises the number of VNFs placed (HiGHS).
 */
import type { HostFacts } from "../src/facts/types.js";
import type { ThreadPolicy, Topology } from "../src/topology/types.js";
import { loadHighs } from "./milp.js";

export interface FullNode {
  id: number;
  /** Free cores by online thread count. */
  cores: Map<number, number>;
  pages: number;
}

export interface FullVnf {
  name: string;
  vcpus: number;
  policy: ThreadPolicy;
  pages: number;
  /** VFs per PF and the VLANs they carry. */
  vfs: Map<string, { count: number; vlans: number[] }>;
  nodes: number[];
}

export interface FullModel {
  nodes: FullNode[];
  pfs: { name: string; node: number; vfs: number; vlanBudget: number | null }[];
  vnfs: FullVnf[];
}

const VLAN_BUDGET: Record<string, number> = { ixgbe: 64, i40e: 512 };

export function buildFullModel(facts: HostFacts, topology: Topology): FullModel {
  const size = topology.host.hugepages.sizeKiB;
  const count = topology.host.hugepages.count;
  const online = new Set(facts.cpus.filter((c) => c.online).map((c) => c.id));
  const nodeIds = facts.nodes.map((n) => n.id).sort((a, b) => a - b);
  const keep = Math.max(1, topology.host.cpus.housekeepingCoresPerNode);
  const nodes: FullNode[] = nodeIds.map((id, idx) => {
    const groups = new Map<string, number[]>();
    for (const c of facts.cpus) {
      if (!online.has(c.id) || c.node !== id) continue;
      const threads = [...new Set([c.id, ...c.siblings])].filter((t) => online.has(t)).sort((a, b) => a - b);
      groups.set(threads.join(","), threads);
    }
    const cores = [...groups.values()].sort((a, b) => a[0]! - b[0]!);
    const kept = new Set(cores.slice(0, keep).map((c) => c.join(",")));
    for (const c of cores) if (c.includes(0)) kept.add(c.join(","));
    const byThreads = new Map<number, number>();
    for (const c of cores)
      if (!kept.has(c.join(","))) byThreads.set(c.length, (byThreads.get(c.length) ?? 0) + 1);
    const fact = facts.nodes.find((n) => n.id === id)!;
    const pool = fact.hugepages[String(size)];
    const reserved = pool?.total ?? 0;
    const inUse = reserved - (pool?.free ?? 0);
    const share =
      count === undefined
        ? Infinity
        : Math.floor(count / nodeIds.length) + (idx < count % nodeIds.length ? 1 : 0);
    const capacity = Math.min(
      Math.floor(fact.memoryKiB / size),
      count === undefined ? Infinity : Math.max(share, reserved),
    );
    return { id, cores: byThreads, pages: Math.max(0, capacity - inUse) };
  });
  const pfs = topology.host.sriov.map((s) => {
    const nic = facts.nics.find((n) => n.name === s.pf)!;
    return {
      name: s.pf,
      node: nic.node,
      vfs: Math.min(s.vfs, nic.sriov?.totalVfs ?? 0),
      vlanBudget: VLAN_BUDGET[nic.driver ?? ""] ?? null,
    };
  });
  const vnfs: FullVnf[] = topology.vnfs.map((v) => {
    const vfs = new Map<string, { count: number; vlans: number[] }>();
    for (const i of v.interfaces) {
      if (i.type !== "sriov") continue;
      const net = topology.networks.find((n) => n.name === i.network);
      const pf = i.pf ?? (net && net.type === "sriov-pool" ? net.pf : undefined);
      if (!pf) continue;
      const e = vfs.get(pf) ?? { count: 0, vlans: [] };
      e.count++;
      if (i.vlan !== undefined) e.vlans.push(i.vlan);
      vfs.set(pf, e);
    }
    let allowed = v.node === undefined ? nodeIds : [v.node];
    for (const pf of vfs.keys()) {
      const node = pfs.find((p) => p.name === pf)?.node ?? -1;
      if (node >= 0) allowed = allowed.filter((n) => n === node);
    }
    if ([...vfs.keys()].some((pf) => !pfs.some((p) => p.name === pf))) allowed = [];
    return {
      name: v.name,
      vcpus: v.vcpus,
      policy: v.threadPolicy,
      pages: Math.ceil(v.memoryKiB / size),
      vfs,
      nodes: allowed,
    };
  });
  return { nodes, pfs, vnfs };
}

export interface FullResult {
  status: string;
  optimum: number | null;
  /** Proven upper bound when the time limit stops HiGHS. */
  bound: number | null;
  assignment: Map<number, number>;
  ms: number;
}

export function buildFullLp(m: FullModel): { lp: string; x: { name: string; vnf: number; node: number }[] } {
  const rows: string[] = [];
  const ints: string[] = [];
  const bins: string[] = [];
  const bounds: string[] = [];
  const x: { name: string; vnf: number; node: number }[] = [];
  const t = (terms: [number, string][]) =>
    terms.map(([c, v], i) => `${c < 0 ? "-" : i ? "+" : ""} ${Math.abs(c)} ${v}`).join(" ");
  m.vnfs.forEach((v, vi) => {
    for (const id of v.nodes) {
      const name = `x_${vi}_${id}`;
      x.push({ name, vnf: vi, node: id });
      bins.push(name);
    }
    const mine = x.filter((q) => q.vnf === vi);
    if (mine.length > 1) rows.push(`one_${vi}: ${t(mine.map((q) => [1, q.name]))} <= 1`);
  });
  for (const node of m.nodes) {
    const here = x.filter((q) => q.node === node.id);
    if (here.length === 0) continue;
    const perType = new Map<number, [number, string][]>();
    const shareTerms: [number, string][] = [];
    for (const q of here) {
      const v = m.vnfs[q.vnf]!;
      if (v.policy === "share") {
        shareTerms.push([v.vcpus, q.name]);
        continue;
      }
      const types = [...node.cores.keys()].filter((th) => v.policy !== "require" || th >= 2);
      const cover: [number, string][] = [];
      for (const th of types) {
        const k = `k_${q.vnf}_${node.id}_${th}`;
        ints.push(k);
        bounds.push(`0 <= ${k} <= ${node.cores.get(th)}`);
        perType.set(th, [...(perType.get(th) ?? []), [1, k]]);
        cover.push([v.policy === "isolate" ? 1 : th, k]);
      }
      // isolate: exactly one core per vCPU; prefer/require: enough threads for every vCPU.
      rows.push(
        `cov_${q.vnf}_${node.id}: ${t([...cover, [-v.vcpus, q.name]])} ${v.policy === "isolate" ? "=" : ">="} 0`,
      );
      if (v.policy !== "isolate") {
        // No cores without the VNF there.
        for (const [, k] of cover)
          rows.push(
            `use_${k}: ${t([
              [1, k],
              [-v.vcpus, q.name],
            ])} <= 0`,
          );
      }
    }
    if (shareTerms.length > 0) {
      for (const th of node.cores.keys()) {
        const s = `s_${node.id}_${th}`;
        ints.push(s);
        bounds.push(`0 <= ${s} <= ${node.cores.get(th)}`);
        perType.set(th, [...(perType.get(th) ?? []), [1, s]]);
        shareTerms.push([-th, s]);
      }
      rows.push(`share_${node.id}: ${t(shareTerms)} <= 0`);
    }
    for (const [th, terms] of perType)
      rows.push(`cores_${node.id}_${th}: ${t(terms)} <= ${node.cores.get(th)}`);
    const pageTerms = here
      .filter((q) => m.vnfs[q.vnf]!.pages > 0)
      .map((q): [number, string] => [m.vnfs[q.vnf]!.pages, q.name]);
    if (pageTerms.length) rows.push(`pages_${node.id}: ${t(pageTerms)} <= ${node.pages}`);
  }
  m.pfs.forEach((pf, pi) => {
    const users = x.filter((q) => m.vnfs[q.vnf]!.vfs.has(pf.name));
    if (users.length === 0) return;
    rows.push(
      `vfs_${pi}: ${t(users.map((q) => [m.vnfs[q.vnf]!.vfs.get(pf.name)!.count, q.name]))} <= ${pf.vfs}`,
    );
    if (pf.vlanBudget === null) return;
    const vlans = [...new Set(users.flatMap((q) => m.vnfs[q.vnf]!.vfs.get(pf.name)!.vlans))];
    if (vlans.length <= pf.vlanBudget) return;
    for (const vl of vlans) {
      const u = `u_${pi}_${vl}`;
      bins.push(u);
      for (const q of users)
        if (m.vnfs[q.vnf]!.vfs.get(pf.name)!.vlans.includes(vl))
          rows.push(
            `vl_${q.name}_${vl}: ${t([
              [1, q.name],
              [-1, u],
            ])} <= 0`,
          );
    }
    rows.push(`vlans_${pi}: ${t(vlans.map((vl) => [1, `u_${pi}_${vl}`]))} <= ${pf.vlanBudget}`);
  });
  const lp = [
    "Maximize",
    ` placed: ${x.length ? t(x.map((q) => [1, q.name])) : "0 zero"}`,
    "Subject To",
    ...(rows.length ? rows.map((r) => ` ${r}`) : [" none: zero >= 0"]),
    "Bounds",
    ...bounds.map((b) => ` ${b}`),
    ...(x.length ? [] : [" 0 <= zero <= 0"]),
    ...(ints.length ? ["General", ...ints.map((v) => ` ${v}`)] : []),
    ...(bins.length ? ["Binary", ...bins.map((v) => ` ${v}`)] : []),
    "End",
  ].join("\n");
  return { lp, x };
}

export async function solveFull(m: FullModel, timeLimitS = 120): Promise<FullResult> {
  const { lp, x } = buildFullLp(m);
  const t0 = performance.now();
  if (x.length === 0) return { status: "Optimal", optimum: 0, bound: 0, assignment: new Map(), ms: 0 };
  const highs = await loadHighs();
  const sol = highs.solve(lp, {
    output_flag: false,
    mip_rel_gap: 0,
    mip_abs_gap: 0.5,
    mip_detect_symmetry: false,
    time_limit: timeLimitS,
  });
  const ms = performance.now() - t0;
  const assignment = new Map<number, number>();
  if (sol.Status !== "Optimal") return { status: sol.Status, optimum: null, bound: null, assignment, ms };
  for (const q of x)
    if (((sol.Columns[q.name] as { Primal?: number } | undefined)?.Primal ?? 0) > 0.5)
      assignment.set(q.vnf, q.node);
  return {
    status: sol.Status,
    optimum: Math.round(sol.ObjectiveValue),
    bound: Math.round(sol.ObjectiveValue),
    assignment,
    ms,
  };
}
