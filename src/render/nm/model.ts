/**
 * One typed NetworkManager connection per host interface the plan touches: the management NIC,
 * SR-IOV PFs and their VFs, bridges and their ports (seed sections (4), (5) and SR-IOV (3)). The
 * nmcli script (./nmcli.ts) and the keyfiles (./keyfile.ts) are both rendered from this model, and
 * a test feeds the nmcli arguments to `nmcli --offline` to prove they give the same keyfile.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { Plan, VfPlan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { assertBridgeName, assertIfName, assertMac, normalizePciAddress } from "../../util/names.js";
import { uuidV5 } from "../uuid.js";

export type NmRole = "management" | "sriov-pf" | "sriov-vf" | "bridge" | "bridge-port";

export interface NmSriovVf {
  index: number;
  mac: string;
  spoofCheck: boolean;
  trust: boolean;
  vlans: number[];
}

export interface NmIpConfig {
  method: "manual" | "disabled" | "ignore" | "auto";
  /** CIDR addresses; the gateway goes with the first one. */
  addresses: string[];
  gateway?: string;
  dns: string[];
}

export interface NmConnection {
  id: string;
  uuid: string;
  type: "ethernet" | "bridge";
  interfaceName: string;
  autoconnect: boolean;
  roles: NmRole[];
  /** Why this connection exists, for comments and the file table. */
  summary: string;
  /** Bridge this interface is a port of. */
  master?: string;
  mtu?: number;
  /** Clear a MAC binding NetworkManager may have added to an auto-created profile (the seed's VFs). */
  clearMacBinding: boolean;
  bridge?: { stp: boolean };
  sriov?: { totalVfs: number; vfs: NmSriovVf[] };
  /** Absent for bridge ports: NetworkManager gives a port no IP configuration. */
  ipv4?: NmIpConfig;
  ipv6?: NmIpConfig;
}

const NO_IPV4: NmIpConfig = { method: "disabled", addresses: [], dns: [] };
// "ignore" is the seed's choice for the VFs (IPV6INIT=no): NetworkManager leaves IPv6 alone.
const NO_IPV6: NmIpConfig = { method: "ignore", addresses: [], dns: [] };

/** The name systemd's predictable naming gives a PCI function without a firmware index: enp59s16f1. */
export function predictedVfName(pci: string): string {
  const [, bus, devfn] = normalizePciAddress(pci).split(":");
  const [dev, fn] = devfn!.split(".");
  return `enp${parseInt(bus!, 16)}s${parseInt(dev!, 16)}f${fn}`;
}

function vfName(vf: VfPlan): string {
  return vf.name ?? predictedVfName(vf.pci);
}

function splitCidr(cidr: string, what: string): { ip: string; prefix: number; family: 4 | 6 } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  const ip = m?.[1] ?? "";
  const prefix = Number(m?.[2]);
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : 0;
  if (!m || family === 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new NfvError({ what, value: cidr, expected: "an address with prefix length, e.g. 10.75.58.43/24" });
  }
  return { ip, prefix, family: family as 4 | 6 };
}

function managementIp(m: NonNullable<Plan["host"]["management"]>): { ipv4: NmIpConfig; ipv6: NmIpConfig } {
  const addr = splitCidr(m.address, "host.management.address");
  const gwFamily = m.gateway === undefined ? null : isIPv4(m.gateway) ? 4 : isIPv6(m.gateway) ? 6 : 0;
  if (gwFamily === 0 || (gwFamily !== null && gwFamily !== addr.family)) {
    throw new NfvError({
      what: "host.management.gateway",
      value: m.gateway,
      expected: `an IPv${addr.family} address in the same family as ${m.address}`,
    });
  }
  for (const d of m.dns) {
    if (!isIPv4(d) && !isIPv6(d)) {
      throw new NfvError({ what: "host.management.dns", value: d, expected: "an IPv4 or IPv6 address" });
    }
  }
  const dns4 = m.dns.filter((d) => isIPv4(d));
  const dns6 = m.dns.filter((d) => isIPv6(d));
  const statik = (family: 4 | 6): NmIpConfig => ({
    method: "manual",
    addresses: [m.address],
    ...(m.gateway !== undefined ? { gateway: m.gateway } : {}),
    dns: family === 4 ? dns4 : dns6,
  });
  // The seed leaves IPv6 on automatic for the management NIC (IPV6INIT=yes, IPV6_AUTOCONF=yes).
  if (addr.family === 4) return { ipv4: statik(4), ipv6: { method: "auto", addresses: [], dns: dns6 } };
  return { ipv4: { method: "disabled", addresses: [], dns: [] }, ipv6: statik(6) };
}

function base(
  topology: string,
  name: string,
  type: NmConnection["type"],
  role: NmRole,
  summary: string,
): NmConnection {
  return {
    id: name,
    uuid: uuidV5(`${topology}/network-manager/${name}`),
    type,
    interfaceName: name,
    autoconnect: true,
    roles: [role],
    summary,
    clearMacBinding: false,
  };
}

/** Builds every connection of the plan, merged per interface, in the order they must come up. */
export function buildConnections(plan: Plan): NmConnection[] {
  const byName = new Map<string, NmConnection>();
  const add = (conn: NmConnection): NmConnection => {
    const prev = byName.get(conn.interfaceName);
    if (!prev) {
      byName.set(conn.interfaceName, conn);
      return conn;
    }
    return merge(prev, conn);
  };

  for (const br of plan.host.bridges) {
    assertBridgeName(br.name, "host.bridges[].name");
    add({
      ...base(plan.topology, br.name, "bridge", "bridge", `Linux bridge ${br.name}, no host IP`),
      ...(br.mtu !== undefined ? { mtu: br.mtu } : {}),
      bridge: { stp: br.stp },
      ipv4: NO_IPV4,
      ipv6: NO_IPV6,
    });
  }

  const mgmt = plan.host.management;
  if (mgmt) {
    assertIfName(mgmt.interface, "host.management.interface");
    const ip = managementIp(mgmt);
    const existing = byName.get(mgmt.interface);
    if (existing) {
      existing.ipv4 = ip.ipv4;
      existing.ipv6 = ip.ipv6;
      existing.roles.push("management");
      existing.summary += `; management address ${mgmt.address}`;
    } else {
      add({
        ...base(
          plan.topology,
          mgmt.interface,
          "ethernet",
          "management",
          `management NIC, static ${mgmt.address}`,
        ),
        ...ip,
      });
    }
  }

  for (const pf of plan.host.sriov) {
    assertIfName(pf.pf, "host.sriov[].pf");
    const vfs = pf.vfs.map((vf): NmSriovVf => {
      assertMac(vf.mac, `MAC of VF ${vf.index} of ${pf.pf}`);
      return {
        index: vf.index,
        mac: vf.mac,
        spoofCheck: vf.spoofchk,
        trust: vf.trust,
        vlans: vf.vlan !== undefined ? [vf.vlan] : [],
      };
    });
    add({
      ...base(plan.topology, pf.pf, "ethernet", "sriov-pf", `SR-IOV PF, ${pf.numVfs} VFs, no host IP`),
      ...(pf.mtu !== undefined ? { mtu: pf.mtu } : {}),
      sriov: { totalVfs: pf.numVfs, vfs },
      ipv4: NO_IPV4,
      ipv6: NO_IPV6,
    });
  }

  for (const br of plan.host.bridges) {
    for (const port of br.ports) {
      assertIfName(port, `port of bridge ${br.name}`);
      add({
        ...base(plan.topology, port, "ethernet", "bridge-port", `port of bridge ${br.name}`),
        ...(br.mtu !== undefined ? { mtu: br.mtu } : {}),
        master: br.name,
      });
    }
  }

  for (const pf of plan.host.sriov) {
    for (const vf of pf.vfs) {
      const name = vfName(vf);
      assertIfName(name, `VF ${vf.index} of ${pf.pf}`);
      const predicted = vf.name === null ? " (name predicted from its PCI address)" : "";
      add({
        ...base(
          plan.topology,
          name,
          "ethernet",
          "sriov-vf",
          `VF ${vf.index} of ${pf.pf} (${vf.pci})${predicted}, no host IP`,
        ),
        ...(pf.mtu !== undefined ? { mtu: pf.mtu } : {}),
        clearMacBinding: true,
        ipv4: NO_IPV4,
        ipv6: NO_IPV6,
      });
    }
  }
  return [...byName.values()];
}

function conflict(prev: NmConnection, next: NmConnection, why: string): NfvError {
  return new NfvError({
    what: `host interface ${prev.interfaceName}`,
    value: [...prev.roles, ...next.roles].join(" + "),
    expected: why,
    fix: "give each role its own interface in the topology's host section",
  });
}

/** One interface in two roles (e.g. a PF that is also a bridge port): combine, or refuse what cannot be. */
function merge(prev: NmConnection, next: NmConnection): NmConnection {
  if (prev.type !== next.type) throw conflict(prev, next, "one connection type per interface");
  if (next.roles.includes("sriov-vf") || prev.roles.includes("sriov-vf")) {
    throw conflict(prev, next, "a VF used only as a VF");
  }
  if (prev.roles.some((r) => next.roles.includes(r)))
    throw conflict(prev, next, "each role once per interface");
  if (prev.mtu !== undefined && next.mtu !== undefined && prev.mtu !== next.mtu) {
    throw conflict(prev, next, `one MTU per interface, not ${prev.mtu} and ${next.mtu}`);
  }
  const isPort = prev.master !== undefined || next.master !== undefined;
  const hasAddress = [prev, next].some((c) => c.ipv4?.method === "manual" || c.ipv6?.method === "manual");
  if (isPort && hasAddress)
    throw conflict(prev, next, "no IP address on a bridge port (put it on the bridge)");
  prev.roles.push(...next.roles);
  prev.summary += `; ${next.summary}`;
  if (next.mtu !== undefined) prev.mtu = next.mtu;
  if (next.sriov) prev.sriov = next.sriov;
  if (next.master !== undefined) {
    prev.master = next.master;
    delete prev.ipv4;
    delete prev.ipv6;
  }
  return prev;
}
