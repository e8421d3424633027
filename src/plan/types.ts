/**
 * A plan: every decision the guide's engineer made by hand, computed from host facts and a
 * topology by the pure planner (./planner.ts). Renderers, apply and verify read only this.
 * `nfvhost plan --json` prints it; the shape is documented in docs/plan.md.
 */
import type {
  BootSpec,
  CpuModeSpec,
  Day0Spec,
  MacvtapMode,
  ThreadPolicy,
  VnfKind,
} from "../topology/types.js";

export type CpuRole =
  | { role: "housekeeping" }
  | { role: "isolated-free" }
  | { role: "vcpu"; vnf: string; vcpu: number }
  | { role: "emulator"; vnf: string }
  | { role: "offline" };

export interface CpuPartition {
  isolated: number[];
  housekeeping: number[];
  source: "auto" | "explicit";
  nohzFull: number[];
  rcuNocbs: number[];
}

export interface KernelArg {
  key: string;
  value: string | null;
}

export interface KernelArgChange {
  key: string;
  want: string | null;
  /** What /proc/cmdline has now; null when absent. */
  have: string | null;
}

export interface KernelArgsPlan {
  /** In the order the seed writes them: hugepagesz hugepages default_hugepagesz iommu isolcpus ... */
  args: KernelArg[];
  /** args joined as they go on the kernel command line. */
  line: string;
  /** Arguments that differ from the running kernel: these need a reboot. */
  changes: KernelArgChange[];
  needsReboot: boolean;
}

export interface HugepageReservation {
  node: number;
  sizeKiB: number;
  /** Pages the planned VNFs use on this node. */
  needed: number;
  /** Pages that must be reserved on this node (>= needed, >= what is already in use). */
  reserve: number;
  /** Pages reserved now (facts). */
  current: number;
  /** sysfs path that takes the runtime reservation. */
  sysfsPath: string;
}

export interface VfPlan {
  pf: string;
  pfPci: string;
  index: number;
  pci: string;
  /** VF netdev name when it has one now. */
  name: string | null;
  mac: string;
  vlan?: number;
  trust: boolean;
  spoofchk: boolean;
}

export interface PfPlan {
  pf: string;
  pci: string;
  driver: string | null;
  node: number;
  numVfs: number;
  totalVfs: number;
  mtu?: number;
  vfs: VfPlan[];
  /** Per-driver VLAN budget and what the plan uses of it. */
  vlanLimit: number | null;
  vlansUsed: number;
}

export type InterfacePlan = {
  /** 0-based vNIC order; the guest sees GigabitEthernet(index+1) on IOS-XE. */
  index: number;
  guestName: string;
  mac: string;
  model: string;
} & (
  | { type: "macvtap"; dev: string; mode: MacvtapMode }
  | { type: "sriov-pool"; network: string; vf: VfPlan }
  | { type: "sriov-hostdev"; vf: VfPlan }
  | { type: "bridge"; bridge: string; network?: string }
  | { type: "network"; network: string }
);

export interface VnfMemoryPlan {
  KiB: number;
  pageSizeKiB: number;
  pages: number;
  node: number;
  mode: "strict";
}

export interface VnfPlan {
  name: string;
  kind: VnfKind;
  image: string;
  node: number;
  vcpus: number;
  threadPolicy: ThreadPolicy;
  /** vcpuPins[i] is the host CPU of vCPU i. */
  vcpuPins: number[];
  emulatorCpus: number[];
  memory: VnfMemoryPlan;
  interfaces: InterfacePlan[];
  day0?: Day0Spec;
  lab: boolean;
  autostart: boolean;
  /** Already deployed and kept where it runs. */
  existing: boolean;
  /** Direct kernel boot, copied from the topology (VnfSpec.boot); absent: boot from the image. */
  boot?: BootSpec;
  /** Guest CPU mode (topology field cpu; host-passthrough when absent). */
  cpu?: CpuModeSpec;
  /** Boot a per-VNF qcow2 overlay of `image` (the base, never written). */
  overlay?: "per-vnf";
  /** Image release, from the topology or the image's file name. */
  version?: string;
}

export interface NetworkPlan {
  name: string;
  type: "sriov-pool" | "bridge" | "macvtap";
  pf?: string;
  bridge?: string;
  dev?: string;
  mode?: MacvtapMode;
  /** VF PCI addresses of the pool, as libvirt lists them after net-start. */
  vfPcis?: string[];
}

/** How the VNFs were placed: everything, or the proven best (or the best found with its bound). */
export interface PlacementSummary {
  placed: number;
  /** New VNFs of the topology the placement considered (running ones stay where they run). */
  of: number;
  /** No placement keeps more VNFs (higher priorities first). */
  proven: boolean;
  /** Proven upper bound on the new VNFs that can be placed; equals placed when proven. */
  bound: number;
  /** first-pass: the fast pass placed every VNF; milp: HiGHS solved it; none: nothing to place. */
  method: "first-pass" | "milp" | "none";
  /** Unproven only: the search's work limit (same on any machine) or its wall-clock guard ended it. */
  stoppedBy?: "work" | "time";
  /** The new VNFs left out (file order): leaving them out lets the others fit. */
  unplaced: string[];
  /** Why each VNF left out does not fit next to the others (absent when every VNF fits). */
  leftOut?: PlacementLeftOut[];
  /**
   * When exactly one VNF is left out: the least costly change of the topology file (its own keys)
   * that makes every VNF fit, checked by planning again; absent when no single change does.
   */
  smallestChange?: PlacementChange;
}

/** One value of the topology file to change, by its path in the file. */
export interface PlacementChange {
  /** Path of the key in the topology file: ["vnfs", "v02", "vcpus"], ["host", "hugepages", "count"]. */
  path: string[];
  value: string | number;
  from: string | number;
  /** "smallest change that makes every VNF fit: set vnfs.v02.vcpus to 4 (now 6)". */
  text: string;
}

/** A VNF the placement left out, and what binds it once the others are placed. */
export interface PlacementLeftOut {
  vnf: string;
  /** The resource that binds on the node that comes closest. */
  resource: PlanResource;
  node: number | null;
  /** "7 cores for 14 vCPUs (thread policy require), 12 x 1G pages, 1 VF of eno2". */
  needs: string;
  /** "3 free cores on node 1 and 3 of 22 1G pages left on node 1". */
  binding: string;
  /**
   * Alone: "leaving out v02 (needs ...; binding: ...) lets the other 7 fit"; one of several:
   * "v02 (needs ...; binding: ...)", under "leaving out these N lets the other M fit".
   */
  text: string;
}

export interface Plan {
  schema: 1;
  topology: string;
  host: {
    cpu: CpuPartition;
    /** Role of every CPU, indexed by CPU id order of facts.cpus. */
    cpuRoles: { cpu: number; node: number; siblings: number[]; role: CpuRole }[];
    kernelArgs: KernelArgsPlan;
    hugepages: HugepageReservation[];
    /** Boot-time total for hugepages= (all nodes). */
    bootHugepages: { sizeKiB: number; count: number };
    sysctl: Record<string, string>;
    sriov: PfPlan[];
    bridges: { name: string; ports: string[]; mtu?: number; stp: boolean }[];
    management?: { interface: string; address: string; gateway?: string; dns: string[]; mac?: string };
    selinux: string;
    firewalld: string;
    thp: string;
    localRepo?: { iso: string; mountpoint: string };
    /** System LANG; absent: left alone. */
    lang?: string;
  };
  networks: NetworkPlan[];
  vnfs: VnfPlan[];
  placement?: PlacementSummary;
  warnings: string[];
}

/** A VNF that is already running on the host: the planner must not move it. */
export interface DeployedVnf {
  name: string;
  node: number;
  vcpuPins: number[];
  emulatorCpus: number[];
  memoryKiB: number;
  pageSizeKiB: number;
  /** VF PCI addresses it holds. */
  vfs: string[];
  macs: string[];
}

export type PlanResource =
  | "cpu"
  | "memory"
  | "hugepages"
  | "vf"
  | "vlan"
  | "pf"
  | "node"
  | "mac"
  | "isolation"
  | "capacity"
  | "netdev";

/**
 * One resource that the VNFs which do not fit need together, against what the host has for them
 * (only on the aggregate `capacity` problem). Totals are sums over those VNFs, never per VNF.
 */
export interface PlanShortfall {
  resource: "cpu" | "isolation" | "hugepages" | "vf";
  /** cores (isolate/prefer/require), CPUs (share), pages (of sizeKiB), VFs (of pf). */
  unit: "cores" | "CPUs" | "pages" | "VFs";
  /** NUMA nodes these VNFs may use (their candidate nodes, merged where they overlap). */
  nodes: number[];
  pf?: string;
  sizeKiB?: number;
  /** cpu/isolation: thread policies of the VNFs counted (isolate: a core per vCPU; prefer/require: a core per sibling set; share: a CPU per vCPU). */
  threadPolicies?: ThreadPolicy[];
  /** What the VNFs that do not fit need together, in unit. */
  need: number;
  /** What is left on those nodes (or PF) after the VNFs that fit. */
  free: number;
  /** What the host has there for VNFs in all: cores VNFs may use, pages reserved, VFs created. */
  total: number;
  /** need - free, at least 0: how much is missing even before packing is considered. */
  short: number;
}

/** The aggregate problem's detail: which VNFs do not fit, of how many, and what they miss together. */
export interface PlanMisfits {
  vnfs: string[];
  /** VNFs in the topology. */
  of: number;
  shortfalls: PlanShortfall[];
}

/** Why one VNF (or the host) cannot fit, precise enough to act on. */
export interface PlanProblem {
  vnf: string | null;
  resource: PlanResource;
  node: number | null;
  need: number | null;
  have: number | null;
  message: string;
  /** What would make it fit: fewer vCPUs, another PF, isolate more, reserve pages... */
  fixes: string[];
  /** Topology path the problem is about (["vnfs", "csr1kv-1", "vcpus"]), for file:line in messages. */
  path?: (string | number)[];
  /** Only on the aggregate problem (resource "capacity", vnf null) when two or more VNFs do not fit. */
  misfits?: PlanMisfits;
}

export type PlanResult =
  { ok: true; plan: Plan } | { ok: false; problems: PlanProblem[]; placement?: PlacementSummary };
