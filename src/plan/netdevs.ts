/**
 * Host interfaces a topology names (management NIC, bridge ports, macvtap devices, existing
 * bridges) must exist on the host, or be a bridge nfvhost itself creates: otherwise libvirt fails
 * only at `virsh start` ("Cannot get interface MTU on 'eno9'"), or NetworkManager at activation,
 * long after the plan said yes.
 */
import type { HostFacts } from "../facts/types.js";
import type { Topology } from "../topology/types.js";
import { didYouMean } from "../util/suggest.js";
import type { Problems } from "./problems.js";

const LISTED = 8;

export function checkHostInterfaces(topology: Topology, facts: HostFacts, problems: Problems): void {
  // A root without /sys/class/net (a hand-made tree) says nothing about interfaces: nothing to check.
  if (facts.netdevs.length === 0) return;
  const have = new Set(facts.netdevs);
  const created = new Set(topology.host.bridges.map((b) => b.name));
  const shown = facts.netdevs.filter((n) => n !== "lo");
  const listed = shown.length > LISTED ? `${shown.slice(0, LISTED).join(", ")}, …` : shown.join(", ");

  const check = (
    name: string,
    what: string,
    path: (string | number)[],
    vnf: string | null,
    mayBeCreatedBridge: boolean,
  ): void => {
    if (have.has(name) || (mayBeCreatedBridge && created.has(name))) return;
    const candidates = [...shown, ...(mayBeCreatedBridge ? created : [])];
    const guess = didYouMean(name, candidates);
    problems.add({
      vnf,
      resource: "netdev",
      node: null,
      need: null,
      have: null,
      message: `${what} ${name} is not a network interface of this host (it has: ${listed || "none"})`,
      fixes: [
        ...(guess ? [`did you mean ${guess}?`] : []),
        mayBeCreatedBridge
          ? `name an interface of this host, or a bridge under host.bridges (nfvhost creates those)`
          : `name an interface of this host (ip -br link lists them)`,
      ],
      path,
    });
  };

  const m = topology.host.management;
  if (m) check(m.interface, "host.management.interface", ["host", "management", "interface"], null, false);
  topology.host.bridges.forEach((b, i) =>
    b.ports.forEach((port, j) =>
      check(port, `bridge ${b.name} port`, ["host", "bridges", i, "ports", j], null, false),
    ),
  );
  for (const n of topology.networks) {
    if (n.type === "macvtap") check(n.dev, `network ${n.name} dev`, ["networks", n.name, "dev"], null, true);
    if (n.type === "bridge")
      check(n.bridge, `network ${n.name} bridge`, ["networks", n.name, "bridge"], null, true);
  }
  for (const v of topology.vnfs) {
    v.interfaces.forEach((iface, i) => {
      const path = ["vnfs", v.name, "interfaces", i];
      if (iface.type === "macvtap")
        check(iface.dev, `${v.name} interfaces[${i}] macvtap dev`, [...path, "dev"], v.name, true);
      if (iface.type === "bridge" && iface.bridge !== undefined)
        check(iface.bridge, `${v.name} interfaces[${i}] bridge`, [...path, "bridge"], v.name, true);
    });
  }
}
