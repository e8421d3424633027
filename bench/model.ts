/**
 * The placement problem as the MILP and the Nova driver see it, derived from the same HostFacts and
 * Topology that nfvhost plans from. The rules are nfvhost's (issue 3), written down independently of
 * the planner so that the benchmark checks it rather than copying it:
 * - one NUMA node per VNF; SR-IOV VNFs only on the node of their PF (a PF with node -1 fits anywhere);
 * - thread policy isolate: each vCPU on its own physical core (k vCPUs take k whole cores); on SMT
 *   hosts the VNF's emulator threads run on the sibling threads of those cores, without SMT on the
 *   node's housekeeping CPUs (so no extra core either way; Nova, by contrast, gives the emulator a
 *   core of its own under emulator_threads_policy=isolate);
 * - housekeeping: `housekeepingCoresPerNode` whole cores kept per node, CPU 0's core among them;
 * - memory from hugepages of the topology's page size on the VNF's node (node memory / page size);
 * - one VF per SR-IOV interface from its PF, at most the PF's planned VF count.
 */
import type { HostFacts } from "../src/facts/types.js";
import type { Topology } from "../src/topology/types.js";

export interface CoreModel {
  /** Online thread ids of one physical core, sorted. */
  threads: number[];
  housekeeping: boolean;
}

export interface NodeModel {
  id: number;
  cores: CoreModel[];
  /** Online threads per core on this node (cores of one node are alike on every bench shape). */
  threadsPerCore: number;
  /** Whole cores VNFs can use. */
  usableCores: number;
  /** Hugepages of the topology's size this node can give. */
  pages: number;
}

export interface PfModel {
  name: string;
  /** NUMA node of the PF; -1 when the host reports none (any node is local). */
  node: number;
  vfs: number;
}

export interface VnfModel {
  name: string;
  vcpus: number;
  pages: number;
  /** VFs needed per PF name. */
  vfs: Record<string, number>;
  /** Nodes the VNF may go to (locality). */
  nodes: number[];
}

export interface PlacementModel {
  pageSizeKiB: number;
  nodes: NodeModel[];
  pfs: PfModel[];
  vnfs: VnfModel[];
}

/** Whole cores a VNF takes on a node under the isolate policy (the node matters for other rules). */
export function coresFor(vcpus: number, _node: NodeModel): number {
  return vcpus;
}

/** The core (sibling group) of every online CPU, per node, with housekeeping marked. */
function nodeCores(facts: HostFacts, nodeId: number, housekeepingPerNode: number): CoreModel[] {
  const seen = new Map<string, CoreModel>();
  for (const c of facts.cpus) {
    if (!c.online || c.node !== nodeId) continue;
    const threads = c.siblings.filter((s) => facts.cpus.find((x) => x.id === s)?.online !== false);
    const key = threads.join(",");
    if (!seen.has(key)) seen.set(key, { threads, housekeeping: false });
  }
  const cores = [...seen.values()].sort((a, b) => a.threads[0]! - b.threads[0]!);
  // CPU 0's core first when it is on this node, then the lowest-numbered cores.
  const order = [...cores].sort((a, b) => Number(b.threads.includes(0)) - Number(a.threads.includes(0)));
  for (const core of order.slice(0, housekeepingPerNode)) core.housekeeping = true;
  return cores;
}

function pfNameOf(topology: Topology, network: string | undefined, pf: string | undefined): string | null {
  if (pf) return pf;
  const net = topology.networks.find((n) => n.name === network);
  return net && net.type === "sriov-pool" ? net.pf : null;
}

export function buildPlacementModel(facts: HostFacts, topology: Topology): PlacementModel {
  const pageSizeKiB = topology.host.hugepages.sizeKiB;
  const hk = Math.max(1, topology.host.cpus.housekeepingCoresPerNode);
  const nodes: NodeModel[] = facts.nodes.map((n) => {
    const cores = nodeCores(facts, n.id, hk);
    const sizes = new Set(cores.map((c) => c.threads.length));
    if (sizes.size > 1) {
      throw new Error(
        `node ${n.id} of ${facts.hostname} mixes cores with ${[...sizes].join(" and ")} online threads; ` +
          "the bench model counts whole cores and needs alike cores per node",
      );
    }
    return {
      id: n.id,
      cores,
      threadsPerCore: cores[0]?.threads.length ?? 1,
      usableCores: cores.filter((c) => !c.housekeeping).length,
      pages: Math.floor(n.memoryKiB / pageSizeKiB),
    };
  });
  const pfs: PfModel[] = topology.host.sriov.map((s) => {
    // A PF may be written as its netdev name or its PCI address.
    const nic = facts.nics.find((n) => n.name === s.pf || n.pci === s.pf);
    if (!nic) throw new Error(`topology ${topology.name}: PF ${s.pf} is not a NIC of ${facts.hostname}`);
    return { name: s.pf, node: nic.node, vfs: s.vfs };
  });
  const allNodes = nodes.map((n) => n.id);
  const vnfs: VnfModel[] = topology.vnfs.map((v) => {
    const vfs: Record<string, number> = {};
    for (const i of v.interfaces) {
      if (i.type !== "sriov") continue;
      const pf = pfNameOf(topology, i.network, i.pf);
      if (!pf) throw new Error(`VNF ${v.name}: SR-IOV interface without a PF`);
      vfs[pf] = (vfs[pf] ?? 0) + 1;
    }
    let allowed = v.node === undefined ? allNodes : [v.node];
    for (const pf of Object.keys(vfs)) {
      const node = pfs.find((p) => p.name === pf)?.node ?? -1;
      if (node >= 0) allowed = allowed.filter((n) => n === node);
    }
    return { name: v.name, vcpus: v.vcpus, pages: Math.ceil(v.memoryKiB / pageSizeKiB), vfs, nodes: allowed };
  });
  return { pageSizeKiB, nodes, pfs, vnfs };
}
