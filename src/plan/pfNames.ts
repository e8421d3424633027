/**
 * A PF may be written as its netdev name (eno2) or its PCI address (0000:3b:00.1) in a topology.
 * The rest of the planner speaks netdev names, so PCI addresses are resolved here against the
 * host's facts; an address the host does not have is left as written and reported by the checks.
 */
import type { HostFacts } from "../facts/types.js";
import type { InterfaceSpec, NetworkSpec, Topology } from "../topology/types.js";

const PCI = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

export function resolvePfNames(facts: HostFacts, topology: Topology): Topology {
  const byPci = new Map<string, string>();
  for (const nic of facts.nics) if (nic.name && !nic.physfn) byPci.set(nic.pci.toLowerCase(), nic.name);
  const resolve = (pf: string): string =>
    PCI.test(pf.toLowerCase()) ? (byPci.get(pf.toLowerCase()) ?? pf) : pf;
  const touches =
    topology.host.sriov.some((s) => resolve(s.pf) !== s.pf) ||
    topology.networks.some((n) => n.type === "sriov-pool" && resolve(n.pf) !== n.pf) ||
    topology.vnfs.some((v) => v.interfaces.some((i) => i.type === "sriov" && i.pf && resolve(i.pf) !== i.pf));
  if (!touches) return topology;
  const network = (n: NetworkSpec): NetworkSpec =>
    n.type === "sriov-pool" ? { ...n, pf: resolve(n.pf) } : n;
  const iface = (i: InterfaceSpec): InterfaceSpec =>
    i.type === "sriov" && i.pf ? { ...i, pf: resolve(i.pf) } : i;
  return {
    ...topology,
    host: { ...topology.host, sriov: topology.host.sriov.map((s) => ({ ...s, pf: resolve(s.pf) })) },
    networks: topology.networks.map(network),
    vnfs: topology.vnfs.map((v) => ({ ...v, interfaces: v.interfaces.map(iface) })),
  };
}
