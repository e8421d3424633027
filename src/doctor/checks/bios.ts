/**
 * The seed's BIOS table (from Cisco's CSR 1000v installation guide). What Linux can see of it is
 * checked, with evidence and the exact fix: Execute Disable (the nx flag), Turbo (intel_pstate
 * no_turbo, cpufreq boost), the cores the BIOS enabled against the model's core count (SMBIOS type
 * 4), and the C-states the firmware offers (cpuidle). The rest stays a manual checklist; where a
 * Linux-side effect exists, the row names the check that sees it.
 */
import type { HostFacts } from "../../facts/types.js";
import { cpuList } from "../facts-view.js";
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

interface BiosContext {
  facts: HostFacts;
  amd: boolean;
  title: string;
  /** "BIOS setup: Execute Disable = Enabled" (the AMD name on AMD). */
  biosFix: string;
}

/** Execute Disable Bit off in the BIOS hides the nx flag from the kernel. */
function executeDisable(ctx: BiosContext): DoctorCheck {
  const nx = ctx.facts.cpu.nx;
  const base = { id: "bios.execute-disable", area: "bios", title: ctx.title } as const;
  if (nx === undefined || nx === null)
    return { ...base, status: "info", evidence: "not visible: /proc/cpuinfo has no x86 flags line" };
  if (nx) return { ...base, status: "pass", evidence: "/proc/cpuinfo flags include nx" };
  return {
    ...base,
    status: "fail",
    evidence:
      "/proc/cpuinfo flags lack nx: Execute Disable is off in the BIOS (no NX protection for host or guests)",
    fix: `${ctx.biosFix}\n# then reboot; /proc/cpuinfo flags list nx again`,
  };
}

function turboBoost(ctx: BiosContext): DoctorCheck {
  const t = ctx.facts.turbo;
  const base = { id: "bios.turbo-boost", area: "bios", title: ctx.title } as const;
  if (!t)
    return {
      ...base,
      status: "info",
      evidence:
        "not visible: no /sys/devices/system/cpu/intel_pstate/no_turbo or cpufreq boost (no cpufreq driver, a VM, or a snapshot without it)",
    };
  if (t.enabled) return { ...base, status: "pass", evidence: t.evidence };
  const now =
    t.source === "intel_pstate"
      ? "echo 0 > /sys/devices/system/cpu/intel_pstate/no_turbo"
      : t.source === "cpufreq"
        ? "echo 1 > /sys/devices/system/cpu/cpufreq/boost"
        : "for f in /sys/devices/system/cpu/cpu*/cpufreq/boost; do echo 1 > $f; done";
  return {
    ...base,
    status: "warn",
    evidence: `${t.evidence}: turbo is off (the BIOS's ${ctx.amd ? "Core Performance Boost" : "Turbo Boost"} or Linux turned it off); the data plane runs at base clock`,
    fix: [now, `# if it will not change, the BIOS has it off: ${ctx.biosFix}`].join("\n"),
  };
}

/** Cores per socket Linux sees online: distinct cores among the socket's online CPUs. */
function linuxCoresPerSocket(facts: HostFacts): Map<number, number> {
  const out = new Map<number, Set<string>>();
  for (const c of facts.cpus.filter((x) => x.online && x.socket >= 0)) {
    const set = out.get(c.socket) ?? new Set<string>();
    set.add(c.siblings.join(","));
    out.set(c.socket, set);
  }
  return new Map([...out].map(([s, set]) => [s, set.size]));
}

function enabledCores(ctx: BiosContext): DoctorCheck {
  const base = { id: "bios.enabled-cores", area: "bios", title: ctx.title } as const;
  const sockets = (ctx.facts.processors ?? []).filter((p) => p.populated);
  if (sockets.length === 0)
    return {
      ...base,
      status: "info",
      evidence:
        "not visible: no SMBIOS processor table (/sys/firmware/dmi/entries/4-*/raw is readable by root only; a VM may not have one)",
      fix: "run nfvhost doctor as root (or check: dmidecode -t 4 | grep -E 'Core (Count|Enabled)')",
    };
  const shown = sockets
    .map((p) => `${p.socket ?? "socket"}: ${p.coreEnabled ?? "?"} of ${p.coreCount ?? "?"} cores enabled`)
    .join("; ");
  const disabled = sockets.filter(
    (p) => p.coreCount !== null && p.coreEnabled !== null && p.coreEnabled < p.coreCount,
  );
  const evidence = `SMBIOS type 4 (dmidecode -t 4) ${shown}${sockets[0]!.version ? ` (${sockets[0]!.version})` : ""}`;
  if (disabled.length > 0) {
    const lost = disabled.reduce((a, p) => a + (p.coreCount! - p.coreEnabled!), 0);
    return {
      ...base,
      status: "warn",
      evidence: `${evidence}: the BIOS disables ${lost} core${lost === 1 ? "" : "s"} the processors have`,
      fix: ctx.biosFix,
    };
  }
  // All cores enabled in the BIOS: Linux should see them all too (maxcpus=, nr_cpus= or offline CPUs hide some).
  const seen = linuxCoresPerSocket(ctx.facts);
  const enabledTotal = sockets.reduce((a, p) => a + (p.coreEnabled ?? 0), 0);
  const seenTotal = [...seen.values()].reduce((a, b) => a + b, 0);
  if (sockets.every((p) => p.coreEnabled !== null) && seenTotal < enabledTotal) {
    const offline = ctx.facts.cpus.filter((c) => !c.online).map((c) => c.id);
    return {
      ...base,
      status: "warn",
      evidence: `${evidence}, but Linux has ${seenTotal} of ${enabledTotal} cores online${offline.length ? ` (CPU ${cpuList(offline)} offline)` : ""}`,
      fix: offline.length
        ? `for c in ${offline.map((c) => `cpu${c}`).join(" ")}; do echo 1 > /sys/devices/system/cpu/$c/online; done`
        : "remove maxcpus= / nr_cpus= from the kernel command line and reboot",
    };
  }
  return { ...base, status: "pass", evidence: `${evidence}; Linux has ${seenTotal} cores online` };
}

/** A cpuidle state name that is the BIOS row's state (C6 and deeper; C1E). */
function isState(row: "c6" | "c1e", name: string): boolean {
  const n = name.split("-")[0]!.toUpperCase();
  if (row === "c1e") return n === "C1E";
  const m = /^C(\d+)/.exec(n);
  return m !== null && Number(m[1]) >= 6;
}

function cstateRow(ctx: BiosContext, row: "c6" | "c1e"): DoctorCheck {
  const base = { id: `bios.${row}`, area: "bios", title: ctx.title } as const;
  const idle = ctx.facts.cpuidle;
  if (!idle || idle.offered.length === 0)
    return {
      ...base,
      status: "info",
      evidence: `not visible: no /sys/devices/system/cpu/cpu*/cpuidle${idle?.driver ? ` (cpuidle driver ${idle.driver})` : ""}`,
    };
  const offered = idle.offered.filter((s) => isState(row, s));
  const driver = idle.driver ? ` (${idle.driver})` : "";
  const menu = `cpuidle${driver} offers ${idle.offered.join(", ")}`;
  if (offered.length === 0) return { ...base, status: "pass", evidence: `${menu}: no ${row.toUpperCase()}` };
  const enabledOn = ctx.facts.cstates
    .filter((g) => g.states.some((s) => isState(row, s)))
    .flatMap((g) => g.cpus);
  if (enabledOn.length === 0)
    return {
      ...base,
      status: "pass",
      evidence: `${menu}: ${offered.join(", ")} offered by the firmware but disabled by Linux on every CPU (cpuidle disable = 1); the BIOS still has it on`,
    };
  return {
    ...base,
    status: "warn",
    evidence: `${menu}: ${offered.join(", ")} enabled on CPU ${cpuList(enabledOn)}; waking from it costs microseconds per packet burst`,
    fix: [
      ctx.biosFix,
      `# or now, until reboot: cpupower idle-set -D ${row === "c1e" ? 1 : 2}`,
      "# (power.cstates has the kernel-argument fix)",
    ].join("\n"),
  };
}

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
    const biosFix = `${menu}: ${amd && row.amd ? row.amd.setting : row.setting} = ${value}`;
    const ctx: BiosContext = { facts, amd, title: `${setting} = ${value}`, biosFix };
    switch (row.slug) {
      case "execute-disable":
        return executeDisable(ctx);
      case "turbo-boost":
        return turboBoost(ctx);
      case "enabled-cores":
        return enabledCores(ctx);
      case "c6":
      case "c1e":
        return cstateRow(ctx, row.slug);
    }
    const seen = row.seenBy ? `; its effect is checked by ${row.seenBy}` : "";
    return {
      id: `bios.${row.slug}`,
      area: "bios",
      title: `[manual] ${setting} = ${value}`,
      status: "info",
      evidence: `UNVERIFIABLE from Linux: check in the BIOS setup of ${where}${seen} (${row.why})`,
      fix: biosFix,
    };
  });
}
