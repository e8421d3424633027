/**
 * The seed's BIOS table (from Cisco's CSR 1000v installation guide) as a manual checklist. Linux
 * cannot read these settings; where a Linux-side effect exists, the row names the check that sees it.
 */
import type { HostFacts } from "../../facts/types.js";
import type { DoctorCheck } from "../types.js";

interface BiosRow {
  slug: string;
  setting: string;
  value: string;
  /** The same knob on AMD platforms; null when they have no equivalent. */
  amd: { setting: string; value: string } | null;
  why: string;
  /** Doctor check that observes this setting's effect from Linux, if any. */
  seenBy?: string;
}

export const SEED_BIOS_TABLE: readonly BiosRow[] = [
  {
    slug: "hyper-threading",
    setting: "Intel Hyper-Threading Technology",
    value: "Disabled",
    amd: { setting: "SMT Control", value: "Disabled" },
    why: "one thread per core: no sibling shares a router's core",
    seenBy: "cpu.smt",
  },
  {
    slug: "enabled-cores",
    setting: "Number of Enabled Cores",
    value: "ALL",
    amd: { setting: "Downcore Control", value: "None (all cores)" },
    why: "every core available for routers",
  },
  {
    slug: "execute-disable",
    setting: "Execute Disable",
    value: "Enabled",
    amd: { setting: "NX Mode", value: "Enabled" },
    why: "NX protection for host and guests",
  },
  {
    slug: "intel-vt",
    setting: "Intel VT",
    value: "Enabled",
    amd: { setting: "SVM Mode", value: "Enabled" },
    why: "KVM needs hardware virtualization",
    seenBy: "virt.cpu",
  },
  {
    slug: "vt-d",
    setting: "Intel VT-D",
    value: "Enabled",
    amd: { setting: "IOMMU", value: "Enabled" },
    why: "SR-IOV VF passthrough needs the IOMMU",
    seenBy: "iommu.firmware",
  },
  {
    slug: "vt-d-coherency",
    setting: "Intel VT-D coherency support",
    value: "Enabled",
    amd: null,
    why: "coherent DMA remapping for passed-through devices",
  },
  {
    slug: "vt-d-ats",
    setting: "Intel VT-D ATS support",
    value: "Enabled",
    amd: { setting: "ACS Enable", value: "Enabled" },
    why: "device-side address translation cache for VFs",
  },
  {
    slug: "cpu-performance",
    setting: "CPU Performance",
    value: "High throughput",
    amd: { setting: "Determinism Slider", value: "Performance" },
    why: "throughput-oriented CPU profile",
  },
  {
    slug: "hardware-prefetcher",
    setting: "Hardware Prefetcher",
    value: "Disabled",
    amd: { setting: "L2 Stream HW Prefetcher", value: "Disabled" },
    why: "as Cisco's CSR guide advises for packet workloads",
  },
  {
    slug: "adjacent-cache-line-prefetcher",
    setting: "Adjacent Cache Line Prefetcher",
    value: "Disabled",
    amd: { setting: "L1 Stream HW Prefetcher", value: "Disabled" },
    why: "as Cisco's CSR guide advises for packet workloads",
  },
  {
    slug: "dcu-streamer-prefetch",
    setting: "DCU Streamer Prefetch",
    value: "Disabled",
    amd: null,
    why: "as Cisco's CSR guide advises for packet workloads",
  },
  {
    slug: "power-technology",
    setting: "Power Technology",
    value: "Custom",
    amd: { setting: "Power Profile Selection", value: "Custom" },
    why: "unlocks the individual power settings below",
  },
  {
    slug: "speedstep",
    setting: "Enhanced Intel Speedstep Technology",
    value: "Disabled",
    amd: { setting: "Cool'n'Quiet / Core P-states", value: "Disabled" },
    why: "no frequency scaling under load changes",
    seenBy: "power.governor",
  },
  {
    slug: "turbo-boost",
    setting: "Intel Turbo Boost Technology",
    value: "Enabled",
    amd: { setting: "Core Performance Boost", value: "Enabled" },
    why: "higher per-core clock for the data plane",
  },
  {
    slug: "c6",
    setting: "Processor Power State C6",
    value: "Disabled",
    amd: { setting: "Global C-state Control", value: "Disabled" },
    why: "no deep-sleep wake-up latency",
    seenBy: "power.cstates",
  },
  {
    slug: "c1e",
    setting: "Processor Power State C1 Enhanced",
    value: "Disabled",
    amd: null,
    why: "no C1E wake-up latency",
    seenBy: "power.cstates",
  },
  // The seed (and the CSR guide it quotes) spells this "Frequency Poor Override": the BIOS item is Frequency Floor Override.
  {
    slug: "frequency-floor-override",
    setting: 'Frequency Floor Override (seed: "Frequency Poor Override")',
    value: "Enabled",
    amd: null,
    why: "keeps the frequency floor from dropping",
  },
  {
    slug: "p-state-coordination",
    setting: "P-State Coordination",
    value: "HW_ALL",
    amd: null,
    why: "hardware coordinates P-states across cores",
  },
  {
    slug: "energy-performance",
    setting: "Energy Performance",
    value: "Performance",
    amd: { setting: "Power Determinism", value: "Performance" },
    why: "energy/performance bias set to performance",
  },
];

export function biosChecks(facts: HostFacts): DoctorCheck[] {
  const amd = facts.cpu.vendor === "AuthenticAMD";
  const where = facts.dmi.vendor
    ? `${facts.dmi.vendor}${facts.dmi.product ? ` ${facts.dmi.product}` : ""}`
    : "this server";
  // Cisco UCS servers (the seed's C240 M5) expose the BIOS through CIMC as well as at boot.
  const menu = /cisco/i.test(facts.dmi.vendor ?? "")
    ? "CIMC > Compute > BIOS > Configure BIOS"
    : "BIOS setup";
  const rows = SEED_BIOS_TABLE.filter((r) => !amd || r.amd !== null);
  return rows.map((row): DoctorCheck => {
    const setting = amd && row.amd ? `${row.amd.setting} (Intel: ${row.setting})` : row.setting;
    const value = amd && row.amd ? row.amd.value : row.value;
    const seen = row.seenBy ? `; its effect is checked by ${row.seenBy}` : "";
    return {
      id: `bios.${row.slug}`,
      area: "bios",
      title: `[manual] ${setting} = ${value}`,
      status: "info",
      evidence: `UNVERIFIABLE from Linux: check in the BIOS setup of ${where}${seen} (${row.why})`,
      fix: `${menu}: ${amd && row.amd ? row.amd.setting : row.setting} = ${value}`,
    };
  });
}
