/** Kernel parameters of the seed (section (2): ip_forward on, bridge netfilter off) as a sysctl.d file. */
import { SYSCTL_KEY_RE, SYSCTL_VALUE_RE } from "../../topology/values.js";
import type { HostFacts } from "../../facts/types.js";
import type { Plan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { sh, type ShellStep } from "../script.js";

export const SYSCTL_FILE = "/etc/sysctl.d/90-nfvhost.conf";

export const BR_NETFILTER_FILE = "/etc/modules-load.d/br_netfilter.conf";

export function needsBrNetfilter(plan: Plan): boolean {
  return Object.keys(plan.host.sysctl).some((k) => k.startsWith("net.bridge."));
}

export function brNetfilterFile(): string {
  return "# nfvhost: net.bridge.* sysctl keys (/etc/sysctl.d/90-nfvhost.conf) exist only with this module.\nbr_netfilter\n";
}

export function sysctlFile(plan: Plan): string {
  const lines = [
    `# Kernel parameters for topology ${plan.topology}, rendered by nfvhost (seed section (2)).`,
  ];
  for (const [key, value] of Object.entries(plan.host.sysctl)) {
    if (!SYSCTL_KEY_RE.test(key))
      throw new NfvError({
        what: "sysctl key",
        value: key,
        expected: "a dotted key such as net.ipv4.ip_forward",
      });
    if (!SYSCTL_VALUE_RE.test(value))
      throw new NfvError({ what: `sysctl ${key}`, value, expected: "letters, digits, spaces, . _ : -" });
    lines.push(`${key} = ${value}`);
  }
  return lines.join("\n") + "\n";
}

export function sysctlStep(plan: Plan, facts: HostFacts): ShellStep {
  const differs = Object.entries(plan.host.sysctl).filter(([k, v]) => facts.sysctl[k] !== v);
  const changes =
    differs.length > 0
      ? [`sysctl ${differs.map(([k, v]) => `${k}=${v}`).join(", ")} (${SYSCTL_FILE})`]
      : Object.keys(plan.host.sysctl).length > 0
        ? [`sysctl file ${SYSCTL_FILE} (values already in force)`]
        : [];
  const lines: string[] = [];
  if (needsBrNetfilter(plan)) {
    lines.push(
      "# net.bridge.* exist only while br_netfilter is loaded: load it now and at every boot (modules-load.d",
      "# runs before systemd-sysctl), so that these keys apply instead of failing.",
      sh("install", "-m", "0644", "host/modules-load.d/br_netfilter.conf", BR_NETFILTER_FILE),
      "modprobe br_netfilter",
    );
  }
  lines.push(
    sh("install", "-m", "0644", "host/sysctl.d/90-nfvhost.conf", SYSCTL_FILE),
    "sysctl --system",
    sh("sysctl", ...Object.keys(plan.host.sysctl)),
  );
  return { id: "sysctl", title: "Kernel parameters (seed (2): /etc/sysctl.conf)", changes, lines };
}
