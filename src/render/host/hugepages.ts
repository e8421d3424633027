/**
 * Runtime hugepage reservation per NUMA node (seed KVM tuning (3): echo N > .../nr_hugepages), a
 * hugetlbfs mount for each page size libvirt must back guests with, and a libvirtd restart so it
 * sees the mount. Reservations only ever grow here: lowering one could take pages a VM uses.
 */
import type { HostFacts } from "../../facts/types.js";
import type { Plan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { sh, type ShellStep } from "../script.js";

const SYSFS_RE = /^\/sys\/devices\/system\/node\/node\d+\/hugepages\/hugepages-\d+kB\/nr_hugepages$/;

export function pageSizeName(sizeKiB: number): string {
  if (sizeKiB % (1024 * 1024) === 0) return `${sizeKiB / (1024 * 1024)}G`;
  if (sizeKiB % 1024 === 0) return `${sizeKiB / 1024}M`;
  return `${sizeKiB}K`;
}

/** The page size as the kernel prints it in /proc/mounts: 2M, 1024M. */
export function procMountsSize(sizeKiB: number): string {
  return sizeKiB >= 1024 ? `${sizeKiB / 1024}M` : `${sizeKiB}K`;
}

/** Mount point nfvhost uses for a page size it has no hugetlbfs mount for: /dev/hugepages1G. */
export function hugetlbfsMountPoint(sizeKiB: number): string {
  return `/dev/hugepages${pageSizeName(sizeKiB)}`;
}

export function hugepagesStep(plan: Plan, facts: HostFacts): ShellStep {
  const lines: string[] = [];
  const changes: string[] = [];
  for (const r of plan.host.hugepages) {
    if (!SYSFS_RE.test(r.sysfsPath)) {
      throw new NfvError({
        what: `hugepage sysfs path of node ${r.node}`,
        value: r.sysfsPath,
        expected: "/sys/devices/system/node/nodeN/hugepages/hugepages-<size>kB/nr_hugepages",
      });
    }
    if (!Number.isInteger(r.reserve) || r.reserve < 0) {
      throw new NfvError({
        what: `hugepages to reserve on node ${r.node}`,
        value: r.reserve,
        expected: "a whole number of pages",
      });
    }
    if (r.reserve > r.current)
      changes.push(
        `node ${r.node}: ${r.current} -> ${r.reserve} x ${pageSizeName(r.sizeKiB)} hugepages (VNFs need ${r.needed})`,
      );
  }
  if (plan.host.hugepages.length > 0) {
    lines.push("# Reserve hugepages per NUMA node now, without a reboot (seed: echo N > .../nr_hugepages).");
    lines.push("# A reservation is only ever raised: lowering it could take pages a running VM uses.");
  }
  for (const r of plan.host.hugepages) {
    const size = pageSizeName(r.sizeKiB);
    const p = r.sysfsPath;
    lines.push(
      `# node ${r.node}: the VNFs use ${r.needed} x ${size}; reserve ${r.reserve} (${r.current} reserved when discovered)`,
    );
    lines.push(`if [ "$(cat ${p})" -lt ${r.reserve} ]; then echo ${r.reserve} >${p}; fi`);
    lines.push(
      `if [ "$(cat ${p})" -lt ${r.reserve} ]; then echo "node ${r.node}: only $(cat ${p}) of ${r.reserve} x ${size} pages:` +
        ` memory is fragmented, reboot with the kernel arguments" >&2; exit 1; fi`,
    );
  }

  const sizes = [...new Set(plan.vnfs.map((v) => v.memory.pageSizeKiB).filter((s) => s > 4))].sort(
    (a, b) => a - b,
  );
  for (const size of sizes) {
    const known = facts.hugetlbfsMounts.find((m) => m.pageSizeKiB === size);
    if (known) {
      lines.push(`# hugetlbfs with ${pageSizeName(size)} pages is mounted at ${known.path} already.`);
      continue;
    }
    const mp = hugetlbfsMountPoint(size);
    const name = pageSizeName(size);
    changes.push(`hugetlbfs mount ${mp} (pagesize=${name}) unless one exists; libvirtd restarted then`);
    const fstab = `hugetlbfs ${mp} hugetlbfs pagesize=${name} 0 0`;
    lines.push(`# libvirt backs guests with ${name} pages only from a hugetlbfs mounted with that page size`);
    lines.push(
      "# (/proc/mounts shows it as pagesize=" +
        procMountsSize(size) +
        "); it reads the mounts when it starts.",
    );
    lines.push(
      `if ! awk '$3 == "hugetlbfs" && $4 ~ /pagesize=${procMountsSize(size)}/ { found = 1 } END { exit !found }' /proc/mounts; then`,
    );
    lines.push(`  ${sh("mkdir", "-p", mp)}`);
    lines.push(`  ${sh("mount", "-t", "hugetlbfs", "-o", `pagesize=${name}`, "hugetlbfs", mp)}`);
    lines.push(`  grep -q ${sh(`^hugetlbfs ${mp} `)} /etc/fstab || echo ${sh(fstab)} >>/etc/fstab`);
    lines.push("  systemctl restart libvirtd");
    lines.push("fi");
  }
  lines.push("grep -i hugepages /proc/meminfo");
  return {
    id: "hugepages",
    title: "Hugepages: runtime reservation per NUMA node and hugetlbfs (seed KVM tuning (3))",
    changes,
    lines,
  };
}

/** THP as the plan asks: now through sysfs, at boot through systemd-tmpfiles. */
export function thpStep(plan: Plan, facts: HostFacts): { step: ShellStep; tmpfiles: string } | null {
  const want = plan.host.thp;
  if (want === "keep") return null;
  if (!["always", "madvise", "never"].includes(want)) {
    throw new NfvError({ what: "host.thp", value: want, expected: "always, madvise, never or keep" });
  }
  const path = "/sys/kernel/mm/transparent_hugepage/enabled";
  const tmpfiles = [
    "# Transparent hugepages, set by nfvhost at every boot (systemd-tmpfiles).",
    `w ${path} - - - - ${want}`,
    "",
  ].join("\n");
  const lines = [
    `# Static 1G pages work with THP on (the seed keeps the CentOS default); this topology asks for ${want}.`,
    `echo ${want} >${path}`,
    sh("install", "-m", "0644", "host/tmpfiles.d/nfvhost-thp.conf", "/etc/tmpfiles.d/nfvhost-thp.conf"),
    `cat ${path}`,
  ];
  const now = facts.thp.enabled ?? "unknown";
  return {
    step: {
      id: "thp",
      title: "Transparent hugepages",
      changes: now === want ? [] : [`transparent hugepages: ${now} -> ${want}`],
      lines,
    },
    tmpfiles,
  };
}
