/**
 * CPU isolation as the seed uses it (isolcpus=1-8,37-44: whole cores, never CPU 0, housekeeping
 * left on every node), nohz_full/rcu_nocbs consistency, and SMT against the seed's BIOS advice.
 */
import type { CpuFact, HostFacts } from "../../facts/types.js";
import { isolcpusArg, kernelArgsFix, removeKernelArgsFix } from "../fixes.js";
import { coreGroups, cpuList, onlineCpusByNode, suggestedIsolation } from "../facts-view.js";
import type { DoctorCheck } from "../types.js";

function presence(facts: HostFacts): DoctorCheck {
  const base = { id: "cpu.isolcpus", area: "cpu", title: "CPUs isolated for routers (isolcpus)" } as const;
  const iso = facts.kernel.isolatedCpus;
  if (iso.length) {
    const flags = facts.kernel.isolcpusFlags.length ? ` flags ${facts.kernel.isolcpusFlags.join(",")}` : "";
    return { ...base, status: "pass", evidence: `isolcpus=${cpuList(iso)} (${iso.length} CPUs${flags})` };
  }
  const suggestion = suggestedIsolation(facts);
  return {
    ...base,
    status: "warn",
    evidence: "/proc/cmdline has no isolcpus=: router vCPUs share their CPUs with every host task",
    fix: suggestion.length
      ? [
          "# `nfvhost plan` derives isolcpus from your topology; isolating all but the first core of each node:",
          kernelArgsFix(facts, [isolcpusArg(facts, suggestion)]),
        ].join("\n")
      : undefined,
  };
}

function existence(facts: HostFacts, byId: Map<number, CpuFact>): DoctorCheck {
  const base = {
    id: "cpu.isolcpus.online",
    area: "cpu",
    title: "Isolated CPUs exist and are online",
  } as const;
  const iso = facts.kernel.isolatedCpus;
  const unknown = iso.filter((id) => !byId.has(id));
  const offline = iso.filter((id) => byId.has(id) && !byId.get(id)!.online);
  const all = cpuList(facts.cpus.map((c) => c.id));
  if (unknown.length) {
    const valid = iso.filter((id) => byId.has(id));
    return {
      ...base,
      status: "fail",
      evidence: `isolcpus names CPU ${cpuList(unknown)} but this host has CPUs ${all}`,
      fix: isolcpusFix(facts, valid),
    };
  }
  if (offline.length) {
    return {
      ...base,
      status: "warn",
      evidence: `isolated CPU ${cpuList(offline)} offline (/sys/devices/system/cpu/cpuN/online = 0)`,
      fix: offline.map((id) => `echo 1 > /sys/devices/system/cpu/cpu${id}/online`).join("\n"),
    };
  }
  return {
    ...base,
    status: "pass",
    evidence: `all ${iso.length} isolated CPUs exist and are online (host CPUs ${all})`,
  };
}

function cpu0(facts: HostFacts): DoctorCheck {
  const base = { id: "cpu.isolcpus.cpu0", area: "cpu", title: "CPU 0 left to the host" } as const;
  const iso = facts.kernel.isolatedCpus;
  if (!iso.includes(0)) return { ...base, status: "pass", evidence: `CPU 0 not in isolcpus=${cpuList(iso)}` };
  return {
    ...base,
    status: "fail",
    evidence: `isolcpus=${cpuList(iso)} includes CPU 0, which keeps boot-CPU timers and IRQs that cannot move; a router pinned there gets jitter`,
    fix: isolcpusFix(facts, siblingsClosure(facts, iso, 0)),
  };
}

/** isolcpus= for the corrected set, or removing the argument when nothing is left to isolate. */
function isolcpusFix(facts: HostFacts, cpus: number[]): string {
  return cpus.length
    ? kernelArgsFix(facts, [isolcpusArg(facts, cpus)])
    : removeKernelArgsFix(facts, ["isolcpus"]);
}

/** Removes `drop` and its siblings from a CPU set, so the result still holds whole cores. */
function siblingsClosure(facts: HostFacts, cpus: number[], drop: number): number[] {
  const sib = new Set(facts.cpus.find((c) => c.id === drop)?.siblings ?? [drop]);
  return cpus.filter((c) => !sib.has(c));
}

function siblings(facts: HostFacts, byId: Map<number, CpuFact>): DoctorCheck {
  const base = {
    id: "cpu.isolcpus.siblings",
    area: "cpu",
    title: "Sibling threads isolated together",
  } as const;
  const iso = new Set(facts.kernel.isolatedCpus);
  const split: string[] = [];
  const missing = new Set<number>();
  const pairs: string[] = [];
  const seen = new Set<string>();
  for (const id of [...iso].sort((a, b) => a - b)) {
    const cpu = byId.get(id);
    if (!cpu) continue;
    const others = cpu.siblings.filter((s) => s !== id);
    const out = others.filter((s) => !iso.has(s));
    const key = cpu.siblings.join(",");
    if (out.length) {
      if (!seen.has(key))
        split.push(
          `CPU ${id} is isolated but its sibling ${cpuList(out)} is not (socket ${cpu.socket} core ${cpu.core})`,
        );
      for (const s of out) missing.add(s);
    } else if (others.length && !seen.has(key)) pairs.push(cpu.siblings.join("/"));
    seen.add(key);
  }
  if (split.length) {
    return {
      ...base,
      status: "fail",
      evidence: `${split.join("; ")}: the host schedules its tasks on the sibling thread and steals the router's core`,
      fix: isolcpusFix(facts, siblingsClosure(facts, [...iso, ...missing], 0)),
    };
  }
  const smtOff = facts.cpus.every((c) => c.siblings.length <= 1);
  return {
    ...base,
    status: "pass",
    evidence: smtOff
      ? "one thread per core: no sibling can be split"
      : `whole cores isolated: ${pairs.join(", ")}`,
  };
}

function housekeeping(facts: HostFacts): DoctorCheck {
  const base = {
    id: "cpu.isolcpus.housekeeping",
    area: "cpu",
    title: "Housekeeping CPUs left on every NUMA node",
  } as const;
  const iso = new Set(facts.kernel.isolatedCpus);
  const starved: string[] = [];
  const kept: string[] = [];
  const starvedNodes = new Set<number>();
  for (const [node, cpus] of onlineCpusByNode(facts)) {
    if (cpus.length === 0) continue;
    const hk = cpus.filter((c) => !iso.has(c));
    if (hk.length === 0) {
      starved.push(`node ${node}: every online CPU (${cpuList(cpus)}) is isolated`);
      starvedNodes.add(node);
    } else kept.push(`node${node} ${cpuList(hk)}`);
  }
  if (starved.length) {
    const keepFirstCore = [...iso].filter((c) => {
      const cpu = facts.cpus.find((x) => x.id === c);
      if (!cpu || !starvedNodes.has(cpu.node)) return true;
      const first = Math.min(...facts.cpus.filter((x) => x.node === cpu.node && x.online).map((x) => x.id));
      const firstSiblings = facts.cpus.find((x) => x.id === first)?.siblings ?? [first];
      return !firstSiblings.includes(c);
    });
    return {
      ...base,
      status: "fail",
      evidence: `${starved.join("; ")}: no housekeeping CPU for that node's kernel threads, IRQs and QEMU emulator threads`,
      fix: isolcpusFix(facts, keepFirstCore),
    };
  }
  return { ...base, status: "pass", evidence: `housekeeping: ${kept.join("; ")}` };
}

function nohz(facts: HostFacts): DoctorCheck {
  const base = { id: "cpu.nohz", area: "cpu", title: "nohz_full / rcu_nocbs vs isolcpus" } as const;
  const iso = facts.kernel.isolatedCpus;
  const nohzFull = facts.kernel.nohzFull;
  const nocbs = facts.kernel.rcuNocbs;
  const shown = `nohz_full=${cpuList(nohzFull)} rcu_nocbs=${cpuList(nocbs)} isolcpus=${cpuList(iso)}`;
  if (iso.length === 0)
    return { ...base, status: "info", evidence: `${shown}; nothing isolated, nothing to compare` };
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (nohzFull.length === 0 && nocbs.length === 0) {
    return {
      ...base,
      status: "info",
      evidence: `${shown}: the scheduler tick and RCU callbacks still run on isolated CPUs (the seed does not set these; optional for lower jitter)`,
      fix: kernelArgsFix(facts, [`nohz_full=${cpuList(iso)}`, `rcu_nocbs=${cpuList(iso)}`]),
    };
  }
  const notes: string[] = [];
  if (!same(nohzFull, iso)) notes.push(`nohz_full differs from isolcpus`);
  if (!same(nocbs, nohzFull)) notes.push(`rcu_nocbs differs from nohz_full`);
  if (nohzFull.includes(0)) notes.push("nohz_full includes CPU 0, which the kernel keeps ticking");
  return {
    ...base,
    status: "info",
    evidence: notes.length ? `${shown}: ${notes.join("; ")}` : `${shown}: consistent`,
    fix: notes.length
      ? kernelArgsFix(facts, [`nohz_full=${cpuList(iso)}`, `rcu_nocbs=${cpuList(iso)}`])
      : undefined,
  };
}

function smt(facts: HostFacts): DoctorCheck {
  const base = {
    id: "cpu.smt",
    area: "cpu",
    title: "SMT (Hyper-Threading) vs the seed's BIOS advice",
  } as const;
  const cores = coreGroups(facts);
  const iso = new Set(facts.kernel.isolatedCpus);
  // Prefer an isolated core as the example: that is the pair the seed's emulatorpin advice is about.
  const multi =
    cores.find((g) => g.length > 1 && g.some((c) => iso.has(c))) ?? cores.find((g) => g.length > 1);
  const amd = facts.cpu.vendor === "AuthenticAMD";
  if (!facts.cpu.smt && !multi) {
    return {
      ...base,
      status: "pass",
      evidence: `SMT off: ${facts.cpus.length} CPUs on ${cores.length} cores, one thread each`,
    };
  }
  const example = multi ?? [];
  return {
    ...base,
    status: "warn",
    evidence: `SMT on: ${facts.cpus.length} CPUs on ${cores.length} cores (e.g. thread_siblings_list ${example.join(",")}); the seed's BIOS table says ${amd ? "SMT" : "Intel Hyper-Threading Technology"}: Disabled`,
    fix: [
      `BIOS setup: ${amd ? "SMT Control" : "Intel Hyper-Threading Technology"} = Disabled (seed), or now: echo off > /sys/devices/system/cpu/smt/control`,
      `# or keep SMT as the seed's alternative does: vcpupin on one thread of each isolated core and emulatorpin on the siblings (seed: vcpupin 1-8, emulatorpin 37-44); nfvhost plan does this`,
    ].join("\n"),
  };
}

export function cpuChecks(facts: HostFacts): DoctorCheck[] {
  const byId = new Map(facts.cpus.map((c) => [c.id, c]));
  const out: DoctorCheck[] = [presence(facts)];
  if (facts.kernel.isolatedCpus.length) {
    out.push(existence(facts, byId), cpu0(facts), siblings(facts, byId), housekeeping(facts));
  }
  out.push(nohz(facts), smt(facts));
  return out;
}
