/**
 * The doctor's report: one entry per audited item, each with the evidence it rests on and the
 * exact fix. `nfvhost doctor --json` prints DoctorReport as is, so fields are only ever added.
 */

export type CheckStatus = "pass" | "warn" | "fail" | "info";

/** Areas in the order the report groups them. */
export const CHECK_AREAS = [
  "virtualization",
  "iommu",
  "hugepages",
  "cpu",
  "power",
  "sriov",
  "os",
  "sysctl",
  "bios",
] as const;
export type CheckArea = (typeof CHECK_AREAS)[number];

export const AREA_TITLES: Record<CheckArea, string> = {
  virtualization: "Virtualization (KVM, QEMU, libvirt)",
  iommu: "IOMMU",
  hugepages: "Memory and hugepages",
  cpu: "CPU isolation and SMT",
  power: "CPU power management",
  sriov: "SR-IOV",
  os: "OS security",
  sysctl: "Kernel sysctl",
  bios: "BIOS (checked where Linux sees it, the rest a manual checklist)",
};

export interface DoctorCheck {
  /** Stable dotted id, e.g. "iommu.kernel", "sriov.eno2.mtu". */
  id: string;
  area: CheckArea;
  title: string;
  status: CheckStatus;
  /** The file or value the verdict rests on. */
  evidence: string;
  /** Exact command(s) or file edit, one step per line; absent when nothing needs doing. */
  fix?: string;
}

export interface DoctorSummary {
  pass: number;
  warn: number;
  fail: number;
  info: number;
}

export interface DoctorReport {
  /** Hostname, else the root the facts were read from. */
  host: string;
  summary: DoctorSummary;
  checks: DoctorCheck[];
}
