/**
 * The steps of out/apply.sh that are not host tuning: NetworkManager, libvirt networks, the day-0
 * ISOs and the domains, in the order the guide takes them.
 */
import { isIPv6 } from "node:net";
import { dirname } from "node:path";
import type { HostFacts } from "../facts/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { Plan, VnfPlan } from "../plan/types.js";
import { bootLoaderFor } from "./host/boot.js";
import { pageSizeName } from "./host/hugepages.js";
import type { NmConnection } from "./nm/model.js";
import { KEYFILE_DIR } from "./nm/keyfile.js";
import { nmcliLines, upLine } from "./nm/nmcli.js";
import { sh, type ShellStep } from "./script.js";

export const BACKUP_DIR = "/var/lib/nfvhost/backup";

export function networkManagerStep(conns: NmConnection[], plan: Plan, facts: HostFacts): ShellStep {
  const lines: string[] = [
    "# Each profile is created when missing, then every property nfvhost owns is set (seed (4), (5), SR-IOV (3)).",
    "# The same profiles as keyfiles: network-manager/system-connections/ (install -m 0600 into",
    `# ${KEYFILE_DIR}/, then nmcli connection reload).`,
  ];
  for (const c of conns) lines.push("", ...nmcliLines(c));
  const order: NmConnection[] = [
    ...conns.filter((c) => c.roles.includes("bridge") && !c.roles.includes("management")),
    ...conns.filter((c) => c.roles.includes("bridge-port")),
    ...conns.filter(
      (c) =>
        c.roles.includes("sriov-pf") && !c.roles.includes("bridge-port") && !c.roles.includes("management"),
    ),
  ];
  const vfs = conns.filter((c) => c.roles.includes("sriov-vf"));
  const mgmt = conns.filter((c) => c.roles.includes("management"));
  lines.push("", "# Activate: bridges, their ports, then the PFs (this creates the VFs), then the VFs.");
  for (const c of order) lines.push(upLine(c));
  if (vfs.length > 0) {
    lines.push("udevadm settle");
    lines.push("# A VF that a running VM holds has no netdev on the host: that is not an error.");
    for (const c of vfs)
      lines.push(
        `${upLine(c)} || echo ${sh(`${c.id}: not activated (VF in use by a VM, or not created)`)} >&2`,
      );
  }
  if (mgmt.length > 0) {
    lines.push("# The management connection last: over SSH the session may pause while it is re-applied.");
    for (const c of mgmt) lines.push(upLine(c));
  }
  const gw = plan.host.management?.gateway;
  const el7 = bootLoaderFor(facts.os).kind === "grub2-mkconfig";
  if (gw !== undefined) {
    const ping = isIPv6(gw) ? "ping -6" : "ping";
    lines.push(`if ${ping} -c 3 -W 2 ${sh(gw)}; then`);
    if (el7) {
      lines.push(
        "  # EL7: NetworkManager now owns the NICs; the legacy network service goes, as in the seed (4).",
      );
      lines.push("  if systemctl is-enabled network >/dev/null 2>&1; then");
      lines.push("    systemctl stop network");
      lines.push("    systemctl disable network");
      lines.push("  fi");
    } else {
      lines.push("  echo 'management gateway reachable'");
    }
    lines.push("else");
    lines.push(
      `  echo ${sh(`gateway ${gw} does not answer through ${plan.host.management!.interface}: check the management connection${el7 ? "; the legacy network service was left running" : ""}`)} >&2`,
    );
    lines.push("fi");
  }
  const pfs = conns.filter((c) => c.sriov);
  if (pfs.length > 0) lines.push(...pfs.map((c) => sh("ip", "link", "show", "dev", c.interfaceName)));
  const changes = conns.map(
    (c) => `NetworkManager ${c.id}: ${c.summary}${c.mtu !== undefined ? `, MTU ${c.mtu}` : ""}`,
  );
  return { id: "nmcli", title: "NetworkManager connections", changes, lines };
}

function backupThen(kind: "domain" | "network", name: string): string[] {
  const info = kind === "domain" ? "dominfo" : "net-info";
  const dump =
    kind === "domain" ? ["dumpxml", "--inactive", "--security-info"] : ["net-dumpxml", "--inactive"];
  return [
    `if virsh ${info} ${sh(name)} >/dev/null 2>&1; then`,
    `  mkdir -p ${BACKUP_DIR}`,
    `  ${sh("virsh", ...dump, name)} >"${BACKUP_DIR}/${kind}-${name}.$(date +%Y%m%d%H%M%S).xml"`,
    "fi",
  ];
}

export function libvirtNetworksStep(plan: Plan): ShellStep {
  const lines: string[] = [
    "# Any earlier definition is saved first; defining again changes only the persistent config.",
  ];
  for (const net of plan.networks) {
    const file = `libvirt/networks/${net.name}.xml`;
    lines.push(
      "",
      `# ${net.name}: ${net.type}${net.pf ? ` of ${net.pf}` : ""}${net.bridge ? ` on ${net.bridge}` : ""}${net.dev ? ` on ${net.dev}` : ""}`,
    );
    lines.push(...backupThen("network", net.name));
    lines.push(sh("virsh", "net-define", file));
    // awk reads all of virsh's output: with pipefail, grep -q could make virsh die of SIGPIPE.
    lines.push(
      `if [ "$(virsh net-info ${sh(net.name)} | awk '$1 == "Active:" { print $2 }')" != yes ]; then ${sh("virsh", "net-start", net.name)}; fi`,
    );
    lines.push(sh("virsh", "net-autostart", net.name));
  }
  return {
    id: "libvirt-networks",
    title: "libvirt networks",
    changes: plan.networks.map((n) => `libvirt network ${n.name} (${n.type}) defined, started, autostarted`),
    lines,
  };
}

export function day0Step(isos: { local: string; host: string; vnf: string }[]): ShellStep {
  const lines = [
    "# The day-0 images hold password hashes and tokens: root-only, libvirt relabels them for QEMU.",
  ];
  for (const iso of isos) lines.push(sh("install", "-D", "-m", "0600", iso.local, iso.host));
  return {
    id: "day0",
    title: "Day-0 ISO images",
    changes: isos.map((i) => `day-0 image for ${i.vnf}: ${i.host}`),
    lines,
  };
}

function vnfSummary(v: VnfPlan): string {
  const pages = `${v.memory.pages} x ${pageSizeName(v.memory.pageSizeKiB)} pages on node ${v.memory.node}`;
  return `${v.vcpus} vCPU on CPUs ${formatCpuList(v.vcpuPins)}, emulator on ${formatCpuList(v.emulatorCpus)}, ${pages}`;
}

/** What a domain needs on the host before it can start, from the desired libvirt state. */
export interface DomainFiles {
  name: string;
  /** virtlogd writes the serial console here: its directory must exist when the VM starts. */
  serialLog: string;
  overlay?: { path: string; base: string };
}

export function domainsStep(plan: Plan, files: readonly DomainFiles[]): ShellStep {
  const args = plan.host.kernelArgs.args.map((a) => (a.value === null ? a.key : `${a.key}=${a.value}`));
  const lines: string[] = [];
  if (args.length > 0) {
    lines.push(
      "# VMs start only once the kernel runs with the planned arguments (isolcpus, IOMMU, hugepages).",
    );
    lines.push("kernel_args_in_effect() {");
    lines.push("  local arg cmdline");
    lines.push('  cmdline=" $(cat /proc/cmdline) "');
    lines.push(`  for arg in ${args.map((a) => sh(a)).join(" ")}; do`);
    lines.push(
      '    case "$cmdline" in *" $arg "*) ;; *) echo "not in /proc/cmdline yet: $arg (reboot first)" >&2; return 1 ;; esac',
    );
    lines.push("  done");
    lines.push("}");
  } else {
    lines.push("kernel_args_in_effect() { true; }");
  }
  for (const v of plan.vnfs) {
    lines.push("", `# ${v.name}: ${vnfSummary(v)}${v.lab ? " (LAB: emulated, not for production)" : ""}`);
    if (v.existing) lines.push("# Already deployed: kept where it runs.");
    lines.push(...backupThen("domain", v.name));
    const f = files.find((d) => d.name === v.name);
    if (f) {
      // virtlogd opens the serial log when the VM starts (QEMU's user reaches the directory).
      lines.push(sh("install", "-d", "-m", "0755", dirname(f.serialLog)));
      if (f.overlay) {
        // The VM writes to its own overlay; the vendor's base image is never written.
        lines.push(sh("install", "-d", "-m", "0755", dirname(f.overlay.path)));
        lines.push(
          `[ -e ${sh(f.overlay.path)} ] || ${sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", f.overlay.base, "-F", "qcow2", f.overlay.path)}`,
        );
      }
    }
    lines.push(sh("virsh", "define", `libvirt/domains/${v.name}.xml`));
    if (v.autostart) lines.push(sh("virsh", "autostart", v.name));
    lines.push(`if [ "$(virsh domstate ${sh(v.name)})" != running ] && kernel_args_in_effect; then`);
    lines.push(`  ${sh("virsh", "start", v.name)}`);
    lines.push("fi");
    lines.push(sh("virsh", "vcpupin", v.name));
  }
  return {
    id: "domains",
    title: "Virtual machines",
    changes: plan.vnfs.map(
      (v) =>
        `VM ${v.name} defined${v.autostart ? ", autostarted" : ""}, started once the kernel runs with the planned arguments: ${vnfSummary(v)}`,
    ),
    lines,
  };
}
