/**
 * Checks that need no placement: page size, an explicit isolcpus list, and per VNF its PFs,
 * their node and its explicit node, which give the VNF's candidate nodes.
 */
import type { HostFacts } from "../facts/types.js";
import type { InterfaceSpec, Topology, VnfSpec } from "../topology/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { HostModel } from "./hostModel.js";
import { pageSizeText } from "./hostModel.js";
import type { Problems } from "./problems.js";
import { GiB, plural } from "./problems.js";
import type { DeployedVnf } from "./types.js";

export interface VnfWork {
  spec: VnfSpec;
  index: number;
  pages: number;
  /** PF of each SR-IOV interface by interface index. */
  pfOf: Map<number, string>;
  candidates: number[];
  /** Nodes of the NICs its macvtap interfaces sit on: preferred when there is room (not a rule). */
  preferNodes: number[];
  /** Problems that make placement pointless (unknown PF, conflicting nodes...). */
  blocked: boolean;
  existing: DeployedVnf | undefined;
}

export function pfOfInterface(
  topology: Topology,
  iface: InterfaceSpec,
): { pf: string | null; network: string | null } {
  if (iface.type !== "sriov") return { pf: null, network: null };
  if (iface.pf) return { pf: iface.pf, network: null };
  const net = topology.networks.find((n) => n.name === iface.network);
  return { pf: net && net.type === "sriov-pool" ? net.pf : null, network: iface.network ?? null };
}

export function checkPageSize(facts: HostFacts, sizeKiB: number, size: string, problems: Problems): void {
  const supported = new Set<number>();
  for (const n of facts.nodes) for (const k of Object.keys(n.hugepages)) supported.add(Number(k));
  if (!facts.cpu.pages1G) supported.delete(GiB);
  if (supported.has(sizeKiB)) return;
  const list = [...supported].sort((a, b) => a - b).map(pageSizeText);
  problems.add({
    vnf: null,
    resource: "hugepages",
    node: null,
    need: sizeKiB,
    have: null,
    message: `host.hugepages.size ${size} is not supported by this host (supported: ${list.join(", ") || "none"})`,
    fixes: list.length ? [`set host.hugepages.size to ${list[list.length - 1]}`] : [],
    path: ["host", "hugepages", "size"],
  });
}

export function checkExplicitIsolation(
  model: HostModel,
  topology: Topology,
  problems: Problems,
  warnings: string[],
): Set<number> | null {
  const iso = topology.host.cpus.isolate;
  if (iso === "auto") return null;
  const set = new Set(iso);
  const path = ["host", "cpus", "isolate"];
  const unknown = iso.filter((c) => !model.online.has(c));
  if (unknown.length > 0) {
    problems.add({
      vnf: null,
      resource: "isolation",
      node: null,
      need: null,
      have: null,
      message: `host.cpus.isolate lists CPUs ${formatCpuList(unknown)}, which are not online CPUs of this host (online: ${formatCpuList(model.online)})`,
      fixes: [`remove ${formatCpuList(unknown)} from host.cpus.isolate`],
      path,
    });
  }
  if (set.has(0)) {
    problems.add({
      vnf: null,
      resource: "isolation",
      node: null,
      need: null,
      have: null,
      message: "host.cpus.isolate includes CPU 0, which the host must keep",
      fixes: ["remove 0 from host.cpus.isolate"],
      path,
    });
  }
  const want = model.housekeepingCoresPerNode;
  for (const node of model.nodeIds) {
    const cores = model.coresByNode.get(node) ?? [];
    const kept = cores.filter((c) => c.cpus.every((t) => !set.has(t))).length;
    if (cores.length > 0 && kept < want) {
      problems.add({
        vnf: null,
        resource: "isolation",
        node,
        need: want,
        have: kept,
        message: `host.cpus.isolate leaves node ${node} ${plural(kept, "whole core")} for the host, at least ${want} needed (host.cpus.housekeeping-cores-per-node)`,
        fixes: [`keep ${plural(want - kept, "more core")} of node ${node} out of host.cpus.isolate`],
        path,
      });
    }
  }
  const split = [...new Set(model.coreOfCpu.values())].filter(
    (c) => c.cpus.some((t) => set.has(t)) && c.cpus.some((t) => !set.has(t)),
  );
  if (split.length > 0) {
    // Honoured as written, but a vCPU on such a core shares it with host tasks on the sibling.
    warnings.push(
      `host.cpus.isolate splits ${plural(split.length, "core")} from their sibling threads ` +
        `(${split.map((c) => c.cpus.join("+")).join(", ")}); isolate siblings together`,
    );
  }
  return set;
}

/** What analysing a VNF reads, and where it writes: the same for every VNF of one plan. */
export interface AnalyseContext {
  topology: Topology;
  facts: HostFacts;
  model: HostModel;
  /** Page size of the plan, KiB. */
  sizeKiB: number;
  /** VMs already running, by name: a VNF that runs is kept as it runs. */
  deployedByName: ReadonlyMap<string, DeployedVnf>;
  /** PFs the VNFs' SR-IOV interfaces use; each analysis adds its own. */
  referencedPfs: Set<string>;
  problems: Problems;
}

/** The constraints of one VNF that do not depend on the other VNFs: PFs, nodes, pages. */
export function analyseVnf(spec: VnfSpec, index: number, ctx: AnalyseContext): VnfWork {
  const { topology, facts, model, referencedPfs, problems, sizeKiB } = ctx;
  const existing = ctx.deployedByName.get(spec.name);
  const work: VnfWork = {
    spec,
    index,
    pages: Math.ceil(spec.memoryKiB / sizeKiB),
    pfOf: new Map(),
    candidates: [],
    preferNodes: [],
    blocked: false,
    existing,
  };
  const name = spec.name;
  const pfNodes = new Map<string, number>();
  spec.interfaces.forEach((iface, i) => {
    if (iface.type !== "sriov") return;
    const { pf, network } = pfOfInterface(topology, iface);
    const path = ["vnfs", name, "interfaces", i];
    if (pf === null) {
      problems.add({
        vnf: name,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: `${name} interfaces[${i}] uses network ${network ?? "(none)"}, which is not an sriov-pool network of the topology`,
        fixes: [
          `add an sriov-pool network ${network ?? ""} to networks, or set pf: on the interface`.replace(
            "  ",
            " ",
          ),
        ],
        path,
      });
      work.blocked = true;
      return;
    }
    const nic = facts.nics.find((n) => n.name === pf && !n.physfn);
    if (!nic) {
      const pfs = facts.nics.filter((n) => n.sriov && n.name).map((n) => n.name!);
      problems.add({
        vnf: name,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: `${name} interfaces[${i}] uses PF ${pf}, which is not a network interface of this host`,
        fixes: pfs.length ? [`use one of the SR-IOV PFs: ${pfs.join(", ")}`] : ["this host has no SR-IOV PF"],
        path,
      });
      work.blocked = true;
      return;
    }
    if (!nic.sriov) {
      problems.add({
        vnf: name,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: `${name} interfaces[${i}] uses PF ${pf}, which has no SR-IOV capability`,
        fixes: [`use a macvtap or bridge interface on ${pf}, or a PF with SR-IOV`],
        path,
      });
      work.blocked = true;
      return;
    }
    referencedPfs.add(pf);
    work.pfOf.set(i, pf);
    // A numa_node the host does not list is as good as none: any node is local.
    if (nic.node >= 0 && model.nodeIds.includes(nic.node)) pfNodes.set(pf, nic.node);
  });
  const distinct = [...new Set(pfNodes.values())];
  if (distinct.length > 1) {
    problems.add({
      vnf: name,
      resource: "node",
      node: null,
      need: null,
      have: null,
      message: `${name} has SR-IOV interfaces on PFs of different NUMA nodes: ${[...pfNodes].map(([p, n]) => `${p} (node ${n})`).join(", ")}`,
      fixes: [`use PFs of one NUMA node for all SR-IOV interfaces of ${name}`],
      path: ["vnfs", name, "interfaces"],
    });
    work.blocked = true;
  }
  if (spec.node !== undefined && !model.nodeIds.includes(spec.node)) {
    problems.add({
      vnf: name,
      resource: "node",
      node: spec.node,
      need: null,
      have: null,
      message: `${name} is set to node ${spec.node} but the host has nodes ${formatCpuList(model.nodeIds)}`,
      fixes: [`set node to one of ${formatCpuList(model.nodeIds)}, or remove it`],
      path: ["vnfs", name, "node"],
    });
    work.blocked = true;
  } else if (spec.node !== undefined && distinct.length === 1 && distinct[0] !== spec.node) {
    const [pf, pfNode] = [...pfNodes][0]!;
    problems.add({
      vnf: name,
      resource: "node",
      node: spec.node,
      need: null,
      have: null,
      message: `${name} is set to node ${spec.node} but its PF ${pf} is on node ${pfNode}`,
      fixes: [
        `set node: ${pfNode}, or remove node to follow the PF`,
        ...pfsOnNode(facts, spec.node).map((other) => `use PF ${other} (node ${spec.node}) instead of ${pf}`),
      ],
      path: ["vnfs", name, "node"],
    });
    work.blocked = true;
  }
  if (existing) return work;
  work.candidates =
    spec.node !== undefined ? [spec.node] : distinct.length === 1 ? [distinct[0]!] : [...model.nodeIds];
  if (work.candidates.length > 1) {
    // Not a constraint, a preference: try first the nodes of the NICs its macvtap interfaces sit
    // on, so their traffic does not cross the socket interconnect when there is room.
    const local = new Set<number>();
    for (const iface of spec.interfaces) {
      if (iface.type !== "macvtap") continue;
      const nic = facts.nics.find((n) => n.name === iface.dev);
      if (nic && nic.node >= 0) local.add(nic.node);
    }
    work.candidates = [
      ...work.candidates.filter((n) => local.has(n)),
      ...work.candidates.filter((n) => !local.has(n)),
    ];
    work.preferNodes = work.candidates.filter((n) => local.has(n));
  }
  return work;
}

export function checkPfCounts(topology: Topology, facts: HostFacts, problems: Problems): void {
  topology.host.sriov.forEach((s, i) => {
    const nic = facts.nics.find((n) => n.name === s.pf && !n.physfn);
    const path = ["host", "sriov", i];
    if (!nic || !nic.sriov) {
      problems.add({
        vnf: null,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: nic
          ? `host.sriov PF ${s.pf} has no SR-IOV capability`
          : `host.sriov PF ${s.pf} is not a network interface of this host`,
        fixes: [`remove ${s.pf} from host.sriov or name an SR-IOV PF`],
        path,
      });
      return;
    }
    if (s.vfs > nic.sriov.totalVfs) {
      problems.add({
        vnf: null,
        resource: "vf",
        node: nic.node >= 0 ? nic.node : null,
        need: s.vfs,
        have: nic.sriov.totalVfs,
        message: `host.sriov ${s.pf} asks for ${s.vfs} VFs, the PF supports at most ${nic.sriov.totalVfs} (sriov_totalvfs)`,
        fixes: [`set vfs to ${nic.sriov.totalVfs} or fewer`],
        path: [...path, "vfs"],
      });
    }
  });
}

export function pfsOnNode(facts: HostFacts, node: number): string[] {
  return facts.nics
    .filter((n) => n.sriov && n.name && !n.physfn && n.node === node)
    .map((n) => n.name!)
    .sort();
}
