/**
 * Why a VNF does not fit: the resource, the node that comes closest, how much is missing, and
 * what would make it fit, computed against the plan of the other VNFs. When other VNFs do not fit
 * either (`othersMiss`), absolute targets (the sysfs value, hugepages.count) would be wrong for
 * the set, so they are left to the aggregate problem (./capacity.ts) and the fix stays relative.
 */
import type { HostFacts } from "../facts/types.js";
import { KINDS } from "../topology/kinds.js";
import type { Topology } from "../topology/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { VnfWork } from "./checks.js";
import type { NodePool } from "./cpuPool.js";
import { allocate, cpuNeed, largestFit } from "./cpuPool.js";
import type { NodePages } from "./hugepages.js";
import type { HostModel } from "./hostModel.js";
import { hugepageSysfsPath, pageSizeText } from "./hostModel.js";
import { planInterfaces } from "./interfaces.js";
import { HOST_MEMORY_FLOOR_KiB, Problems, plural, sizeText } from "./problems.js";
import type { PfState } from "./sriov.js";
import { MacRegistry } from "./sriov.js";
import type { PlanResource } from "./types.js";

/** What explaining a misfit reads: the plan of the VNFs that fit, and where problems go. */
export interface MisfitInput {
  topology: Topology;
  model: HostModel;
  pools: Map<number, NodePool>;
  pagesByNode: Map<number, NodePages>;
  /** Pages left per node after the VNFs that fit. */
  pagesFree: Map<number, number>;
  facts: HostFacts;
  problems: Problems;
  /** Other VNFs do not fit either: absolute targets are left to the aggregate problem. */
  othersMiss: boolean;
}

/**
 * A VNF the solver left out because its PFs have too few free VFs or VLANs left: the problems a
 * VF handout would raise for it (without keeping the VFs). True when it found such a reason.
 */
export function vfMisfit(
  w: VnfWork,
  topology: Topology,
  pfStates: Map<string, PfState>,
  problems: Problems,
): boolean {
  const saved = [...pfStates.values()].map((st) => ({
    st,
    holder: [...st.holder],
    settings: [...st.hostdevSettings],
  }));
  const scratch = new Problems();
  planInterfaces(w, w.candidates[0] ?? 0, topology, pfStates, new MacRegistry(), scratch, undefined);
  for (const { st, holder, settings } of saved) {
    st.holder = holder;
    st.hostdevSettings = settings;
  }
  const vf = scratch.byVnf.get(w.spec.name)?.filter((p) => p.resource === "vf") ?? [];
  for (const p of vf) problems.add(p);
  if (vf.length > 0) return true;
  // VLANs over a PF's budget: checkVlans reports it.
  return w.spec.interfaces.some((iface, i) => {
    if (iface.type !== "sriov") return false;
    const st = pfStates.get(w.pfOf.get(i) ?? "");
    if (!st || st.limits.perPf === null) return false;
    const vlans = [...(iface.vlan !== undefined ? [iface.vlan] : []), ...(iface.trunkVlans ?? [])];
    return st.vlans.size + vlans.filter((v) => !st.vlans.has(v)).length > st.limits.perPf;
  });
}

export function explainMisfit(w: VnfWork, ctx: MisfitInput, missingVfs = false): void {
  const { topology, model, pools, pagesByNode, pagesFree, facts, problems, othersMiss } = ctx;
  const spec = w.spec;
  const name = spec.name;
  const size = pageSizeText(topology.host.hugepages.sizeKiB);
  const sizeKiB = topology.host.hugepages.sizeKiB;
  if (spec.threadPolicy === "require" && !model.smt) {
    problems.add({
      vnf: name,
      resource: "cpu",
      node: null,
      need: null,
      have: null,
      message: `${name} has thread policy require, which needs SMT sibling threads, and this host has SMT off`,
      fixes: [`set ${name} thread-policy to prefer or isolate`, "enable Hyper-Threading/SMT in the BIOS"],
      path: ["vnfs", name, "thread-policy"],
    });
    return;
  }
  // Report on the candidate node that is closest to fitting.
  const scored = w.candidates.map((node) => {
    const pool = pools.get(node)!;
    const cpu = cpuNeed(pool, spec.vcpus, spec.threadPolicy);
    const cpuFits = allocate(pool, name, spec.vcpus, spec.threadPolicy, model.smt) !== null;
    const left = pagesFree.get(node) ?? 0;
    const pagesShort = Math.max(0, w.pages - left);
    const cpuShort = cpuFits ? 0 : Math.max(1, cpu.need - cpu.have);
    return { node, pool, cpu, cpuFits, left, pagesShort, cpuShort };
  });
  scored.sort(
    (a, b) =>
      Number(!a.cpuFits) + Number(a.pagesShort > 0) - (Number(!b.cpuFits) + Number(b.pagesShort > 0)) ||
      a.cpuShort - b.cpuShort ||
      a.pagesShort - b.pagesShort ||
      a.node - b.node,
  );
  const best = scored[0];
  if (!best) return;
  const pinnedBy = w.pfOf.size > 0 ? [...new Set(w.pfOf.values())][0]! : null;
  const otherNodes = model.nodeIds.filter((n) => n !== best.node);
  const nodeFits = (node: number): boolean =>
    allocate(pools.get(node)!, name, spec.vcpus, spec.threadPolicy, model.smt) !== null &&
    (pagesFree.get(node) ?? 0) >= w.pages;
  const relocation = (): string[] => {
    const fitting = otherNodes.filter(nodeFits);
    if (fitting.length === 0) return [];
    if (spec.node !== undefined) return [`set ${name} node to ${fitting[0]} (it fits there)`];
    if (pinnedBy) {
      const pfs = facts.nics
        .filter((n) => n.sriov && n.name && !n.physfn && fitting.includes(n.node))
        .map((n) => `${n.name} (node ${n.node})`);
      return pfs.length ? [`use another PF for its SR-IOV interfaces: ${pfs.slice(0, 3).join(", ")}`] : [];
    }
    return [];
  };
  const where = w.candidates.length === 1 ? "" : ` (no node fits it; node ${best.node} comes closest)`;

  if (!best.cpuFits) {
    const fixes: string[] = [];
    const allowed = KINDS[spec.kind]?.vcpus ?? null;
    const fit = largestFit(best.pool, spec.threadPolicy, model.smt, allowed, spec.vcpus - 1);
    if (fit > 0) fixes.push(`reduce ${name} vcpus to ${fit}`);
    if (
      spec.threadPolicy === "isolate" &&
      model.smt &&
      allocate(best.pool, name, spec.vcpus, "prefer", model.smt)
    ) {
      const perCore = Math.max(...best.pool.cores.map((c) => c.threads.length));
      fixes.push(
        `set ${name} thread-policy to prefer: ${spec.vcpus} vCPUs then take ${plural(Math.ceil(spec.vcpus / perCore), "core")}`,
      );
    }
    const iso = topology.host.cpus.isolate;
    if (iso !== "auto") {
      const isoSet = new Set(iso);
      const spare = (model.coresByNode.get(best.node) ?? []).filter(
        (c) => !c.reserved && c.cpus.every((t) => !isoSet.has(t)),
      );
      const missing =
        best.cpu.unit === "cores"
          ? best.cpu.need - best.cpu.have
          : Math.ceil((best.cpu.need - best.cpu.have) / Math.max(1, spare[0]?.cpus.length ?? 1));
      if (missing > 0 && spare.length >= missing) {
        const add = spare.slice(0, missing).flatMap((c) => c.cpus);
        fixes.push(
          `isolate ${plural(missing, "more core")} on node ${best.node}: add ${formatCpuList(add)} to host.cpus.isolate`,
        );
      }
    } else if (model.housekeepingCoresPerNode > 1) {
      fixes.push(
        `lower host.cpus.housekeeping-cores-per-node to 1 (frees ${plural(model.housekeepingCoresPerNode - 1, "core")} per node)`,
      );
    }
    fixes.push(...relocation());
    const neighbours = [
      ...new Set(best.pool.cores.flatMap((c) => c.threadOwner.filter((o): o is string => o !== null))),
    ].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    if (fit === 0 && neighbours.length > 0) {
      fixes.push(`free cores on node ${best.node} by shrinking or moving ${neighbours.join(", ")}`);
    }
    const unitText =
      best.cpu.unit === "cores"
        ? best.cpu.need === 1
          ? "free core"
          : "free cores"
        : best.cpu.need === 1
          ? "free isolated CPU"
          : "free isolated CPUs";
    problems.add({
      vnf: name,
      resource: iso !== "auto" ? "isolation" : "cpu",
      node: best.node,
      need: best.cpu.need,
      have: best.cpu.have,
      message:
        `${name} needs ${best.cpu.need} ${unitText} on node ${best.node} for ${plural(spec.vcpus, "vCPU")} ` +
        `(thread policy ${spec.threadPolicy}), ${best.cpu.have} ${best.cpu.have === 1 ? "is" : "are"} left${iso !== "auto" ? " in host.cpus.isolate" : ""}${where}`,
      fixes,
      path: ["vnfs", name, "vcpus"],
    });
  }
  if (best.pagesShort > 0) {
    const np = pagesByNode.get(best.node)!;
    const taken = np.capacity - best.left;
    const fixes: string[] = [];
    const target = Math.max(np.total, taken + w.pages);
    const memoryLimited = target > np.memoryPages;
    if (!memoryLimited && othersMiss) {
      fixes.push(`reserve ${best.pagesShort} more ${size} pages on node ${best.node}`);
    } else if (!memoryLimited) {
      fixes.push(
        `reserve ${best.pagesShort} more ${size} pages on node ${best.node}: echo ${target} > ${hugepageSysfsPath(best.node, sizeKiB)}`,
      );
      const count = topology.host.hugepages.count;
      if (count !== undefined) {
        const raise = count + Math.max(0, target - (np.bootShare ?? 0)) * model.nodeIds.length;
        if (raise > count) fixes.push(`raise host.hugepages.count to ${raise}`);
      }
    }
    // When memory is the limit, leave the host its floor rather than suggesting every last page.
    const room = memoryLimited ? best.left * sizeKiB - HOST_MEMORY_FLOOR_KiB : best.left * sizeKiB;
    const minimum = KINDS[spec.kind]?.minMemoryKiB ?? 0;
    if (room >= sizeKiB && Math.floor(room / sizeKiB) * sizeKiB >= minimum)
      fixes.push(`reduce ${name} memory to ${sizeText(Math.floor(room / sizeKiB) * sizeKiB)}`);
    fixes.push(...relocation());
    const resource: PlanResource = memoryLimited ? "memory" : "hugepages";
    problems.add({
      vnf: name,
      resource,
      node: best.node,
      need: w.pages,
      have: best.left,
      message: memoryLimited
        ? `${name} needs ${w.pages} x ${size} hugepages on node ${best.node}, the node's memory holds only ${best.left} more${where}`
        : `${name} needs ${w.pages} x ${size} hugepages on node ${best.node}, ${best.left} ${best.left === 1 ? "is" : "are"} left of ${np.capacity} reserved${where}`,
      fixes,
      path: ["vnfs", name, "memory"],
    });
  }
  if (best.cpuFits && best.pagesShort === 0 && !missingVfs) {
    // Each resource fits alone but not together with the others the search placed.
    problems.add({
      vnf: name,
      resource: "cpu",
      node: best.node,
      need: best.cpu.need,
      have: best.cpu.have,
      message: `${name} does not fit next to the other VNFs: no assignment of NUMA nodes places every VNF`,
      fixes: [`reduce the vCPUs or memory of ${name} or of another VNF`],
      path: ["vnfs", name],
    });
  }
}
