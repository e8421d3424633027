/**
 * The sysctl keys the seed puts in /etc/sysctl.conf: forward IPv4, and keep bridged frames out of
 * iptables/ip6tables/arptables so Linux bridges in front of routers do not filter their traffic.
 */
import type { HostFacts } from "../../facts/types.js";
import type { DoctorCheck } from "../types.js";

export const SEED_SYSCTL: readonly { key: string; value: string; why: string }[] = [
  { key: "net.ipv4.ip_forward", value: "1", why: "the host routes for libvirt NAT networks and management" },
  {
    key: "net.bridge.bridge-nf-call-ip6tables",
    value: "0",
    why: "bridged IPv6 frames would traverse ip6tables",
  },
  {
    key: "net.bridge.bridge-nf-call-iptables",
    value: "0",
    why: "bridged IPv4 frames would traverse iptables",
  },
  { key: "net.bridge.bridge-nf-call-arptables", value: "0", why: "bridged ARP would traverse arptables" },
];

export const SYSCTL_FILE = "/etc/sysctl.d/90-nfvhost.conf";

function fix(key: string, value: string): string {
  return [`echo '${key} = ${value}' >> ${SYSCTL_FILE}`, "sysctl --system"].join("\n");
}

function procPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, "/")}`;
}

export function sysctlChecks(facts: HostFacts): DoctorCheck[] {
  return SEED_SYSCTL.map(({ key, value, why }): DoctorCheck => {
    const base = { id: `sysctl.${key}`, area: "sysctl", title: `${key} = ${value}` } as const;
    const seen = facts.sysctl[key];
    if (seen === undefined) {
      const bridge = key.startsWith("net.bridge.");
      return {
        ...base,
        status: "info",
        evidence: bridge
          ? `${procPath(key)} absent: br_netfilter is not loaded, so bridged traffic is not filtered now; persist ${value} for when it loads`
          : `${procPath(key)} not visible`,
        fix: fix(key, value),
      };
    }
    if (seen.trim() === value)
      return { ...base, status: "pass", evidence: `${procPath(key)}: ${seen.trim()}` };
    return {
      ...base,
      status: "warn",
      evidence: `${procPath(key)}: ${seen.trim()}, expected ${value}: ${why}`,
      fix: fix(key, value),
    };
  });
}
