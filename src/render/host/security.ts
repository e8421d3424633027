/**
 * The seed's SELinux and firewalld steps (section (2)). The guide disables both; so does nfvhost by
 * default, and the topology may keep either. The guide's warning travels with the commands.
 */
import type { HostFacts } from "../../facts/types.js";
import type { Plan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import type { ShellStep } from "../script.js";

const MODES = ["enforcing", "permissive", "disabled"];

export function securityStep(plan: Plan, facts: HostFacts): ShellStep | null {
  const lines: string[] = [];
  const changes: string[] = [];
  const selinux = plan.host.selinux;
  // Only where SELinux is installed (apply's rule too, src/render/host/settings.ts): Debian and
  // Ubuntu have no /etc/selinux/config for sed to edit.
  const installed = facts.selinux.configured !== null || facts.selinux.current !== null;
  if (selinux !== "keep" && installed) {
    if (!MODES.includes(selinux))
      throw new NfvError({
        what: "host.selinux",
        value: selinux,
        expected: "enforcing, permissive, disabled or keep",
      });
    const now = facts.selinux.configured;
    if (now !== selinux)
      changes.push(`SELinux: ${now ?? "unknown"} -> ${selinux} in /etc/selinux/config (reboot)`);
    lines.push(
      `# SELinux ${selinux} (configured now: ${now ?? "unknown"}); takes full effect after a reboot.`,
    );
    if (selinux === "disabled") {
      lines.push("sed -i 's/SELINUX=enforcing/SELINUX=disabled/g' /etc/selinux/config");
      lines.push("sed -i 's/^SELINUX=permissive$/SELINUX=disabled/' /etc/selinux/config");
    } else {
      lines.push(`sed -i 's/^SELINUX=[a-z]*$/SELINUX=${selinux}/' /etc/selinux/config`);
    }
    if (selinux !== "enforcing") {
      lines.push("# Permissive at once, so the rest of this script is not blocked before the reboot.");
      lines.push(
        'if command -v getenforce >/dev/null && [ "$(getenforce)" = Enforcing ]; then setenforce 0; fi',
      );
    }
    lines.push("if command -v getenforce >/dev/null; then getenforce; fi");
  }
  if (plan.host.firewalld === "disabled") {
    if (facts.firewalld.installed !== false || facts.firewalld.active === true) {
      changes.push("firewalld: stopped and disabled");
    }
    lines.push(
      "# Note: in production, enforce security policy on the switch this server connects to and on the",
    );
    lines.push("# egress firewall: with firewalld off the host itself no longer filters traffic.");
    lines.push("if systemctl cat firewalld.service >/dev/null 2>&1; then");
    lines.push("  systemctl stop firewalld");
    lines.push("  systemctl disable firewalld");
    lines.push("fi");
  } else if (plan.host.firewalld !== "keep") {
    throw new NfvError({ what: "host.firewalld", value: plan.host.firewalld, expected: "disabled or keep" });
  }
  if (lines.length === 0) return null;
  const now = facts.selinux.configured;
  const reboot =
    selinux !== "keep" && installed && now !== selinux
      ? { reboot: `SELinux ${now ?? "unknown"} -> ${selinux}` }
      : {};
  return { id: "selinux-firewalld", title: "SELinux and firewalld (seed (2))", changes, lines, ...reboot };
}
