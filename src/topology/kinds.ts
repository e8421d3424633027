/**
 * What each VNF kind supports, from docs/reference/cisco-vrouter-facts.md section 1. The loader
 * rejects footprints outside these; render reads the NIC model and day-0 formats; plan reads the
 * footprint. One table so a new release's limits change in one place.
 */
import type { VnfKind } from "./types.js";

export type NicModel = "virtio" | "vmxnet3" | "e1000" | "e1000e" | "rtl8139";

export interface Day0Format {
  /** File name the router looks for on the attached CD-ROM. */
  file: string;
  /** What the file holds. */
  content: "ios-config" | "cloud-init-multipart";
}

export interface KindSpec {
  kind: VnfKind;
  label: string;
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
  /** Interface name prefix inside the guest, numbered from 1 in vNIC order. */
  guestInterfacePrefix: string | null;
  /** Day-0 formats by mode; null: the kind takes no day-0 from nfvhost. */
  day0: { autonomous: Day0Format; controller: Day0Format; ovfClass: string } | null;
  /** Smart Licensing throughput levels can be set in day-0. */
  throughputLicense: boolean;
}

const GIB = 1024 * 1024;

const IOS_XE_DAY0 = {
  autonomous: { file: "iosxe_config.txt", content: "ios-config" },
  controller: { file: "ciscosdwan_cloud_init.cfg", content: "cloud-init-multipart" },
} as const;

export const KINDS: Readonly<Record<VnfKind, KindSpec>> = {
  csr1000v: {
    kind: "csr1000v",
    label: "Cisco CSR 1000v",
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
    guestInterfacePrefix: "GigabitEthernet",
    day0: { ...IOS_XE_DAY0, ovfClass: "com.cisco.csr1000v" },
    throughputLicense: true,
  },
  c8000v: {
    kind: "c8000v",
    label: "Cisco Catalyst 8000V",
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
    guestInterfacePrefix: "GigabitEthernet",
    day0: { ...IOS_XE_DAY0, ovfClass: "com.cisco.c8000v" },
    throughputLicense: true,
  },
  generic: {
    kind: "generic",
    label: "generic qcow2 VNF",
    vcpus: null,
    minMemoryKiB: 1024,
    maxMemoryKiB: null,
    minNics: 0,
    // One PCI bus (i440fx has 32 slots, a few taken by the platform).
    maxNics: 28,
    nicModels: ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3"],
    sriovVf: true,
    guestInterfacePrefix: null,
    day0: null,
    throughputLicense: false,
  },
};

export const VNF_KINDS = Object.keys(KINDS) as VnfKind[];

/** "1, 2, 4 or 8" */
export function listOr(values: readonly (string | number)[]): string {
  if (values.length <= 1) return values.join("");
  return `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
}
