/**
 * Every host of a fleet as a few numbers per NUMA node (free whole cores, free hugepages, free VFs
 * per PF) and every VNF as what it takes of them: the model the fleet placement solves over (./solve.ts) and
 * the bench's MILP solves exactly. It counts as the single-host planner does (docs/plan.md); the
 * planner then places each host's share exactly, and its answer is what counts.
 */
import type { HostFacts } from "../facts/types.js";
import type { DeployedVnf } from "../plan/types.js";
import type { HostSpec, NetworkSpec, VnfSpec } from "../topology/types.js";

export interface NodeCapacity {
  node: number;
  /** Whole cores VNFs may take (isolatable, not reserved for the host, not held by running VMs). */
  cores: number;
  /** Per free whole core, the threads vCPUs may use there (2, or 1 with an offline sibling). */
  coreThreads: number[];
  threadsPerCore: number;
  /** Hugepages of the host's page size this node can still give. */
  pages: number;
}

export interface HostCapacity {
  host: string;
  pageSizeKiB: number;
  nodes: NodeCapacity[];
  /** Free VFs per PF name (topology `pf:` as written), with the PF's node. */
  pfs: Map<string, { node: number; free: number }>;
  /** A key equal for hosts that take the same VNFs (page size, PFs and their nodes, devices). */
  signature: string;
  /** Interface names a VNF may attach to: netdevs, bridges the host section creates. */
  netdevs: Set<string>;
}

export interface Demand {
  pages: number;
  /** VFs per PF. */
  vfs: Map<string, number>;
  /** Nodes the VNF may use on this host (its `node:`, its PFs' node); null: any. */
  nodes: number[] | null;
  /** Why this host cannot take the VNF at all, whatever is free (a missing PF or device). */
  missing: string | null;
}

export function hostCapacity(
  host: string,
  facts: HostFacts,
  spec: HostSpec,
  deployed: readonly DeployedVnf[],
): HostCapacity {
  const online = facts.cpus.filter((c) => c.online);
  const onlineIds = new Set(online.map((c) => c.id));
  const explicit = Array.isArray(spec.cpus.isolate) ? new Set(spec.cpus.isolate) : null;
  const held = new Set<number>();
  for (const d of deployed) for (const c of [...d.vcpuPins, ...d.emulatorCpus]) held.add(c);
  const coresByNode = new Map<number, number[][]>();
  // A core is its online threads, met once: at its lowest online thread (CPUs in id order).
  for (const c of [...online].sort((a, b) => a.id - b.id)) {
    const threads = c.siblings.filter((s) => s !== c.id && onlineIds.has(s));
    if (threads.some((t) => t < c.id)) continue;
    threads.push(c.id);
    threads.sort((a, b) => a - b);
    let list = coresByNode.get(c.node);
    if (!list) coresByNode.set(c.node, (list = []));
    list.push(threads);
  }
  const nodeIds = [...new Set([...facts.nodes.map((n) => n.id), ...coresByNode.keys()])].sort(
    (a, b) => a - b,
  );
  const hk = Math.max(1, spec.cpus.housekeepingCoresPerNode);
  const size = spec.hugepages.sizeKiB;
  const nodes: NodeCapacity[] = nodeIds.map((node, i) => {
    const cores = coresByNode.get(node) ?? [];
    const usable = cores.filter((threads, j) => {
      if (threads.some((t) => held.has(t))) return false;
      if (explicit) return threads.some((t) => explicit.has(t));
      return j >= hk && !threads.includes(0);
    });
    const tpc = Math.max(1, ...cores.map((t) => t.length));
    const fact = facts.nodes.find((n) => n.id === node);
    const pool = fact?.hugepages[String(size)];
    const total = pool?.total ?? 0;
    const deployedPages = deployed
      .filter((d) => d.node === node && d.pageSizeKiB === size)
      .reduce((s, d) => s + Math.ceil(d.memoryKiB / size), 0);
    const inUse = Math.max(total - (pool?.free ?? 0), deployedPages);
    const memoryPages = Math.floor((fact?.memoryKiB ?? 0) / size);
    const count = spec.hugepages.count;
    // The boot count split over the nodes as the planner splits it (remainder to the first nodes).
    const share =
      count === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(Math.floor(count / nodeIds.length) + (i < count % nodeIds.length ? 1 : 0), total);
    return {
      node,
      cores: usable.length,
      coreThreads: usable.map((t) => t.length),
      threadsPerCore: tpc,
      pages: Math.max(0, Math.min(share, memoryPages) - inUse),
    };
  });
  const pfs = new Map<string, { node: number; free: number }>();
  const heldVfs = new Set(deployed.flatMap((d) => d.vfs));
  for (const s of spec.sriov) {
    const nic = facts.nics.find((n) => n.name === s.pf || n.pci === s.pf);
    if (!nic) continue;
    const used = facts.nics.filter((n) => n.physfn === nic.pci && heldVfs.has(n.pci)).length;
    const inFacts = (nic.sriov?.vfs ?? []).filter((v) => heldVfs.has(v.pci)).length;
    pfs.set(s.pf, { node: Math.max(0, nic.node), free: Math.max(0, s.vfs - Math.max(used, inFacts)) });
  }
  const netdevs = new Set<string>([
    ...facts.netdevs,
    ...facts.nics.flatMap((n) => (n.name ? [n.name] : [])),
    ...spec.bridges.map((b) => b.name),
  ]);
  const signature = [
    String(size),
    [...pfs].map(([pf, p]) => `${pf}@${p.node}`).join(","),
    [...netdevs].sort().join(","),
  ].join("|");
  return { host, pageSizeKiB: size, nodes, pfs, netdevs, signature };
}

/** Whole cores a VNF takes on a node: a core per vCPU (isolate), per sibling set (others). */
export function coresFor(vnf: VnfSpec, threadsPerCore: number): number {
  return vnf.threadPolicy === "isolate" ? vnf.vcpus : Math.ceil(vnf.vcpus / threadsPerCore);
}

export function demandOf(vnf: VnfSpec, cap: HostCapacity, networks: readonly NetworkSpec[]): Demand {
  const vfs = new Map<string, number>();
  const pfNodes = new Set<number>();
  let missing: string | null = null;
  const needDev = (dev: string, what: string) => {
    if (!cap.netdevs.has(dev) && missing === null) missing = `no ${what} ${dev}`;
  };
  const needPf = (pf: string) => {
    const p = cap.pfs.get(pf);
    if (!p) {
      if (missing === null) missing = `no SR-IOV PF ${pf} in its host section`;
      return;
    }
    vfs.set(pf, (vfs.get(pf) ?? 0) + 1);
    pfNodes.add(p.node);
  };
  for (const i of vnf.interfaces) {
    const net = "network" in i && i.network ? networks.find((n) => n.name === i.network) : undefined;
    if (i.type === "sriov") {
      if (i.pf) needPf(i.pf);
      else if (net?.type === "sriov-pool") needPf(net.pf);
    } else if (i.type === "macvtap") needDev(i.dev, "device");
    else if (i.type === "bridge" && i.bridge) needDev(i.bridge, "bridge");
    else if (net?.type === "bridge") needDev(net.bridge, "bridge");
    else if (net?.type === "macvtap") needDev(net.dev, "device");
  }
  let nodes: number[] | null = null;
  if (vnf.node !== undefined) nodes = [vnf.node];
  if (pfNodes.size > 0) {
    const pfList = [...pfNodes];
    nodes = nodes === null ? pfList : nodes.filter((n) => pfNodes.has(n));
    if (pfList.length > 1 || nodes.length === 0)
      missing ??= "its PFs and node pin are on different NUMA nodes";
  }
  if (memoryMisfit(vnf, cap))
    missing ??= `memory ${vnf.memoryKiB} KiB is not a multiple of the host's ${cap.pageSizeKiB} KiB pages`;
  return {
    pages: Math.ceil(vnf.memoryKiB / cap.pageSizeKiB),
    vfs,
    nodes,
    missing,
  };
}

function memoryMisfit(vnf: VnfSpec, cap: HostCapacity): boolean {
  return vnf.memoryKiB % cap.pageSizeKiB !== 0;
}
