/**
 * Host facts: everything nfvhost knows about a server, read from /proc, /sys, /etc and a few
 * commands (see `discover`). This shape is the public `nfvhost discover --json` contract
 * (documented in docs/discover.md): other tools consume it, so fields are only ever added.
 */

/** One logical CPU as the kernel numbers it. */
export interface CpuFact {
  id: number;
  /** physical_package_id */
  socket: number;
  /** core_id: unique only within a socket and often non-contiguous. */
  core: number;
  /** NUMA node the CPU belongs to (0 on hosts that report none). */
  node: number;
  /** thread_siblings_list, sorted, including the CPU itself. */
  siblings: number[];
  online: boolean;
  /**
   * AMD family 15h (Bulldozer) compute unit: the two cores sharing a front end that the kernel
   * reports as thread siblings. Discovery makes each its own core (siblings [id]), as hwloc does;
   * absent on every other CPU.
   */
  computeUnit?: number[];
}

/** Hugepage pool of one page size, counted in pages. */
export interface HugepagePool {
  total: number;
  free: number;
}

/** Keys are page sizes in KiB as decimal strings ("2048", "1048576"), only sizes the host supports. */
export type HugepagePools = Record<string, HugepagePool>;

export interface NodeFact {
  id: number;
  cpus: number[];
  memoryKiB: number;
  /** SLIT distances to every node, indexed by node id order of `nodes`. */
  distances: number[];
  hugepages: HugepagePools;
}

export interface VfFact {
  index: number;
  pci: string;
  /** null when the VF has no netdev (bound to vfio-pci, or no driver). */
  name: string | null;
  mac: string | null;
  driver: string | null;
  device?: string;
}

export interface SriovFact {
  totalVfs: number;
  numVfs: number;
  vfs: VfFact[];
  /** sriov_offset and sriov_stride: VF n has routing id PF + offset + n * stride (plan predicts VF addresses). */
  offset?: number;
  stride?: number;
}

/** One PCI network function: a plain NIC, an SR-IOV PF, or a VF. */
export interface NicFact {
  /** Netdev name; null for a function without one (e.g. a VF bound to vfio-pci). */
  name: string | null;
  /** Full PCI address, e.g. 0000:3b:00.1 */
  pci: string;
  driver: string | null;
  /** Kernel numa_node; -1 where the kernel reports none. */
  node: number;
  mtu?: number;
  mac?: string;
  /** As sysfs writes them, e.g. "0x8086". */
  vendor: string;
  device: string;
  operstate?: string;
  sriov?: SriovFact;
  /** PCI address of the PF, for VFs. */
  physfn?: string;
}

export interface KernelHugepageArg {
  sizeKiB: number;
  /** Pages requested in total (the sum of the per-node counts for the NODE:COUNT form). */
  count: number;
  /** Per-node form `hugepages=0:2,1:2` (kernel 5.12+): node id -> pages. */
  perNode?: Record<string, number>;
}

export interface IommuFact {
  enabled: boolean;
  passthrough: boolean;
  /** What the verdict rests on: cmdline args, /sys/class/iommu entries, DMAR/IVRS tables. */
  evidence: string[];
  /**
   * IOMMU ACPI tables present in /sys/firmware/acpi/tables ("DMAR" Intel VT-d, "IVRS" AMD-Vi):
   * the firmware (BIOS) half of virt-host-validate's IOMMU check. [] = none; null/absent = not visible.
   */
  acpiTables?: string[] | null;
  /** Entries in /sys/kernel/iommu_groups (0 = kernel IOMMU off); null/absent = not visible. */
  groups?: number | null;
}

export interface KernelFact {
  cmdline: string;
  release: string | null;
  isolatedCpus: number[];
  /** Flags given to isolcpus= (domain, managed_irq, nohz), empty when none. */
  isolcpusFlags: string[];
  nohzFull: number[];
  rcuNocbs: number[];
  hugepages: KernelHugepageArg[];
  defaultHugepageKiB: number | null;
  iommu: IommuFact;
}

export interface CpuModelFact {
  vendor: string | null;
  model: string | null;
  virtualization: "vmx" | "svm" | null;
  pages1G: boolean;
  smt: boolean;
  /** x86 "cpu family" of /proc/cpuinfo (6 Intel, 21 AMD Bulldozer, 23/25 Zen); null elsewhere. */
  family?: number | null;
  /**
   * Execute Disable / NX in force: the "nx" flag (the BIOS's Execute Disable Bit hides it); null
   * where /proc/cpuinfo has no x86 flags line.
   */
  nx?: boolean | null;
}

export interface OsFact {
  id: string | null;
  version: string | null;
  pretty: string | null;
  /** ID_LIKE entries, e.g. ["rhel", "fedora"]. */
  like: string[];
}

export interface SelinuxFact {
  /** Mode configured in /etc/selinux/config. */
  configured: "enforcing" | "permissive" | "disabled" | null;
  /** Mode in force now (/sys/fs/selinux/enforce), null when SELinux is not loaded. */
  current: "enforcing" | "permissive" | "disabled" | null;
}

export interface FirewalldFact {
  installed: boolean;
  enabled: boolean | null;
  active: boolean | null;
  evidence: string;
}

export interface ThpFact {
  enabled: "always" | "madvise" | "never" | null;
  defrag: string | null;
}

export interface VersionFact {
  version: string;
  evidence: string;
}

export interface CgroupFact {
  version: 1 | 2;
  /** Controller names as the kernel lists them (v2: cpu, cpuset, memory, io, pids ...; v1: cpu, cpuacct, blkio, devices ...). */
  controllers: string[];
  evidence: string;
}

export interface SecureGuestFact {
  technology: "sev" | "sev-es" | "sev-snp" | "tdx" | "s390-pv" | null;
  /** Enabled in the kernel/KVM module (e.g. /sys/module/kvm_amd/parameters/sev = Y). */
  enabled: boolean | null;
  evidence: string;
}

export interface MemlockFact {
  /** Hard RLIMIT_MEMLOCK of the discovering (root) process in KiB; null = unlimited. */
  hardKiB: number | null;
  /** CAP_SYS_RESOURCE in CapEff: without it libvirt cannot raise QEMU's memlock limit. */
  capSysResource: boolean | null;
  evidence: string;
}

export interface TurboFact {
  enabled: boolean;
  /** "intel_pstate" (no_turbo), "cpufreq" (global boost), "cpufreq-policy" (per-policy boost, amd-pstate). */
  source: "intel_pstate" | "cpufreq" | "cpufreq-policy";
  evidence: string;
}

/** One SMBIOS type 4 (Processor Information) structure: what the firmware says of a socket. */
export interface ProcessorFact {
  /** Socket Designation ("CPU1", "P0"). */
  socket: string | null;
  /** Processor Version (the model string the firmware reports). */
  version: string | null;
  /** Socket Populated (status bit 6). */
  populated: boolean;
  /** Cores of the model (Core Count); null when the firmware leaves it unknown. */
  coreCount: number | null;
  /** Cores the BIOS enabled (Core Enabled); fewer than coreCount = cores disabled in the BIOS. */
  coreEnabled: number | null;
  threadCount: number | null;
  evidence: string;
}

export interface CpuidleFact {
  /** /sys/devices/system/cpu/cpuidle/current_driver: intel_idle, acpi_idle, none ... */
  driver: string | null;
  /** Names of every state offered on some CPU, shallowest first (the firmware's menu). */
  offered: string[];
}

export interface Warning {
  path: string;
  message: string;
  /**
   * missing/unreadable: the file could not be read; garbage: it was read but is not what the
   * kernel writes there (the CLI exits 2); kernel-arg: a /proc/cmdline argument the kernel ignores.
   */
  kind?: "missing" | "unreadable" | "garbage" | "kernel-arg";
}

export interface HostFacts {
  /** Schema version of this object. */
  schema: 1;
  hostname: string | null;
  /** "/" for a live host, else the snapshot root that was read. */
  root: string;
  cpus: CpuFact[];
  nodes: NodeFact[];
  nics: NicFact[];
  /**
   * Every network interface name in /sys/class/net (PCI NICs and virtual ones: bridges, bonds,
   * VLANs, veth, tap), sorted; what a topology may name as a macvtap device or bridge port.
   */
  netdevs: string[];
  kernel: KernelFact;
  cpu: CpuModelFact;
  os: OsFact;
  selinux: SelinuxFact;
  firewalld: FirewalldFact;
  /** Only the keys the seed guide sets (and nfvhost plans), value as the kernel prints it. */
  sysctl: Record<string, string>;
  thp: ThpFact;
  libvirt: VersionFact | null;
  qemu: VersionFact | null;
  /**
   * Devices and limits that decide what this host can run; discover fills what it can see
   * and leaves null what it cannot (a snapshot has no /dev).
   */
  devices: {
    kvm: boolean | null;
    vhostNet: boolean | null;
    vfio: boolean | null;
    /** /dev/kvm opens read-write for the user running nfvhost (virt-host-validate "accessible"). */
    kvmAccessible?: boolean | null;
    /** /dev/net/tun exists (QEMU tap networking). */
    tun?: boolean | null;
  };
  /** cgroup hierarchy and the controllers it offers (from /proc/mounts, cgroup.controllers, /proc/cgroups). */
  cgroups?: CgroupFact | null;
  /** Confidential-guest support (AMD SEV, Intel TDX, s390 PV), informational like virt-host-validate. */
  secureGuest?: SecureGuestFact | null;
  /** Whether locked guest memory (<memoryBacking><locked/>) can work: RLIMIT_MEMLOCK and CAP_SYS_RESOURCE. */
  memlock?: MemlockFact | null;
  /** Hugetlbfs mounts from /proc/mounts with their pagesize option in KiB. */
  hugetlbfsMounts: { path: string; pageSizeKiB: number | null }[];
  /** Per-CPU cpufreq governor where visible ({"performance": [0,1,...]}). */
  governors: Record<string, number[]>;
  /** Deepest enabled cpuidle state names per CPU group where visible. */
  cstates: { cpus: number[]; states: string[] }[];
  dmi: { vendor: string | null; product: string | null };
  /**
   * Turbo (Intel Turbo Boost, AMD Core Performance Boost) as the cpufreq driver reports it; null
   * when no driver says (no cpufreq, a VM, a snapshot without it).
   */
  turbo?: TurboFact | null;
  /** Processor sockets from SMBIOS type 4 (dmidecode -t 4); null when not visible (not root, no DMI). */
  processors?: ProcessorFact[] | null;
  /** cpuidle driver and every idle state it offers, enabled or disabled by Linux; null without cpuidle. */
  cpuidle?: CpuidleFact | null;
  /** Every file that could not be read or parsed: discovery never throws on a missing file. */
  warnings: Warning[];
  /**
   * Fields whose null means "not recorded" (unknown) rather than "absent": the command and device
   * facts ("libvirt", "qemu", "firewalld.active", "devices.kvm", ...) of a root whose
   * nfvhost-snapshot.json is missing, or lacks or damages their entry. [] on a live host. Absent
   * in facts not made by discovery (synthetic shapes).
   */
  notRecorded?: string[];
}
