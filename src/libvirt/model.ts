/**
 * Typed libvirt XML: the domain and network elements nfvhost writes and reads back, one interface
 * per element as libvirt-go-xml does. ./xml.ts turns these into XML (one builder) and parses
 * `virsh dumpxml` / `net-dumpxml` back into them, so apply and verify compare typed values, not text.
 * Field names follow the element and attribute names (camelCase); sizes are always KiB.
 */
import type { MacvtapMode } from "../topology/types.js";

export type DomainType = "kvm" | "qemu";

/** Namespace of nfvhost's <metadata> element: how apply and verify recognise their own domains. */
export const NFVHOST_XMLNS = "https://nfvhost.dev/xmlns/1";

/** <metadata><nfvhost:vnf xmlns:nfvhost=.. topology=.. vnf=.. digest=../></metadata> */
export interface NfvhostMetadata {
  topology?: string;
  vnf?: string;
  /** Digest of the rendered XML that defined the domain (apply fills it in). */
  digest?: string;
}
export type LifecycleAction =
  "destroy" | "restart" | "preserve" | "rename-restart" | "coredump-destroy" | "coredump-restart";

/** <address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/> */
export interface PciAddress {
  type: "pci";
  domain: number;
  bus: number;
  slot: number;
  function: number;
  multifunction?: boolean;
}

/** <address type='drive' controller='0' bus='1' target='0' unit='0'/> */
export interface DriveAddress {
  type: "drive";
  controller: number;
  bus: number;
  target: number;
  unit: number;
}

/** Any other address kind (usb, virtio-serial, ...), kept as its raw attributes. */
export interface OtherAddress {
  type: "other";
  addressType: string;
  attrs: Record<string, string>;
}

export type DeviceAddress = PciAddress | DriveAddress | OtherAddress;

/** <memoryBacking> */
export interface MemoryBacking {
  /** <hugepages><page size=.. unit='KiB' nodeset=../></hugepages>; empty pages = default size. */
  hugepages?: { pages: { sizeKiB: number; nodeset?: string }[] };
  /** <locked/>: needs RLIMIT_MEMLOCK for the whole guest. */
  locked?: boolean;
  /** <nosharepages/>: no KSM merging. */
  nosharepages?: boolean;
}

/** <vcpu placement='static' cpuset=.. current=..>N</vcpu> */
export interface Vcpu {
  count: number;
  placement?: "static" | "auto";
  cpuset?: string;
  current?: number;
}

/** <cputune> */
export interface CpuTune {
  vcpupins: { vcpu: number; cpuset: string }[];
  emulatorpin?: { cpuset: string };
}

/** <numatune> */
export interface NumaTune {
  memory?: {
    mode: "strict" | "preferred" | "interleave" | "restrictive";
    nodeset?: string;
    placement?: "static" | "auto";
  };
  memnodes?: { cellid: number; mode: string; nodeset: string }[];
}

/** <os> */
export interface DomainOs {
  type: { arch?: string; machine?: string; value: "hvm" };
  /** <boot dev=../> in order. */
  boots: string[];
  kernel?: string;
  initrd?: string;
  cmdline?: string;
}

/** <features>: the ones nfvhost sets; others are ignored by the parser. */
export interface Features {
  acpi?: boolean;
  apic?: boolean;
  pae?: boolean;
}

/** <cpu> */
export interface DomainCpu {
  mode?: "host-passthrough" | "host-model" | "custom" | "maximum";
  check?: "none" | "partial" | "full";
  match?: "minimum" | "exact" | "strict";
  model?: { name: string; fallback?: "allow" | "forbid" };
  topology?: { sockets: number; dies?: number; cores: number; threads: number };
  features?: { policy: string; name: string }[];
}

/** <timer name=.. tickpolicy=.. present=../> */
export interface ClockTimer {
  name: string;
  tickpolicy?: "delay" | "catchup" | "merge" | "discard";
  present?: boolean;
}

/** <clock offset=..> */
export interface DomainClock {
  offset: "utc" | "localtime" | "timezone" | "variable";
  timers: ClockTimer[];
}

/** <pm>: false = enabled='no'. */
export interface PowerManagement {
  suspendToMem?: boolean;
  suspendToDisk?: boolean;
}

/** <disk type='file' device=..> */
export interface Disk {
  type: "file" | "block";
  device: "disk" | "cdrom";
  driver?: { name: string; type: string; cache?: string; io?: string };
  /** file= for type file, dev= for type block; absent for an empty cdrom. */
  source?: string;
  target: { dev: string; bus: "virtio" | "ide" | "sata" | "scsi" };
  readonly?: boolean;
  alias?: string;
  address?: DeviceAddress;
}

/** <controller type=.. index=.. model=..> */
export interface Controller {
  type: string;
  index: number;
  model?: string;
  address?: DeviceAddress;
}

interface InterfaceCommon {
  mac?: string;
  /** <model type=..>: virtio, e1000, vmxnet3... */
  model?: string;
  /** <vlan><tag id=../></vlan> */
  vlanTags?: number[];
  /** <driver name=..>: vfio for hostdev; vhost/qemu for virtio. */
  driver?: { name?: string; queues?: number };
  mtu?: number;
  /** <target dev=..>: the host-side device libvirt created (live XML only). */
  target?: string;
  alias?: string;
  address?: DeviceAddress;
}

/** <interface type='direct'>: macvtap on a host NIC. */
export interface DirectInterface extends InterfaceCommon {
  type: "direct";
  source: { dev: string; mode: MacvtapMode };
}

/** <interface type='network'>: a libvirt network (an SR-IOV pool, a bridge network...). */
export interface NetworkInterface extends InterfaceCommon {
  type: "network";
  source: { network: string; portgroup?: string };
}

/** <interface type='bridge'>: a tap on a Linux bridge. */
export interface BridgeInterface extends InterfaceCommon {
  type: "bridge";
  source: { bridge: string };
}

/** <interface type='hostdev' managed='yes'>: one explicit SR-IOV VF by PCI address. */
export interface HostdevInterface extends InterfaceCommon {
  type: "hostdev";
  managed: boolean;
  source: { address: PciAddress };
}

export type DomainInterface = DirectInterface | NetworkInterface | BridgeInterface | HostdevInterface;

/** <serial> / <console> */
export interface CharDevice {
  type: "pty" | "file" | "tcp" | "unix" | "null";
  /** <source path=..>: the pty (live) or the file. */
  sourcePath?: string;
  /** <log file=.. append=..>: virtlogd copies everything the guest prints here. */
  log?: { file: string; append?: boolean };
  target?: { type?: string; port?: number; model?: string };
  alias?: string;
}

/** <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng> */
export interface Rng {
  model: "virtio" | "virtio-transitional" | "virtio-non-transitional";
  backend: { model: "random"; device: string };
  address?: DeviceAddress;
}

export interface Input {
  type: string;
  bus?: string;
}

export interface Graphics {
  type: string;
  autoport?: boolean;
}

export interface Video {
  model: string;
}

/** <devices> */
export interface Devices {
  emulator?: string;
  disks: Disk[];
  controllers: Controller[];
  interfaces: DomainInterface[];
  serials: CharDevice[];
  consoles: CharDevice[];
  /** Headless VNFs have none; the parser reports what a live domain has. */
  inputs: Input[];
  graphics: Graphics[];
  videos: Video[];
  memballoon?: { model: string };
  rngs: Rng[];
}

/** <domain type=..> */
export interface DomainXml {
  type: DomainType;
  name: string;
  uuid?: string;
  description?: string;
  metadata?: NfvhostMetadata;
  memoryKiB: number;
  currentMemoryKiB?: number;
  memoryBacking?: MemoryBacking;
  vcpu: Vcpu;
  cputune?: CpuTune;
  numatune?: NumaTune;
  os: DomainOs;
  features?: Features;
  cpu?: DomainCpu;
  clock?: DomainClock;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
  pm?: PowerManagement;
  devices: Devices;
}

export type NetworkForwardMode =
  "nat" | "route" | "open" | "bridge" | "private" | "vepa" | "passthrough" | "hostdev";

/** <network> */
export interface NetworkXml {
  name: string;
  uuid?: string;
  /** connections= on a live network: how many guest NICs use it. */
  connections?: number;
  forward?: {
    mode: NetworkForwardMode;
    /** managed='yes' on a hostdev pool: libvirt binds VFs to vfio-pci and back. */
    managed?: boolean;
    /** <pf dev=../>: the SR-IOV physical function whose VFs form the pool. */
    pf?: string;
    /** <interface dev=../>: the host NICs of a macvtap network. */
    interfaces: string[];
    /** <address type='pci'/>: the VFs of a pool, as libvirt lists them once started. */
    addresses: PciAddress[];
  };
  bridge?: { name: string; stp?: boolean; delay?: number };
  mtu?: number;
}
