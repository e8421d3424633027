/**
 * CPU power management Linux can see: the cpufreq governor and the idle (C-) states cpuidle
 * offers. The seed's BIOS table turns C6 and C1E off and wants Energy Performance = Performance.
 */
import type { HostFacts } from "../../facts/types.js";
import { installFix, kernelArgsFix } from "../fixes.js";
import { cpuList } from "../facts-view.js";
import type { DoctorCheck } from "../types.js";

function governor(facts: HostFacts): DoctorCheck {
  const base = {
    id: "power.governor",
    area: "power",
    title: "CPU frequency governor = performance",
  } as const;
  const entries = Object.entries(facts.governors).filter(([, cpus]) => cpus.length > 0);
  if (entries.length === 0) {
    return {
      ...base,
      status: "info",
      evidence:
        "not visible: no /sys/devices/system/cpu/cpu*/cpufreq (the BIOS owns P-states, a VM, or a snapshot without it)",
    };
  }
  const shown = entries.map(([g, cpus]) => `${g}: ${cpuList(cpus)}`).join("; ");
  const others = entries.filter(([g]) => g !== "performance");
  if (others.length === 0) return { ...base, status: "pass", evidence: `scaling_governor ${shown}` };
  const iso = new Set(facts.kernel.isolatedCpus);
  const slowIsolated = others.flatMap(([, cpus]) => cpus).filter((c) => iso.has(c));
  return {
    ...base,
    status: "warn",
    evidence: `scaling_governor ${shown}${slowIsolated.length ? `; isolated CPU ${cpuList(slowIsolated)} not on performance` : ""}: frequency ramps add latency`,
    fix: [
      installFix(facts, "cpupower"),
      "cpupower frequency-set -g performance",
      "# persistent: tuned-adm profile network-latency (or cpu-partitioning)",
    ].join("\n"),
  };
}

/** cpuidle names deeper than C1: C1E, C2.., C6, and their -SKX/-HSW style variants. */
function isDeep(state: string): boolean {
  const name = state.split("-")[0]!.toUpperCase();
  if (name === "POLL" || name === "C0" || name === "C1") return false;
  return /^C\d+[A-Z]*$/.test(name);
}

function cmdlineCstateLimit(cmdline: string): string | null {
  const args = cmdline
    .split(/\s+/)
    .filter((a) => /^(intel_idle\.max_cstate|processor\.max_cstate|idle)=/.test(a));
  return args.length ? args.join(" ") : null;
}

function cstates(facts: HostFacts): DoctorCheck {
  const base = { id: "power.cstates", area: "power", title: "Deep C-states (C6, C1E) disabled" } as const;
  const limit = cmdlineCstateLimit(facts.kernel.cmdline);
  const amd = facts.cpu.vendor === "AuthenticAMD";
  if (facts.cstates.length === 0) {
    return {
      ...base,
      status: "info",
      evidence: `not visible: no /sys/devices/system/cpu/cpu*/cpuidle${limit ? `; /proc/cmdline: ${limit}` : ""}`,
    };
  }
  const shown = facts.cstates
    .map((g) => `CPU ${cpuList(g.cpus)}: ${g.states.join(",") || "none"}`)
    .join("; ");
  const deep = facts.cstates.filter((g) => g.states.some(isDeep));
  if (deep.length === 0) return { ...base, status: "pass", evidence: `cpuidle enabled states ${shown}` };
  const deepNames = [...new Set(deep.flatMap((g) => g.states.filter(isDeep)))].join(", ");
  return {
    ...base,
    status: "warn",
    evidence: `cpuidle enabled states ${shown}: ${deepNames} enabled; waking from them costs tens of microseconds per packet burst`,
    fix: [
      amd
        ? "BIOS setup: Global C-state Control = Disabled"
        : "BIOS setup: Processor Power State C6 = Disabled, Processor Power State C1 Enhanced = Disabled (seed)",
      "# or now: cpupower idle-set -D 2",
      "# or at every boot:",
      kernelArgsFix(
        facts,
        amd ? ["processor.max_cstate=1"] : ["intel_idle.max_cstate=1", "processor.max_cstate=1"],
      ),
    ].join("\n"),
  };
}

export function powerChecks(facts: HostFacts): DoctorCheck[] {
  return [governor(facts), cstates(facts)];
}
