/**
 * libvirt networks from the plan: the seed's net-br1 (a network in front of Linux bridge br1) and
 * eno2_sriov_pool (a hostdev pool of eno2's VFs), plus macvtap networks on a host NIC.
 */
import type { NetworkPlan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { assertBridgeName, assertIfName, assertNetworkName } from "../../util/names.js";
import type { NetworkXml } from "../../libvirt/model.js";
import { networkToXml } from "../../libvirt/xml.js";

function missing(net: NetworkPlan, field: string, expected: string): never {
  throw new NfvError({ what: `networks.${net.name}.${field}`, value: undefined, expected });
}

/** The typed network for one planned libvirt network. */
export function buildNetwork(net: NetworkPlan): NetworkXml {
  assertNetworkName(net.name, `networks.${net.name}.name`);
  switch (net.type) {
    case "bridge": {
      const bridge = net.bridge ?? missing(net, "bridge", "the Linux bridge the network fronts, e.g. br1");
      assertBridgeName(bridge, `networks.${net.name}.bridge`);
      return {
        name: net.name,
        forward: { mode: "bridge", interfaces: [], addresses: [] },
        bridge: { name: bridge },
      };
    }
    case "sriov-pool": {
      // Only the PF: libvirt lists its VFs itself at net-start (and again after a VF count change).
      const pf = net.pf ?? missing(net, "pf", "the SR-IOV physical function, e.g. eno2");
      assertIfName(pf, `networks.${net.name}.pf`);
      return {
        name: net.name,
        forward: { mode: "hostdev", managed: true, pf, interfaces: [], addresses: [] },
      };
    }
    case "macvtap": {
      const dev = net.dev ?? missing(net, "dev", "the host NIC the macvtap devices sit on, e.g. eno1");
      assertIfName(dev, `networks.${net.name}.dev`);
      return { name: net.name, forward: { mode: net.mode ?? "bridge", interfaces: [dev], addresses: [] } };
    }
  }
}

/** The network XML file for one planned libvirt network. */
export function renderNetworkXml(net: NetworkPlan): string {
  return networkToXml(buildNetwork(net));
}
