/**
 * OS services the seed turns off right after installation: SELinux (sed on /etc/selinux/config,
 * reboot) and firewalld (stop + disable, with its warning to secure the upstream switch and firewall).
 */
import type { HostFacts } from "../../facts/types.js";
import { osFamily } from "../fixes.js";
import type { DoctorCheck } from "../types.js";

const SEED_SELINUX_FIX = "sed -i 's/SELINUX=enforcing/SELINUX=disabled/g' /etc/selinux/config";
const UPSTREAM_WARNING =
  "in production put the security policy on the switch this server connects to and on the egress firewall (seed)";

function selinuxFix(facts: HostFacts): string {
  const family = osFamily(facts.os);
  const steps = [SEED_SELINUX_FIX];
  // From EL9 SELINUX=disabled in the config file no longer disables SELinux at boot; the kernel argument does.
  if (family.kind === "el" && family.major >= 9) steps.push("grubby --update-kernel=ALL --args=selinux=0");
  steps.push("reboot", "getenforce   # expect Disabled");
  return steps.join("\n");
}

function selinux(facts: HostFacts): DoctorCheck {
  const base = { id: "os.selinux", area: "os", title: "SELinux disabled (seed)" } as const;
  const { configured, current } = facts.selinux;
  const evidence = `/etc/selinux/config SELINUX=${configured ?? "(no file)"}; /sys/fs/selinux/enforce: ${current ?? "not loaded"}`;
  if (configured === "disabled" && (current === "enforcing" || current === "permissive")) {
    return {
      ...base,
      status: current === "enforcing" ? "warn" : "info",
      evidence: `${evidence}: disabled in the config, takes effect after a reboot`,
      fix: "reboot",
    };
  }
  if (current === "enforcing" || (current === null && configured === "enforcing")) {
    return {
      ...base,
      status: "warn",
      evidence: `${evidence}: sVirt labels can block hugepage files, VF hostdevs and image paths (the seed disables SELinux)`,
      fix: selinuxFix(facts),
    };
  }
  if (current === "permissive" || (current === null && configured === "permissive")) {
    return {
      ...base,
      status: "info",
      evidence: `${evidence}: permissive only logs denials`,
      fix: selinuxFix(facts),
    };
  }
  return { ...base, status: "pass", evidence };
}

function firewalld(facts: HostFacts): DoctorCheck {
  const base = { id: "os.firewalld", area: "os", title: "firewalld stopped and disabled (seed)" } as const;
  const fw = facts.firewalld;
  if (!fw.installed)
    return {
      ...base,
      status: "pass",
      evidence: `firewalld not installed (${fw.evidence}); ${UPSTREAM_WARNING}`,
    };
  if (fw.active === null && fw.enabled === null)
    return { ...base, status: "info", evidence: `state not visible (${fw.evidence})` };
  if (fw.active || fw.enabled) {
    const state = `${fw.active ? "active" : "inactive"}, ${fw.enabled ? "enabled" : "disabled"}`;
    return {
      ...base,
      status: "warn",
      evidence: `firewalld ${state} (${fw.evidence}): its rules sit in the path of bridged and routed router traffic`,
      fix: [`# first: ${UPSTREAM_WARNING}`, "systemctl stop firewalld", "systemctl disable firewalld"].join(
        "\n",
      ),
    };
  }
  return {
    ...base,
    status: "pass",
    evidence: `firewalld inactive and disabled (${fw.evidence}); ${UPSTREAM_WARNING}`,
  };
}

export function osChecks(facts: HostFacts): DoctorCheck[] {
  return [selinux(facts), firewalld(facts)];
}
