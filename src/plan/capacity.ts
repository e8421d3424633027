/**
 * The aggregate "does not fit" problem. Each VNF's own problem (./misfit.ts) is computed as if it
 * were the only one missing; when several miss, their fixes do not add up (36 VNFs each told "8
 * more pages" need 288, not 8). This module sums what the VNFs that do not fit need together, per
 * resource and per group of NUMA nodes they may use, against what the host has, and gives fixes
 * that hold for all of them at once, or says the host is too small and by how much.
 */
import type { Topology } from "../topology/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { VnfWork } from "./checks.js";
import type { NodePool } from "./cpuPool.js";
import { cpuNeed, freeCoreCount } from "./cpuPool.js";
import type { NodePages } from "./hugepages.js";
import type { HostModel } from "./hostModel.js";
import { hugepageSysfsPath, pageSizeText } from "./hostModel.js";
import type { Problems } from "./problems.js";
import { plural, sizeText } from "./problems.js";
import type { PfState } from "./sriov.js";
import type { PlanProblem, PlanResource, PlanShortfall } from "./types.js";

/** Names shown in one line before "and K more"; --json always lists every one. */
export const NAMES_SHOWN = 8;

/** Problems that are about a quantity the host lacks (their fixes are per VNF). */
const QUANTITY: ReadonlySet<PlanResource> = new Set(["cpu", "isolation", "hugepages", "memory", "vf"]);

export function nameList(names: readonly string[], shown = NAMES_SHOWN): string {
  if (names.length <= shown) return names.join(", ");
  return `${names.slice(0, shown).join(", ")} and ${names.length - shown} more`;
}

function nodesText(nodes: readonly number[]): string {
  return nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${formatCpuList([...nodes])}`;
}

/** VNFs that were placed but got no VF: their "vf" problems, by VNF, with the PF each lacks. */
export function vfShortages(problems: Problems, works: readonly VnfWork[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of works) {
    for (const p of problems.byVnf.get(w.spec.name) ?? []) {
      const i = p.path?.[3];
      if (p.resource !== "vf" || typeof i !== "number") continue;
      const pf = w.pfOf.get(i);
      if (pf) out.set(w.spec.name, [...(out.get(w.spec.name) ?? []), pf]);
    }
  }
  return out;
}

/** Groups of misfits whose candidate nodes overlap, so no free capacity is counted twice. */
function scopes(misfits: readonly VnfWork[]): { nodes: number[]; works: VnfWork[] }[] {
  const groups: { nodes: Set<number>; works: VnfWork[] }[] = [];
  for (const w of misfits) {
    const touching = groups.filter((g) => w.candidates.some((n) => g.nodes.has(n)));
    const merged = { nodes: new Set(w.candidates), works: [w] };
    for (const g of touching) {
      for (const n of g.nodes) merged.nodes.add(n);
      merged.works.unshift(...g.works);
      groups.splice(groups.indexOf(g), 1);
    }
    groups.push(merged);
  }
  return groups
    .map((g) => ({
      nodes: [...g.nodes].sort((a, b) => a - b),
      works: [...g.works].sort((a, b) => a.index - b.index),
    }))
    .sort((a, b) => a.nodes[0]! - b.nodes[0]!);
}

/** The host as the VNFs that fit leave it: what misfit and left-out explanations read. */
export interface PlacedState {
  topology: Topology;
  model: HostModel;
  pools: Map<number, NodePool>;
  pagesByNode: Map<number, NodePages>;
  /** Pages left per node after the VNFs that fit. */
  pagesFree: Map<number, number>;
  pfStates: Map<string, PfState>;
}

export interface MisfitContext extends PlacedState {
  works: readonly VnfWork[];
  /** VNFs the placement could not place (CPU, pages, or no packing). */
  unplaced: ReadonlySet<string>;
  /** Placed VNFs that got no VF, with the PFs they lack one of. */
  vfShort: ReadonlyMap<string, string[]>;
  /** VNFs in the topology. */
  vnfCount: number;
  /** Running VMs (their cores and pages are held; "at most N" is then not computed). */
  deployedCount: number;
}

/** Every shortfall of the VNFs that do not fit, summed per node group (CPU, pages) or PF (VFs). */
export function shortfalls(ctx: MisfitContext): PlanShortfall[] {
  const { topology, pools, pagesFree, pagesByNode } = ctx;
  const sizeKiB = topology.host.hugepages.sizeKiB;
  const cpuResource = topology.host.cpus.isolate === "auto" ? "cpu" : "isolation";
  const unplaced = ctx.works.filter((w) => ctx.unplaced.has(w.spec.name));
  const out: PlanShortfall[] = [];
  const entries = (nodes: number[], works: VnfWork[]): PlanShortfall[] => {
    const list: PlanShortfall[] = [];
    const nodePools = nodes.map((n) => pools.get(n)!);
    for (const unit of ["cores", "CPUs"] as const) {
      const wanting = works.filter((w) => (w.spec.threadPolicy === "share" ? "CPUs" : "cores") === unit);
      if (wanting.length === 0) continue;
      const need = wanting.reduce(
        (s, w) => s + cpuNeed(pools.get(w.candidates[0]!)!, w.spec.vcpus, w.spec.threadPolicy).need,
        0,
      );
      const free =
        unit === "cores"
          ? nodePools.reduce((s, p) => s + freeCoreCount(p), 0)
          : nodePools.reduce((s, p) => s + cpuNeed(p, 1, "share").have, 0);
      const total =
        unit === "cores"
          ? nodePools.reduce((s, p) => s + p.cores.length, 0)
          : nodePools.reduce((s, p) => s + p.cores.reduce((t, c) => t + c.threads.length, 0), 0);
      const threadPolicies = [...new Set(wanting.map((w) => w.spec.threadPolicy))].sort();
      list.push({
        resource: cpuResource,
        unit,
        nodes,
        threadPolicies,
        need,
        free,
        total,
        short: Math.max(0, need - free),
      });
    }
    const need = works.reduce((s, w) => s + w.pages, 0);
    const free = nodes.reduce((s, n) => s + (pagesFree.get(n) ?? 0), 0);
    const total = nodes.reduce((s, n) => s + pagesByNode.get(n)!.capacity, 0);
    list.push({
      resource: "hugepages",
      unit: "pages",
      nodes,
      sizeKiB,
      need,
      free,
      total,
      short: Math.max(0, need - free),
    });
    return list;
  };
  for (const scope of scopes(unplaced)) {
    // The whole group first (its need is the sum over every VNF in it), then any narrower set of
    // nodes that some VNFs are confined to and that is short on its own (a VNF pinned to node 0
    // cannot use node 1's free cores).
    out.push(...entries(scope.nodes, scope.works));
    const sets = new Map(scope.works.map((w) => [w.candidates.join(","), w.candidates]));
    for (const nodes of [...sets.values()].sort((a, b) => a.length - b.length || a[0]! - b[0]!)) {
      if (nodes.length === scope.nodes.length) continue;
      const inside = scope.works.filter((w) => w.candidates.every((n) => nodes.includes(n)));
      out.push(
        ...entries(
          [...nodes].sort((a, b) => a - b),
          inside,
        ).filter((e) => e.short > 0),
      );
    }
  }
  // VFs per PF: what placed VNFs could not get, plus what the unplaced ones would take.
  const vfNeed = new Map<string, number>();
  for (const [name, pfs] of ctx.vfShort) {
    if (ctx.unplaced.has(name)) continue; // counted with the unplaced below
    for (const pf of pfs) vfNeed.set(pf, (vfNeed.get(pf) ?? 0) + 1);
  }
  for (const w of unplaced) for (const pf of w.pfOf.values()) vfNeed.set(pf, (vfNeed.get(pf) ?? 0) + 1);
  for (const [pf, need] of [...vfNeed].sort((a, b) => a[0].localeCompare(b[0]))) {
    const st = ctx.pfStates.get(pf);
    if (!st) continue;
    const free = st.holder.filter((h) => h === null).length;
    out.push({
      resource: "vf",
      unit: "VFs",
      nodes: st.nic.node >= 0 ? [st.nic.node] : [],
      pf,
      need,
      free,
      total: st.numVfs,
      short: Math.max(0, need - free),
    });
  }
  return out;
}

/** One shortfall as a line under the aggregate problem. */
export function shortfallText(s: PlanShortfall): string {
  const counts = `they need ${s.need}, ${s.free} of ${s.total} ${s.resource === "hugepages" ? "reserved " : ""}${s.free === 1 ? "is" : "are"} free, ${s.short} short`;
  switch (s.resource) {
    case "cpu":
    case "isolation":
      return (
        `${s.unit === "cores" ? "whole cores" : "CPUs"} for vCPUs on ${nodesText(s.nodes)}${s.resource === "isolation" ? " in host.cpus.isolate" : ""}` +
        ` (thread ${(s.threadPolicies ?? []).length === 1 ? "policy" : "policies"} ${(s.threadPolicies ?? []).join(", ")}): ${counts}`
      );
    case "hugepages":
      return `${pageSizeText(s.sizeKiB ?? 0)} hugepages on ${nodesText(s.nodes)}: ${counts}`;
    case "vf":
      return `VFs of ${s.pf}: ${counts}`;
  }
}

function describeShape(w: VnfWork): string {
  return `${plural(w.spec.vcpus, "vCPU")}, ${sizeText(w.spec.memoryKiB)}, thread policy ${w.spec.threadPolicy}`;
}

/** Whose fault: the whole host, or the nodes some VNFs are confined to (by node: or their PFs). */
function tooSmall(ctx: MisfitContext, nodes: readonly number[]): string {
  return nodes.length === ctx.model.nodeIds.length
    ? "this host is too small for them"
    : `${nodesText(nodes)} ${nodes.length === 1 ? "is" : "are"} too small for the VNFs confined to ${nodes.length === 1 ? "it" : "them"}`;
}

function moveAdvice(ctx: MisfitContext, nodes: readonly number[]): string {
  return nodes.length === ctx.model.nodeIds.length
    ? "run some on another host"
    : "move some to other nodes (node:, or PFs of other nodes) or to another host,";
}

/** Fixes that hold for every VNF that does not fit at once; "too small" when none can. */
function aggregateFixes(ctx: MisfitContext, all: PlanShortfall[], misfitNames: string[]): string[] {
  const { model, pools } = ctx;
  const k = misfitNames.length;
  const impossible: string[] = [];
  const possible: string[] = [];
  for (const s of all) {
    if (s.short === 0) continue;
    if (s.resource === "cpu" || s.resource === "isolation") {
      // Cores that could still be given to VNFs: non-isolated spare cores (explicit list), or the
      // extra housekeeping cores (auto). Beyond those the host has no more.
      const spare =
        s.resource === "isolation"
          ? s.nodes.flatMap((n) =>
              (model.coresByNode.get(n) ?? []).filter(
                (c) => !c.reserved && !pools.get(n)!.cores.some((pc) => pc.core === c),
              ),
            )
          : [];
      const extraHousekeeping =
        s.resource === "cpu" ? (model.housekeepingCoresPerNode - 1) * s.nodes.length : 0;
      const spareUnits = s.unit === "cores" ? spare.length : spare.reduce((t, c) => t + c.cpus.length, 0);
      if (s.resource === "isolation" && spareUnits >= s.short) {
        const add: number[] = [];
        let got = 0;
        for (const c of spare) {
          if (got >= s.short) break;
          add.push(...c.cpus);
          got += s.unit === "cores" ? 1 : c.cpus.length;
        }
        possible.push(
          `isolate at least ${s.short} more ${s.unit === "cores" ? "cores" : "CPUs"} on ${nodesText(s.nodes)}: add ${formatCpuList(add)} to host.cpus.isolate`,
        );
      } else if (
        s.resource === "cpu" &&
        extraHousekeeping > 0 &&
        s.unit === "cores" &&
        extraHousekeeping >= s.short
      ) {
        possible.push(
          `lower host.cpus.housekeeping-cores-per-node to 1 (frees ${plural(extraHousekeeping, "core")} on ${nodesText(s.nodes)}, at least ${s.short} needed)`,
        );
      } else {
        const extra = s.unit === "cores" ? extraHousekeeping : 0;
        const beyond = s.short - spareUnits - extra;
        impossible.push(
          `${tooSmall(ctx, s.nodes)}: ${s.nodes.length === 1 || s.nodes.length === ctx.model.nodeIds.length ? "it has" : "they have"} ${s.total + spareUnits + extra} ${s.unit} for VNFs in all` +
            `${extra > 0 ? " (with host.cpus.housekeeping-cores-per-node 1)" : ""}, ` +
            `at least ${plural(beyond, s.unit === "cores" ? "core" : "CPU")} short; ${moveAdvice(ctx, s.nodes)} or give them fewer vCPUs`,
        );
      }
    } else if (s.resource === "hugepages") {
      continue; // per group of nodes, below: one reservation that covers every narrower set too
    } else {
      const st = ctx.pfStates.get(s.pf!)!;
      const want = st.numVfs + s.short;
      if (want <= st.totalVfs)
        possible.push(`raise host.sriov ${s.pf} vfs to ${want} or more (sriov_totalvfs ${st.totalVfs})`);
      else
        impossible.push(
          `${s.pf} supports at most ${st.totalVfs} VFs (sriov_totalvfs), ${want - st.totalVfs} short of what they need: use another PF for some of them`,
        );
    }
  }
  for (const scope of scopes(ctx.works.filter((w) => ctx.unplaced.has(w.spec.name)))) {
    const short = all.some(
      (s) => s.resource === "hugepages" && s.short > 0 && s.nodes.every((n) => scope.nodes.includes(n)),
    );
    if (short) pageFixes(ctx, scope.nodes, scope.works, impossible, possible);
  }
  const fixes = [...impossible];
  const most = atMost(ctx);
  if (most !== null) fixes.push(most);
  // Fixes for one resource are pointless while another cannot be had at all.
  if (impossible.length === 0) fixes.push(...possible);
  if (all.length > 0 && all.every((s) => s.short === 0)) {
    fixes.push(
      `no resource is short in total, the ${plural(k, "VNF")} do not pack into what is left (cores and pages per node); reduce the vCPUs or memory of some VNFs`,
    );
  }
  return fixes;
}

/**
 * Reserve pages for every VNF of a node group: spread them over the nodes, most confined and
 * largest first onto the emptiest candidate node (one VNF's pages never span nodes), then give
 * the per-node targets, or say the nodes' memory cannot hold them.
 */
function pageFixes(
  ctx: MisfitContext,
  nodes: number[],
  works: VnfWork[],
  impossible: string[],
  possible: string[],
): void {
  const { topology, model, pagesByNode } = ctx;
  const sizeKiB = topology.host.hugepages.sizeKiB;
  const size = pageSizeText(sizeKiB);
  const heldNow = (n: number) => pagesByNode.get(n)!.capacity - (ctx.pagesFree.get(n) ?? 0);
  const held = new Map(nodes.map((n) => [n, heldNow(n)]));
  const order = [...works].sort(
    (a, b) => a.candidates.length - b.candidates.length || b.pages - a.pages || a.index - b.index,
  );
  for (const w of order) {
    const node = [...w.candidates].sort((a, b) => held.get(a)! - held.get(b)! || a - b)[0]!;
    held.set(node, held.get(node)! + w.pages);
  }
  const need = works.reduce((t, w) => t + w.pages, 0);
  if (nodes.some((n) => held.get(n)! > pagesByNode.get(n)!.memoryPages)) {
    const room = nodes.reduce((t, n) => t + Math.max(0, pagesByNode.get(n)!.memoryPages - heldNow(n)), 0);
    impossible.push(
      `${tooSmall(ctx, nodes)}: ${nodes.length === 1 || nodes.length === ctx.model.nodeIds.length ? "its" : "their"} memory holds at most ${room} more ${size} pages, ` +
        `they need ${need}${need > room ? `, at least ${need - room} short` : " and one VNF's pages never span nodes"}; ` +
        `${moveAdvice(ctx, nodes)} or give them less memory`,
    );
    return;
  }
  const echoes = nodes
    .map((n) => ({ n, target: held.get(n)! }))
    .filter(({ n, target }) => target > pagesByNode.get(n)!.total);
  if (echoes.length > 0) {
    possible.push(
      `reserve ${size} pages for all of them: ${echoes.map(({ n, target }) => `echo ${target} > ${hugepageSysfsPath(n, sizeKiB)}`).join("; ")}`,
    );
  }
  const count = topology.host.hugepages.count;
  if (count !== undefined) {
    const perNode = Math.max(0, ...nodes.map((n) => held.get(n)! - (pagesByNode.get(n)!.bootShare ?? 0)));
    if (perNode > 0) possible.push(`raise host.hugepages.count to ${count + perNode * model.nodeIds.length}`);
  }
}

/**
 * When every new VNF has the same shape, how many of them this host could ever hold: per node,
 * the cores VNFs may use and the pages its memory holds, whole VNFs only.
 */
function atMost(ctx: MisfitContext): string | null {
  const fresh = ctx.works.filter((w) => !w.existing);
  const first = fresh[0];
  if (!first || ctx.deployedCount > 0 || fresh.length !== ctx.vnfCount) return null;
  const key = (w: VnfWork) =>
    `${w.spec.vcpus}/${w.spec.threadPolicy}/${w.pages}/${w.candidates.join(",")}/${[...w.pfOf.values()].join(",")}`;
  if (fresh.some((w) => key(w) !== key(first) || w.blocked) || first.pfOf.size > 0) return null;
  if (first.spec.threadPolicy === "share") return null;
  const perNode = first.candidates.map((n) => {
    const coresEach = cpuNeed(ctx.pools.get(n)!, first.spec.vcpus, first.spec.threadPolicy).need;
    // Cores VNFs could ever use there (an explicit isolate list can grow to every non-host core).
    const usable = (ctx.model.coresByNode.get(n) ?? []).filter((c) => !c.reserved).length;
    const byCores = Math.floor(usable / Math.max(1, coresEach));
    const byMemory = Math.floor(ctx.pagesByNode.get(n)!.memoryPages / Math.max(1, first.pages));
    return { byCores, byMemory, fit: Math.min(byCores, byMemory) };
  });
  const n = perNode.reduce((s, p) => s + p.fit, 0);
  if (n >= ctx.vnfCount) return null;
  const limit = perNode.every((p) => p.byCores <= p.byMemory)
    ? "cores"
    : perNode.every((p) => p.byMemory < p.byCores)
      ? "node memory"
      : "cores and node memory";
  return `this host holds at most ${n} VNFs like these (${describeShape(first)}) whatever hugepages it reserves (${limit} limit it); the other ${ctx.vnfCount - n} need another host`;
}

/**
 * When two or more VNFs do not fit: marks each one's quantity fixes as valid for it alone and adds
 * the aggregate problem (resource "capacity", vnf null) with the totals and the joint fixes.
 */
export function addMisfitSummary(ctx: MisfitContext, problems: Problems, fileOrder: readonly string[]): void {
  const names = fileOrder.filter((n) => ctx.unplaced.has(n) || ctx.vfShort.has(n));
  if (names.length < 2) return;
  for (const n of names) {
    for (const p of problems.byVnf.get(n) ?? []) {
      if (!QUANTITY.has(p.resource) || p.need === null) continue;
      p.fixes = p.fixes.map((f) => `for ${n} alone: ${f}`);
    }
  }
  // A VNF held back by something no capacity cures (thread policy require without SMT) is named
  // but left out of the sums: more cores or pages would not make it fit.
  const blockedByOther = names.filter((n) =>
    (problems.byVnf.get(n) ?? []).some((p) => QUANTITY.has(p.resource) && p.need === null),
  );
  const curable: MisfitContext = {
    ...ctx,
    unplaced: new Set([...ctx.unplaced].filter((n) => !blockedByOther.includes(n))),
  };
  const all = shortfalls(curable);
  const fixes = aggregateFixes(curable, all, names);
  if (blockedByOther.length > 0)
    fixes.push(
      `${nameList(blockedByOther)} cannot fit whatever the capacity: see ${blockedByOther.length === 1 ? "its own problem" : "their own problems"}`,
    );
  const problem: PlanProblem = {
    vnf: null,
    resource: "capacity",
    node: null,
    need: ctx.vnfCount,
    have: ctx.vnfCount - names.length,
    message: `${names.length} of ${ctx.vnfCount} VNFs do not fit this host: ${nameList(names)}`,
    fixes,
    path: ["vnfs"],
    misfits: { vnfs: names, of: ctx.vnfCount, shortfalls: all },
  };
  problems.add(problem);
}
