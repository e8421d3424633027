/**
 * The kinds registry: one data entry per VNF vendor profile. The loader checks footprints, NIC
 * models and interface names against it; plan reads footprints and guest interface names; render
 * reads the NIC models, the disk bus and the day-0 format and medium; licensing reads the version
 * ranges. A new vendor is a new entry here (and, when its day-0 format is new, a renderer and a
 * parser under src/render/day0/formats/): nothing else in src/ branches on the kind.
 *
 * Every fact cites its source in docs/reference/ (cisco-vrouter-facts.md for IOS-XE,
 * vendor-profiles.md for the others, which says what was not checked on a real image).
 */
import type { VnfKind } from "./types.js";

export type NicModel = "virtio" | "vmxnet3" | "e1000" | "e1000e" | "rtl8139";

/** Renderer+parser pairs under src/render/day0/formats (one per configuration format). */
export type Day0FormatId =
  "iosxe" | "asa" | "iosxr" | "junos" | "panos-bootstrap" | "fortios-configdrive" | "vyos-nocloud";

export interface Day0Medium {
  format: Day0FormatId;
  /** day0 keys of the topology this format can express; the loader refuses the others. */
  fields: readonly Day0Field[];
  /** ISO9660 volume label the guest looks for; null where any label works (the default, "disk"). */
  volumeLabel: string | null;
  /** Paths inside the medium, in the order the README lists them (for docs and the lab test). */
  files: readonly string[];
}

export type Day0Field =
  | "mode"
  | "hostname"
  | "system"
  | "onboarding"
  | "users"
  | "enable-secret-env"
  | "name-servers"
  | "routes"
  | "interfaces"
  | "ntp"
  | "clock-timezone"
  | "license"
  | "extra-config";

/** Every day0 key of the topology schema. */
export const DAY0_FIELDS: readonly Day0Field[] = [
  "mode",
  "hostname",
  "system",
  "onboarding",
  "users",
  "enable-secret-env",
  "name-servers",
  "routes",
  "interfaces",
  "ntp",
  "clock-timezone",
  "license",
  "extra-config",
];
const IOS_XE_FIELDS = DAY0_FIELDS;
const BASIC_FIELDS: readonly Day0Field[] = [
  "hostname",
  "users",
  "name-servers",
  "routes",
  "interfaces",
  "ntp",
];

export interface GuestInterfaces {
  /** Names of the first vNICs, in order (e.g. the management port). */
  fixed: readonly string[];
  /** The name of the next vNICs, {n} counting up from start. */
  pattern: string;
  start: number;
  /** Short forms accepted in the topology, e.g. Gi -> GigabitEthernet. */
  alias?: { short: string; long: string };
}

export interface VersionRange {
  /** Lowest release, dotted (17.4); null: no lower bound known. */
  min: string | null;
  /** Highest release train (17.3 covers 17.3.x); null: open. */
  max: string | null;
}

export interface LicensingSpec {
  /** `license boot level` values the platform takes (addon dna-* is derived). */
  bootLevels: readonly string[];
  /** Rendered when the topology names none; null: the image's own level is kept. */
  defaultBootLevel: string | null;
  /** Numeric `platform hardware throughput level MB` values. */
  throughputMbps: readonly number[];
  /** Release from which tier levels T0-T3 are accepted; null: never on this platform. */
  tiersSince: string | null;
  /**
   * Last release that registers with `license smart register idtoken` (classic Smart Licensing);
   * later ones take `license smart trust idtoken ... all force` (Smart Licensing Using Policy,
   * 17.3.2). null: always the trust command.
   */
  registerUntil: string | null;
}

export interface KindSpec {
  kind: VnfKind;
  label: string;
  vendor: string;
  /** Section of docs/reference that sources this entry. */
  reference: string;
  /** Allowed vCPU counts; null when any count from 1 up is accepted. */
  vcpus: readonly number[] | null;
  minMemoryKiB: number;
  /** null: no upper bound beyond what the host has. */
  maxMemoryKiB: number | null;
  minNics: number;
  maxNics: number;
  /** Emulated NIC models for non-SR-IOV interfaces; the first is the default. */
  nicModels: readonly NicModel[];
  /** An SR-IOV VF can be attached (hostdev). */
  sriovVf: boolean;
  /** Guest drivers of VFs the vendor documents (in the guest: DPDK PMD or kernel driver). */
  vfDrivers: readonly string[];
  /** Driver the guest uses for each emulated model (what `verify --guest` expects to see). */
  guestDrivers: Readonly<Partial<Record<NicModel, string>>>;
  /** Bus of the boot disk. */
  diskBus: "virtio" | "ide" | "sata";
  /** Where the console is: the serial port nfvhost logs and `nfvhost exec` talks to. */
  console: "serial" | "vga-then-serial";
  /** Interface names inside the guest, in vNIC order; null: the guest names them itself. */
  guestInterfaces: GuestInterfaces | null;
  /** Image releases nfvhost knows this kind in; day-0 lines are checked against them. */
  versions: VersionRange;
  /** IOS-XE autonomous/controller day-0 (two modes); other kinds have one format. */
  day0: Day0Medium | null;
  /** Why a kind takes no day-0 from nfvhost (shown in errors and docs). */
  day0Note?: string;
  /** Controller (SD-WAN) mode day-0, IOS-XE only. */
  controllerDay0?: Day0Medium;
  licensing: LicensingSpec | null;
  /** Prompt of the console's exec mode, for `nfvhost exec` over the serial console. */
  prompt: RegExp | null;
}

const GIB = 1024 * 1024;
const MIB = 1024;

const IOS_XE_GUEST = {
  fixed: [],
  pattern: "GigabitEthernet{n}",
  start: 1,
  alias: { short: "Gi", long: "GigabitEthernet" },
} as const;
const IOS_XE_AUTONOMOUS: Day0Medium = {
  format: "iosxe",
  fields: IOS_XE_FIELDS,
  volumeLabel: null,
  files: ["iosxe_config.txt"],
};
const IOS_XE_CONTROLLER: Day0Medium = {
  format: "iosxe",
  fields: IOS_XE_FIELDS,
  volumeLabel: null,
  files: ["ciscosdwan_cloud_init.cfg"],
};
/** IOS-style prompts: `Router>` (user EXEC) and `Router#` (privileged EXEC). */
const IOS_PROMPT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}[>#]\s?$/;
const IOS_XE_DRIVERS = { virtio: "net_virtio", vmxnet3: "net_vmxnet3", e1000: "net_e1000_em" } as const;

const generic: KindSpec = {
  kind: "generic",
  label: "generic qcow2 VNF",
  vendor: "any",
  reference: "docs/topology.md",
  vcpus: null,
  minMemoryKiB: 1024,
  maxMemoryKiB: null,
  minNics: 0,
  // One PCI bus (i440fx has 32 slots, a few taken by the platform).
  maxNics: 28,
  nicModels: ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"],
  sriovVf: true,
  vfDrivers: [],
  guestDrivers: {
    virtio: "virtio_net",
    e1000: "e1000",
    e1000e: "e1000e",
    rtl8139: "8139cp",
    vmxnet3: "vmxnet3",
  },
  diskBus: "virtio",
  console: "serial",
  guestInterfaces: null,
  versions: { min: null, max: null },
  day0: null,
  day0Note: "a generic image configures itself (cloud-init baked in, or an ISO of your own)",
  licensing: null,
  prompt: null,
};

export const KINDS: Readonly<Record<VnfKind, KindSpec>> = {
  csr1000v: {
    kind: "csr1000v",
    label: "Cisco CSR 1000v",
    vendor: "Cisco",
    reference: "docs/reference/cisco-vrouter-facts.md#1-vm-footprint-vnics-libvirt-domain-settings",
    // COT csr1000v.py validate_cpu_count(); Cisco KVM guide (via jbarozet): >= 4 GB for 1/2/4 vCPU.
    vcpus: [1, 2, 4, 8],
    minMemoryKiB: 4 * GIB,
    maxMemoryKiB: null,
    minNics: 1,
    // COT validate_nic_count(); vrnetlab README: IOS XE 17.03.02 supports at most 26 interfaces.
    maxNics: 26,
    // Cisco's KVM list: virtio, or a VF (ixgbevf, i40evf).
    nicModels: ["virtio"],
    sriovVf: true,
    vfDrivers: ["net_ixgbe_vf", "net_i40e_vf"],
    guestDrivers: IOS_XE_DRIVERS,
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: IOS_XE_GUEST,
    // The CSR 1000v line ends with 17.3 (C8000v from 17.4); 16.3 is the oldest the facts cover.
    versions: { min: "16.3", max: "17.3" },
    day0: IOS_XE_AUTONOMOUS,
    controllerDay0: IOS_XE_CONTROLLER,
    licensing: {
      // CSR technology packages (show version: "License Level: ax").
      bootLevels: ["ax", "appx", "security", "ipbase"],
      defaultBootLevel: null,
      // The CSR 1000v throughput licences (10M to 10G); tiers came with C8000v.
      throughputMbps: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      tiersSince: null,
      registerUntil: "17.3.1",
    },
    prompt: IOS_PROMPT,
  },
  c8000v: {
    kind: "c8000v",
    label: "Cisco Catalyst 8000V",
    vendor: "Cisco",
    reference: "docs/reference/cisco-vrouter-facts.md#1-vm-footprint-vnics-libvirt-domain-settings",
    // C8000v OVA profiles: 1/2/4 vCPU with 4 or 8 GB; 8 vCPU/16 GB is used in the field.
    vcpus: [1, 2, 4, 8],
    minMemoryKiB: 4 * GIB,
    maxMemoryKiB: 16 * GIB,
    minNics: 1,
    // 26 is the count every source agrees on (CML lists 32 for recent releases, unconfirmed).
    maxNics: 26,
    // virtio is the documented KVM model; CML runs C8000v SD-WAN with vmxnet3 under KVM.
    nicModels: ["virtio", "vmxnet3"],
    sriovVf: true,
    vfDrivers: ["net_ixgbe_vf", "net_i40e_vf"],
    guestDrivers: IOS_XE_DRIVERS,
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: IOS_XE_GUEST,
    versions: { min: "17.4", max: null },
    day0: IOS_XE_AUTONOMOUS,
    controllerDay0: IOS_XE_CONTROLLER,
    licensing: {
      bootLevels: ["network-essentials", "network-advantage", "network-premier"],
      defaultBootLevel: "network-advantage",
      throughputMbps: [10, 15, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      // Cisco C8000V licensing guide, "Support for tier-based throughput" (17.7.1a).
      tiersSince: "17.7.1",
      registerUntil: null,
    },
    prompt: IOS_PROMPT,
  },
  asav: {
    kind: "asav",
    label: "Cisco ASAv",
    vendor: "Cisco",
    reference: "docs/reference/vendor-profiles.md#cisco-asav",
    // ASAv5/10 (1 vCPU), ASAv30 (4), ASAv50 (8), ASAv100 (16).
    vcpus: [1, 4, 8, 16],
    minMemoryKiB: 2 * GIB,
    maxMemoryKiB: 32 * GIB,
    minNics: 1,
    // Management0/0 plus GigabitEthernet0/0-0/8.
    maxNics: 10,
    nicModels: ["virtio", "e1000"],
    sriovVf: true,
    vfDrivers: ["ixgbevf", "i40evf"],
    guestDrivers: { virtio: "virtio", e1000: "e1000" },
    diskBus: "virtio",
    console: "vga-then-serial",
    guestInterfaces: { fixed: ["Management0/0"], pattern: "GigabitEthernet0/{n}", start: 0 },
    versions: { min: "9.2", max: null },
    day0: {
      format: "asa",
      // ASA and FortiOS day-0 take passwords in clear text only, which nfvhost never writes.
      fields: ["hostname", "name-servers", "routes", "interfaces", "ntp", "extra-config"],
      volumeLabel: null,
      files: ["day0-config"],
    },
    licensing: null,
    prompt: IOS_PROMPT,
  },
  xrv9k: {
    kind: "xrv9k",
    label: "Cisco IOS XRv 9000",
    vendor: "Cisco",
    reference: "docs/reference/vendor-profiles.md#cisco-ios-xrv-9000",
    vcpus: null,
    minMemoryKiB: 16 * GIB,
    maxMemoryKiB: null,
    // Management, two reserved (control and dev plane), then data ports.
    minNics: 3,
    maxNics: 14,
    nicModels: ["virtio", "e1000"],
    sriovVf: true,
    vfDrivers: ["ixgbevf", "i40evf"],
    guestDrivers: { virtio: "virtio", e1000: "e1000" },
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: {
      fixed: ["MgmtEth0/RP0/CPU0/0", "ctrl-reserved", "dev-reserved"],
      pattern: "GigabitEthernet0/0/0/{n}",
      start: 0,
    },
    // secret 10 (SHA-512 crypt) in the day-0 needs IOS XR 7.0.
    versions: { min: "7.0", max: null },
    day0: {
      format: "iosxr",
      fields: [...BASIC_FIELDS, "extra-config"],
      volumeLabel: "config-1",
      files: ["iosxr_config.txt"],
    },
    licensing: null,
    prompt: /^RP\/0\/RP0\/CPU0:[A-Za-z0-9._-]+#\s?$/,
  },
  vsrx3: {
    kind: "vsrx3",
    label: "Juniper vSRX 3.0",
    vendor: "Juniper",
    reference: "docs/reference/vendor-profiles.md#juniper-vsrx-30",
    vcpus: [2, 5, 9, 17],
    minMemoryKiB: 4 * GIB,
    maxMemoryKiB: null,
    minNics: 1,
    // fxp0 plus ge-0/0/0 to ge-0/0/8.
    maxNics: 10,
    nicModels: ["virtio"],
    sriovVf: true,
    vfDrivers: ["ixgbevf", "iavf"],
    guestDrivers: { virtio: "virtio" },
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: { fixed: ["fxp0"], pattern: "ge-0/0/{n}", start: 0 },
    versions: { min: "18.4", max: null },
    day0: { format: "junos", fields: BASIC_FIELDS, volumeLabel: "config-2", files: ["juniper.conf"] },
    licensing: null,
    prompt: /^[A-Za-z0-9._@-]+[>#%]\s?$/,
  },
  vmseries: {
    kind: "vmseries",
    label: "Palo Alto Networks VM-Series",
    vendor: "Palo Alto Networks",
    reference: "docs/reference/vendor-profiles.md#palo-alto-networks-vm-series",
    // VM-50/100 (2 vCPU), VM-300 (4), VM-500 (8), VM-700 (16).
    vcpus: [2, 4, 8, 16],
    minMemoryKiB: 5632 * MIB,
    maxMemoryKiB: null,
    minNics: 1,
    // mgmt plus ethernet1/1 to ethernet1/24.
    maxNics: 25,
    nicModels: ["virtio"],
    sriovVf: true,
    vfDrivers: ["ixgbevf", "i40evf", "mlx5_core"],
    guestDrivers: { virtio: "virtio" },
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: { fixed: ["mgmt"], pattern: "ethernet1/{n}", start: 1 },
    versions: { min: "9.1", max: null },
    day0: {
      format: "panos-bootstrap",
      // init-cfg.txt sets the management port only; users need a bootstrap.xml.
      fields: ["hostname", "name-servers", "routes", "interfaces", "license"],
      volumeLabel: "bootstrap",
      files: ["config/init-cfg.txt", "license/authcodes", "content/", "software/"],
    },
    licensing: null,
    prompt: /^[A-Za-z0-9._@()-]+[>#]\s?$/,
  },
  fortigate: {
    kind: "fortigate",
    label: "Fortinet FortiGate-VM",
    vendor: "Fortinet",
    reference: "docs/reference/vendor-profiles.md#fortinet-fortigate-vm",
    vcpus: [1, 2, 4, 8, 16, 32],
    minMemoryKiB: 2 * GIB,
    maxMemoryKiB: null,
    minNics: 1,
    maxNics: 24,
    nicModels: ["virtio", "e1000"],
    sriovVf: true,
    vfDrivers: ["ixgbevf", "iavf"],
    guestDrivers: { virtio: "virtio_net", e1000: "e1000" },
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: { fixed: [], pattern: "port{n}", start: 1 },
    versions: { min: "6.0", max: null },
    day0: {
      format: "fortios-configdrive",
      fields: ["hostname", "name-servers", "routes", "interfaces", "ntp", "license", "extra-config"],
      volumeLabel: "config-2",
      files: ["openstack/latest/user_data", "openstack/latest/meta_data.json", "openstack/content/0000"],
    },
    licensing: null,
    prompt: /^[A-Za-z0-9._-]+ [#$]\s?$/,
  },
  vyos: {
    kind: "vyos",
    label: "VyOS",
    vendor: "VyOS",
    reference: "docs/reference/vendor-profiles.md#vyos",
    vcpus: null,
    minMemoryKiB: 1 * GIB,
    maxMemoryKiB: null,
    minNics: 1,
    maxNics: 28,
    nicModels: ["virtio", "e1000", "vmxnet3"],
    sriovVf: true,
    vfDrivers: ["ixgbevf", "iavf", "mlx5_core"],
    guestDrivers: { virtio: "virtio_net", e1000: "e1000", vmxnet3: "vmxnet3" },
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: { fixed: [], pattern: "eth{n}", start: 0 },
    versions: { min: "1.3", max: null },
    day0: {
      format: "vyos-nocloud",
      fields: [...BASIC_FIELDS, "extra-config"],
      volumeLabel: "cidata",
      files: ["user-data", "meta-data"],
    },
    licensing: null,
    prompt: /^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:[^\s]*[$#]\s?$/,
  },
  chr: {
    kind: "chr",
    label: "MikroTik Cloud Hosted Router",
    vendor: "MikroTik",
    reference: "docs/reference/vendor-profiles.md#mikrotik-chr",
    vcpus: null,
    minMemoryKiB: 256 * MIB,
    maxMemoryKiB: null,
    minNics: 1,
    maxNics: 28,
    nicModels: ["virtio", "e1000", "vmxnet3"],
    sriovVf: false,
    vfDrivers: [],
    guestDrivers: { virtio: "virtio", e1000: "e1000", vmxnet3: "vmxnet3" },
    diskBus: "virtio",
    console: "serial",
    guestInterfaces: { fixed: [], pattern: "ether{n}", start: 1 },
    versions: { min: "6.40", max: null },
    day0: null,
    day0Note:
      "MikroTik documents no day-0 medium for CHR (no cloud-init, no config drive): configure it on the console after the first boot",
    licensing: null,
    prompt: /^\[[^\]]+\] > ?$/,
  },
  generic,
};

export const VNF_KINDS = Object.keys(KINDS) as VnfKind[];

/** The day-0 medium a VNF of this kind gets in a mode (IOS-XE: autonomous or controller). */
export function day0MediumOf(
  kind: KindSpec,
  mode: "autonomous" | "controller" | undefined,
): Day0Medium | null {
  if (mode === "controller") return kind.controllerDay0 ?? null;
  return kind.day0;
}

/** The guest's name of the index-th vNIC (0-based); eth<index> when the kind does not say. */
export function guestInterfaceName(kind: KindSpec, index: number): string {
  const g = kind.guestInterfaces;
  if (!g) return `eth${index}`;
  if (index < g.fixed.length) return g.fixed[index]!;
  return g.pattern.replace("{n}", String(g.start + index - g.fixed.length));
}

/** 0-based vNIC index of a guest interface name (or its short form), among `count` vNICs; null: none. */
export function guestInterfaceIndex(kind: KindSpec, name: string, count = kind.maxNics): number | null {
  const g = kind.guestInterfaces;
  let wanted = name.toLowerCase();
  if (
    g?.alias &&
    wanted.startsWith(g.alias.short.toLowerCase()) &&
    !wanted.startsWith(g.alias.long.toLowerCase())
  )
    wanted = g.alias.long.toLowerCase() + wanted.slice(g.alias.short.length);
  for (let i = 0; i < count; i++) if (guestInterfaceName(kind, i).toLowerCase() === wanted) return i;
  return null;
}

/** "17.9.4a" / "17.09.04a" -> [17, 9, 4]; null when it is not a dotted release. */
export function parseVersion(v: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3})[a-z]?)?$/i.exec(v.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), ...(m[3] !== undefined ? [Number(m[3])] : [])];
}

/** <0, 0, >0 like a comparator; a missing third part counts as 0. */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether a release lies in the kind's range; max covers its whole train (17.3 -> 17.3.x). */
export function versionInRange(v: number[], range: VersionRange): boolean {
  if (range.min !== null && compareVersions(v, parseVersion(range.min)!) < 0) return false;
  if (range.max !== null) {
    const max = parseVersion(range.max)!;
    const train = v.slice(0, max.length);
    if (compareVersions(train, max) > 0) return false;
  }
  return true;
}

/**
 * The release in a vendor image's file name, as vendors ship them:
 * c8000v-universalk9_8G_serial.17.16.01a.qcow2, csr1000v-universalk9.17.03.02-serial.qcow2,
 * junos-vsrx3-x86-64-23.4R2.12.qcow2 (-> 23.4), vyos-1.4.0-generic-amd64.qcow2.
 */
export function versionFromImageName(path: string): string | null {
  const base = path.split("/").pop() ?? path;
  const m =
    /[._-](\d{1,2}\.\d{1,2}\.\d{1,2}[a-z]?)(?=[._-])/i.exec(base) ??
    /[._-](\d{1,2}\.\d{1,2})R\d/i.exec(base) ??
    /[._-](\d{1,2}\.\d{1,2})(?=[._-])/.exec(base);
  return m ? m[1]! : null;
}

/** "1, 2, 4 or 8" */
export function listOr(values: readonly (string | number)[]): string {
  if (values.length <= 1) return values.join("");
  return `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}
