/**
 * The topology file, after parsing and validation (see ./schema.ts and docs/topology.md).
 * Sizes are normalised to KiB, MACs to lower-case, and defaults are filled so that the planner
 * never has to guess. Names follow examples/topologies/seed-csr1kv.yaml, the seed deployment.
 */

export type ThreadPolicy = "isolate" | "prefer" | "require" | "share";
export type VnfKind =
  "csr1000v" | "c8000v" | "asav" | "xrv9k" | "vsrx3" | "vmseries" | "fortigate" | "vyos" | "chr" | "generic";

/** The guest CPU libvirt presents: the host's own (default), the host's model, or a named model. */
export type CpuModeSpec =
  { mode: "host-passthrough" } | { mode: "host-model" } | { mode: "custom"; model: string };
export type MacvtapMode = "bridge" | "vepa" | "private" | "passthrough";

export interface ManagementSpec {
  interface: string;
  /** CIDR, e.g. 10.75.58.43/24 */
  address: string;
  gateway?: string;
  dns: string[];
}

export interface CpuSpec {
  /** "auto" computes the smallest set; a list is honoured and checked. */
  isolate: "auto" | number[];
  /** Also plan nohz_full= and rcu_nocbs= for the isolated CPUs. */
  nohzFull: boolean;
  /** Whole physical cores kept for the host on every NUMA node (at least 1). */
  housekeepingCoresPerNode: number;
}

export interface HugepageSpec {
  sizeKiB: number;
  /** Pages reserved at boot (kernel argument). Omitted: computed from the plan. */
  count?: number;
}

export interface SriovPfSpec {
  pf: string;
  vfs: number;
  mtu?: number;
  trust?: boolean;
  spoofchk?: boolean;
  /** MAC per VF index, lower-case. */
  macs?: string[];
}

export interface BridgeSpec {
  name: string;
  ports: string[];
  mtu?: number;
  stp: boolean;
}

export interface LocalRepoSpec {
  iso: string;
  mountpoint: string;
}

export interface HostSpec {
  management?: ManagementSpec;
  cpus: CpuSpec;
  hugepages: HugepageSpec;
  sysctl: Record<string, string>;
  sriov: SriovPfSpec[];
  bridges: BridgeSpec[];
  /** The seed disables SELinux and firewalld; both default to that, both can be kept. */
  selinux: "disabled" | "permissive" | "enforcing" | "keep";
  firewalld: "disabled" | "keep";
  thp: "always" | "madvise" | "never" | "keep";
  localRepo?: LocalRepoSpec;
  /** System LANG (seed: en_US.UTF-8); absent: left alone. */
  lang?: string;
}

export type NetworkSpec =
  | { name: string; type: "sriov-pool"; pf: string }
  | { name: string; type: "bridge"; bridge: string }
  | { name: string; type: "macvtap"; dev: string; mode: MacvtapMode };

export type InterfaceSpec =
  | { type: "macvtap"; dev: string; mode: MacvtapMode; mac?: string; model?: string }
  /** A VF: from a libvirt hostdev network (`network`), or an explicit VF of a PF (`pf`). */
  | {
      type: "sriov";
      network?: string;
      pf?: string;
      mac?: string;
      vlan?: number;
      /** VLANs the guest tags itself on this VF (dot1q subinterfaces): counted against driver VLAN limits. */
      trunkVlans?: number[];
      trust?: boolean;
      spoofchk?: boolean;
    }
  | { type: "bridge"; bridge?: string; network?: string; mac?: string; model?: string }
  | { type: "network"; network: string; mac?: string; model?: string };

export interface Day0User {
  privilege: number;
  /** Name of the environment variable holding the clear-text password; never the password. */
  passwordEnv: string;
}

export interface Day0InterfaceSpec {
  address?: string;
  dhcp?: boolean;
  mtu?: number;
  description?: string;
  tunnel?: { encapsulation: "ipsec" | "gre"; color?: string; allowService: string[] };
}

export interface Day0Spec {
  mode: "controller" | "autonomous";
  hostname: string;
  system?: {
    systemIp: string;
    siteId: number;
    organizationName: string;
    spOrganizationName?: string;
    vbond: string;
    vbondPort?: number;
  };
  /** SD-WAN onboarding values for the cloud-init part; otp from the environment. */
  onboarding?: { uuid?: string; otpEnv?: string; rootCaEnv?: string };
  users: Record<string, Day0User>;
  enableSecretEnv?: string;
  nameServers: string[];
  routes: { prefix: string; nextHop: string }[];
  interfaces: Record<string, Day0InterfaceSpec>;
  ntp: { server: string; version?: number }[];
  clockTimezone?: string;
  license?: {
    /** Environment variable holding the Smart Licensing id token. */
    tokenEnv: string;
    sourceInterface?: string;
    toolsHost?: string;
    throughputLevel?: string;
    /** `license boot level`; the kind's default when absent (see topology/kinds.ts). */
    bootLevel?: string;
  };
  /** Extra IOS-XE lines appended verbatim. */
  extraConfig: string[];
}

/** Direct kernel boot: paths on the host, validated like every other path. */
export interface BootSpec {
  kernel: string;
  initrd?: string;
  cmdline?: string;
}

export interface VnfSpec {
  name: string;
  kind: VnfKind;
  /** The disk the domain boots: the image itself, or with overlay the read-only base of one. */
  image: string;
  /** per-vnf: the domain boots a qcow2 overlay of `image` under the state directory. */
  overlay?: "per-vnf";
  /** Image release (17.9.4a); from the topology, else from the image's file name. */
  version?: string;
  /** Guest CPU; absent: host-passthrough. */
  cpu?: CpuModeSpec;
  vcpus: number;
  memoryKiB: number;
  threadPolicy: ThreadPolicy;
  /** Force a NUMA node; otherwise the planner chooses. */
  node?: number;
  /** When not every VNF fits, higher priorities are kept first (default 0). */
  priority?: number;
  interfaces: InterfaceSpec[];
  day0?: Day0Spec;
  /** Emulated (TCG) domain for labs and CI; loudly marked as not for production. */
  lab: boolean;
  autostart: boolean;
  /**
   * Direct kernel boot (generic VNFs, test guests): libvirt <os><kernel/><initrd/><cmdline/>.
   * Optional; absent means boot from the image.
   */
  boot?: BootSpec;
}

export interface Topology {
  name: string;
  /** Whole-file lab mode: every VNF runs emulated. */
  lab: boolean;
  host: HostSpec;
  networks: NetworkSpec[];
  /** In file order; the planner does not depend on this order. */
  vnfs: VnfSpec[];
}

/** Where a value came from in the topology file, for messages that point at it. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface ParsedTopology {
  topology: Topology;
  file: string;
  /** Location of a path like ["vnfs", "csr1kv-1", "vcpus"]; the nearest existing parent when absent. */
  locate(path: (string | number)[]): SourceLocation;
}
