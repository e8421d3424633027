/**
 * The host as the planner sees it: physical cores (sibling groups of online CPUs) per NUMA node,
 * and which of them VNFs may use under the topology's isolation mode.
 */
import type { HostFacts } from "../facts/types.js";
import type { CpuSpec } from "../topology/types.js";

export interface Core {
  node: number;
  /** Online threads of the core, sorted; the first one is the core's "primary" thread. */
  cpus: number[];
  /** Kept for the host whatever the plan: CPU 0's core and the first cores of each node. */
  reserved: boolean;
}

export interface HostModel {
  nodeIds: number[];
  /** Cores per node, sorted by their lowest CPU id. */
  coresByNode: Map<number, Core[]>;
  coreOfCpu: Map<number, Core>;
  online: Set<number>;
  allCpus: Set<number>;
  smt: boolean;
  vendor: "intel" | "amd";
  housekeepingCoresPerNode: number;
}

export function buildHostModel(facts: HostFacts, cpus: CpuSpec): HostModel {
  const online = new Set(facts.cpus.filter((c) => c.online).map((c) => c.id));
  const allCpus = new Set(facts.cpus.map((c) => c.id));
  const nodeSet = new Set<number>(facts.nodes.map((n) => n.id));
  for (const c of facts.cpus) nodeSet.add(c.node);
  const nodeIds = [...nodeSet].sort((a, b) => a - b);
  const byKey = new Map<string, Core>();
  const coreOfCpu = new Map<number, Core>();
  for (const c of facts.cpus) {
    if (!c.online) continue;
    const threads = [c.id];
    for (const s of c.siblings) if (s !== c.id && online.has(s) && !threads.includes(s)) threads.push(s);
    threads.sort((a, b) => a - b);
    const key = threads.join(",");
    let core = byKey.get(key);
    if (!core) {
      core = { node: c.node, cpus: threads, reserved: false };
      byKey.set(key, core);
    }
    coreOfCpu.set(c.id, core);
  }
  const coresByNode = new Map<number, Core[]>(nodeIds.map((n) => [n, []]));
  for (const core of byKey.values()) coresByNode.get(core.node)!.push(core);
  const housekeeping = Math.max(1, cpus.housekeepingCoresPerNode);
  for (const cores of coresByNode.values()) {
    cores.sort((a, b) => a.cpus[0]! - b.cpus[0]!);
    // CPU 0's core is the lowest on its node, so "the first N cores" always includes it.
    for (const core of cores.slice(0, housekeeping)) core.reserved = true;
  }
  const cpu0 = coreOfCpu.get(0);
  if (cpu0) cpu0.reserved = true;
  const amd = facts.cpu.vendor === "AuthenticAMD" || facts.cpu.virtualization === "svm";
  const smt = [...byKey.values()].some((c) => c.cpus.length > 1);
  return {
    nodeIds,
    coresByNode,
    coreOfCpu,
    online,
    allCpus,
    smt,
    vendor: amd ? "amd" : "intel",
    housekeepingCoresPerNode: housekeeping,
  };
}

/** "1G" / "2M" as the kernel's hugepagesz= takes it. */
export function pageSizeText(sizeKiB: number): string {
  if (sizeKiB % (1024 * 1024) === 0) return `${sizeKiB / (1024 * 1024)}G`;
  if (sizeKiB % 1024 === 0) return `${sizeKiB / 1024}M`;
  return `${sizeKiB}K`;
}

export function hugepageSysfsPath(node: number, sizeKiB: number): string {
  return `/sys/devices/system/node/node${node}/hugepages/hugepages-${sizeKiB}kB/nr_hugepages`;
}
