/**
 * Host facts outside the CPU/NUMA/NIC topology: CPU model, OS, SELinux, firewalld, sysctl, THP,
 * mounts, cpufreq/cpuidle, DMI, cgroups. Parsers are pure functions of file text; collectors read
 * through the HostReader so every file lands in the snapshot trace.
 */
import type { HostReader } from "./reader.js";
import type {
  CgroupFact,
  CpuModelFact,
  CpuidleFact,
  ProcessorFact,
  TurboFact,
  FirewalldFact,
  MemlockFact,
  OsFact,
  SecureGuestFact,
  SelinuxFact,
  ThpFact,
} from "./types.js";

export interface CpuinfoFacts {
  vendor: string | null;
  model: string | null;
  /** x86 "cpu family" (21 = AMD family 15h); null elsewhere. */
  family: number | null;
  /** x86 "flags"; null when the file has no flags line (s390x "features", sparc64, ARM "Features"). */
  flags: Set<string> | null;
}

/**
 * /proc/cpuinfo as each architecture writes it: x86, ARM, POWER and RISC-V give one block per CPU
 * ("processor : N"); s390x one header with "processor N: version = ..." lines; sparc64 one block
 * with "cpu : ..." and "ncpus active : N" and no per-CPU lines at all.
 */
export function looksLikeCpuinfo(text: string): boolean {
  return /^processor\s*\d*\s*:/im.test(text) || /^ncpus active\s*:/m.test(text);
}

/** First processor block of /proc/cpuinfo: vendor_id, model name (POWER/sparc64: cpu), family, flags. */
export function parseCpuinfo(text: string): CpuinfoFacts {
  const block = text.split(/\n\s*\n/)[0] ?? "";
  const field = (name: string) => {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(block);
    return m ? m[1]!.trim() : null;
  };
  const flags = field("flags");
  const family = field("cpu family");
  return {
    vendor: field("vendor_id"),
    model: field("model name") ?? field("cpu"),
    family: family !== null && /^\d+$/.test(family) ? Number(family) : null,
    flags: flags === null ? null : new Set(flags.split(/\s+/).filter(Boolean)),
  };
}

export function cpuModel(info: CpuinfoFacts | null, smt: boolean, has1GPool: boolean): CpuModelFact {
  const flags = info?.flags ?? new Set<string>();
  return {
    vendor: info?.vendor ?? null,
    model: info?.model ?? null,
    virtualization: flags.has("vmx") ? "vmx" : flags.has("svm") ? "svm" : null,
    pages1G: flags.has("pdpe1gb") || has1GPool,
    smt,
    family: info?.family ?? null,
    // Only x86 writes an nx flag: elsewhere the question does not arise (null, not false).
    nx: info?.flags ? info.flags.has("nx") : null,
  };
}

/** KEY=value lines with shell quoting, as os-release(5) and /etc/selinux/config use. */
export function parseShellVars(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    const q = /^"((?:[^"\\]|\\.)*)"$/.exec(v) ?? /^'([^']*)'$/.exec(v);
    if (q) v = q[1]!.replace(/\\(["\\$`])/g, "$1");
    out.set(m[1]!, v);
  }
  return out;
}

export function collectOs(r: HostReader): OsFact {
  // os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
  const text =
    r.readText("etc/os-release", { optional: true }) ?? r.readText("usr/lib/os-release", { optional: true });
  if (text === null) {
    r.warn("etc/os-release", "missing (and no /usr/lib/os-release)");
    return { id: null, version: null, pretty: null, like: [] };
  }
  const v = parseShellVars(text);
  if (v.size === 0 && text.trim() !== "")
    r.garbage("etc/os-release", text, "KEY=value lines (os-release(5))");
  return {
    id: v.get("ID") ?? null,
    version: v.get("VERSION_ID") ?? null,
    pretty: v.get("PRETTY_NAME") ?? null,
    like: (v.get("ID_LIKE") ?? "").split(/\s+/).filter(Boolean),
  };
}

const SELINUX_MODES = ["enforcing", "permissive", "disabled"] as const;

export function collectSelinux(r: HostReader): SelinuxFact {
  let configured: SelinuxFact["configured"] = null;
  const cfg = r.readText("etc/selinux/config", { optional: true });
  if (cfg !== null) {
    const mode = (parseShellVars(cfg).get("SELINUX") ?? "").toLowerCase();
    if ((SELINUX_MODES as readonly string[]).includes(mode)) configured = mode as SelinuxFact["configured"];
    else r.garbage("etc/selinux/config", `SELINUX=${mode}`, "SELINUX=enforcing, permissive or disabled");
  }
  let current: SelinuxFact["current"] = null;
  const enforce = r.readText("sys/fs/selinux/enforce", { optional: true });
  if (enforce === "1") current = "enforcing";
  else if (enforce === "0") current = "permissive";
  else if (enforce !== null) r.garbage("sys/fs/selinux/enforce", enforce, "0 or 1");
  return { configured, current };
}

const FIREWALLD_UNITS = [
  "usr/lib/systemd/system/firewalld.service",
  "lib/systemd/system/firewalld.service",
  "etc/systemd/system/firewalld.service",
];

/** Installed/enabled from unit files (works on a snapshot); active only from the live daemon. */
export function collectFirewalldFiles(r: HostReader): FirewalldFact {
  const unit = FIREWALLD_UNITS.find((u) => r.exists(u));
  if (!unit) {
    return { installed: false, enabled: null, active: null, evidence: "no firewalld.service unit file" };
  }
  const wants = "etc/systemd/system/multi-user.target.wants/firewalld.service";
  const enabled = r.exists(wants);
  return {
    installed: true,
    enabled,
    active: null,
    evidence: enabled ? `/${wants}` : `/${unit} (not in multi-user.target.wants)`,
  };
}

/** The sysctl keys the seed guide sets (and nfvhost plans). */
export const SEED_SYSCTL_KEYS = [
  "net.ipv4.ip_forward",
  "net.bridge.bridge-nf-call-iptables",
  "net.bridge.bridge-nf-call-ip6tables",
  "net.bridge.bridge-nf-call-arptables",
] as const;

/** Keys the kernel does not expose (br_netfilter not loaded) are left out. */
export function collectSysctl(r: HostReader): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SEED_SYSCTL_KEYS) {
    const v = r.readText(`proc/sys/${key.replace(/\./g, "/")}`, { optional: true });
    if (v !== null) out[key] = v.trim();
  }
  return out;
}

/** "[always] madvise never" -> "always". */
export function bracketed(text: string): string | null {
  const m = /\[([^\]]+)\]/.exec(text);
  return m ? m[1]! : null;
}

export function collectThp(r: HostReader): ThpFact {
  const dir = "sys/kernel/mm/transparent_hugepage";
  const en = r.readText(`${dir}/enabled`);
  const df = r.readText(`${dir}/defrag`, { optional: true });
  const enabled = en === null ? null : bracketed(en);
  if (en !== null && (enabled === null || !["always", "madvise", "never"].includes(enabled))) {
    r.garbage(`${dir}/enabled`, en, "one of always, madvise, never in brackets");
  }
  return {
    enabled: enabled === "always" || enabled === "madvise" || enabled === "never" ? enabled : null,
    defrag: df === null ? null : bracketed(df),
  };
}

export interface MountEntry {
  source: string;
  path: string;
  fstype: string;
  options: string[];
}

/** /proc/mounts lines; octal escapes (\040 for a space) decoded. */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map((f) => ({
      source: unescape(f[0]!),
      path: unescape(f[1]!),
      fstype: f[2]!,
      options: f[3]!.split(","),
    }));
}

export function hugetlbfsMounts(
  mounts: MountEntry[],
  sizeKiB: (s: string) => number | null,
): { path: string; pageSizeKiB: number | null }[] {
  return mounts
    .filter((m) => m.fstype === "hugetlbfs")
    .map((m) => {
      const opt = m.options.find((o) => o.startsWith("pagesize="));
      return { path: m.path, pageSizeKiB: opt ? sizeKiB(opt.slice("pagesize=".length)) : null };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** cgroup v2 when /sys/fs/cgroup is cgroup2, else v1 from /proc/cgroups. */
export function collectCgroups(r: HostReader, mounts: MountEntry[] | null): CgroupFact | null {
  const unified = mounts?.find((m) => m.fstype === "cgroup2" && m.path === "/sys/fs/cgroup");
  if (unified || (mounts === null && r.exists("sys/fs/cgroup/cgroup.controllers"))) {
    const text = r.readText("sys/fs/cgroup/cgroup.controllers", { optional: true });
    if (text !== null) {
      return {
        version: 2,
        controllers: text.split(/\s+/).filter(Boolean).sort(),
        evidence: "/sys/fs/cgroup/cgroup.controllers",
      };
    }
  }
  const v1 = r.readText("proc/cgroups", { optional: true });
  if (v1 === null || !mounts?.some((m) => m.fstype === "cgroup")) return null;
  const controllers = v1
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] === "1")
    .map((f) => f[0]!)
    .sort();
  return { version: 1, controllers, evidence: "/proc/cgroups" };
}

/** AMD SEV / Intel TDX / s390 PV support as KVM exposes it (informational, like virt-host-validate). */
export function collectSecureGuest(r: HostReader, vendor: string | null): SecureGuestFact | null {
  // A snapshot without sys/module says nothing about KVM modules. Listed so a snapshot keeps it.
  if (!r.isDir("sys/module")) return null;
  r.list("sys/module", /^kvm_(amd|intel)$/);
  const yes = (t: string | null) => (t === null ? null : t === "Y" || t === "1");
  if (vendor === "AuthenticAMD") {
    const snp = yes(r.readText("sys/module/kvm_amd/parameters/sev_snp", { optional: true }));
    const es = yes(r.readText("sys/module/kvm_amd/parameters/sev_es", { optional: true }));
    const sev = yes(r.readText("sys/module/kvm_amd/parameters/sev", { optional: true }));
    if (sev === null) return { technology: null, enabled: null, evidence: "kvm_amd not loaded" };
    const technology = snp ? "sev-snp" : es ? "sev-es" : "sev";
    return { technology, enabled: sev, evidence: "/sys/module/kvm_amd/parameters/sev" };
  }
  if (vendor === "GenuineIntel") {
    const tdx = yes(r.readText("sys/module/kvm_intel/parameters/tdx", { optional: true }));
    if (tdx === null) return { technology: null, enabled: null, evidence: "no kvm_intel tdx parameter" };
    return { technology: "tdx", enabled: tdx, evidence: "/sys/module/kvm_intel/parameters/tdx" };
  }
  return null;
}

/** Groups CPUs by a per-CPU value: {"performance": [0,1,...]}. */
export function groupBy(entries: { cpu: number; value: string }[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { cpu, value } of [...entries].sort((a, b) => a.cpu - b.cpu)) (out[value] ??= []).push(cpu);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function collectGovernors(r: HostReader, cpuIds: number[]): Record<string, number[]> {
  const entries: { cpu: number; value: string }[] = [];
  for (const id of cpuIds) {
    const g = r.readText(`sys/devices/system/cpu/cpu${id}/cpufreq/scaling_governor`, { optional: true });
    if (g !== null) entries.push({ cpu: id, value: g.trim() });
  }
  return groupBy(entries);
}

/** Enabled cpuidle states per CPU (shallowest first, so the last is the deepest), grouped. */
export function collectCstates(r: HostReader, cpuIds: number[]): { cpus: number[]; states: string[] }[] {
  const entries: { cpu: number; value: string }[] = [];
  for (const id of cpuIds) {
    const dir = `sys/devices/system/cpu/cpu${id}/cpuidle`;
    const states = r.list(dir, /^state\d+$/);
    if (states.length === 0) continue;
    const enabled: string[] = [];
    for (const s of states) {
      const name = r.readText(`${dir}/${s}/name`);
      const disabled = r.readText(`${dir}/${s}/disable`, { optional: true });
      if (name !== null && disabled !== "1") enabled.push(name.trim());
    }
    entries.push({ cpu: id, value: JSON.stringify(enabled) });
  }
  return Object.entries(groupBy(entries)).map(([states, cpus]) => ({ cpus, states: JSON.parse(states) }));
}

/**
 * Turbo as the cpufreq driver reports it: intel_pstate/no_turbo (1 when the BIOS or the user turned
 * turbo off), else the global cpufreq/boost (acpi-cpufreq), else the per-policy boost (amd-pstate).
 */
export function collectTurbo(r: HostReader, cpuIds: number[]): TurboFact | null {
  const base = "sys/devices/system/cpu";
  const noTurbo = r.readText(`${base}/intel_pstate/no_turbo`, { optional: true });
  if (noTurbo !== null) {
    if (noTurbo === "0" || noTurbo === "1")
      return {
        enabled: noTurbo === "0",
        source: "intel_pstate",
        evidence: `/sys/devices/system/cpu/intel_pstate/no_turbo = ${noTurbo}`,
      };
    r.garbage(`${base}/intel_pstate/no_turbo`, noTurbo, "0 or 1");
  }
  const boost = r.readText(`${base}/cpufreq/boost`, { optional: true });
  if (boost !== null) {
    if (boost === "0" || boost === "1")
      return {
        enabled: boost === "1",
        source: "cpufreq",
        evidence: `/sys/devices/system/cpu/cpufreq/boost = ${boost}`,
      };
    r.garbage(`${base}/cpufreq/boost`, boost, "0 or 1");
  }
  const off: number[] = [];
  let seen = 0;
  for (const id of cpuIds) {
    const v = r.readText(`${base}/cpu${id}/cpufreq/boost`, { optional: true });
    if (v === null) continue;
    seen++;
    if (v === "0") off.push(id);
  }
  if (seen === 0) return null;
  return {
    enabled: off.length === 0,
    source: "cpufreq-policy",
    evidence: off.length
      ? `/sys/devices/system/cpu/cpuN/cpufreq/boost = 0 on ${off.length} of ${seen} CPUs (first: cpu${off[0]})`
      : `/sys/devices/system/cpu/cpuN/cpufreq/boost = 1 on all ${seen} CPUs`,
  };
}

/** The NUL-separated strings after an SMBIOS structure's formatted area; index 1 is the first. */
function smbiosString(buf: Buffer, formattedLength: number, index: number): string | null {
  if (index === 0) return null;
  const strings = buf.subarray(formattedLength).toString("latin1").split("\u0000");
  return strings[index - 1]?.trim() || null;
}

/**
 * SMBIOS type 4 (Processor Information, DSP0134 7.5) from /sys/firmware/dmi/entries/4-N/raw: Core
 * Count (offset 0x23, 0x2A when 0xFF), Core Enabled (0x24, 0x2C), Thread Count (0x25, 0x2E), Status
 * (0x18, bit 6 = populated). The file is readable by root only: null when none can be read.
 */
export function collectProcessors(r: HostReader): ProcessorFact[] | null {
  const dir = "sys/firmware/dmi/entries";
  const entries = r.list(dir, /^4-\d+$/);
  const out: ProcessorFact[] = [];
  for (const e of entries) {
    const rel = `${dir}/${e}/raw`;
    const buf = r.readBuffer(rel, { optional: true });
    if (buf === null) continue;
    if (buf.length < 0x1a || buf[0] !== 4 || buf[1]! > buf.length) {
      r.warn(
        rel,
        `is ${buf.length} bytes of type ${buf[0] ?? "?"}, expected an SMBIOS type 4 structure`,
        "garbage",
      );
      continue;
    }
    const len = buf[1]!;
    const byte = (off: number) => (len > off ? buf[off]! : null);
    const word = (off: number) => (len > off + 1 ? buf.readUInt16LE(off) : null);
    const count = (off8: number, off16: number) => {
      const b = byte(off8);
      if (b === null || b === 0) return null;
      return b === 0xff ? (word(off16) ?? null) : b;
    };
    const status = byte(0x18) ?? 0;
    out.push({
      socket: smbiosString(buf, len, byte(0x04) ?? 0),
      version: smbiosString(buf, len, byte(0x10) ?? 0),
      populated: (status & 0x40) !== 0,
      coreCount: count(0x23, 0x2a),
      coreEnabled: count(0x24, 0x2c),
      threadCount: count(0x25, 0x2e),
      evidence: `/sys/firmware/dmi/entries/${e}/raw`,
    });
  }
  return out.length ? out : null;
}

/** The cpuidle driver and every state it offers (enabled or not), by state index. */
export function collectCpuidle(r: HostReader, cpuIds: number[]): CpuidleFact | null {
  const names = new Map<number, string>();
  for (const id of cpuIds) {
    const dir = `sys/devices/system/cpu/cpu${id}/cpuidle`;
    for (const s of r.list(dir, /^state\d+$/)) {
      const index = Number(s.slice(5));
      if (names.has(index)) continue;
      const name = r.readText(`${dir}/${s}/name`, { optional: true });
      if (name !== null) names.set(index, name.trim());
    }
  }
  const driver =
    r.readText("sys/devices/system/cpu/cpuidle/current_driver", { optional: true })?.trim() || null;
  if (names.size === 0 && driver === null) return null;
  return {
    driver,
    offered: [...names.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n),
  };
}

export function collectDmi(r: HostReader): { vendor: string | null; product: string | null } {
  return {
    vendor: r.readText("sys/class/dmi/id/sys_vendor", { optional: true })?.trim() || null,
    product: r.readText("sys/class/dmi/id/product_name", { optional: true })?.trim() || null,
  };
}

export function collectHostname(r: HostReader): string | null {
  const h =
    r.readText("proc/sys/kernel/hostname", { optional: true }) ??
    r.readText("etc/hostname", { optional: true });
  return h?.trim() || null;
}

/** CAP_SYS_RESOURCE is capability 24 (linux/capability.h). */
const CAP_SYS_RESOURCE = 24n;

/**
 * RLIMIT_MEMLOCK and CAP_SYS_RESOURCE of the discovering process: whether libvirt can lock guest
 * memory (<locked/>) here. Read through proc/self, so a snapshot keeps the values it was taken with.
 */
export function collectMemlock(r: HostReader): MemlockFact | null {
  const limits = r.readText("proc/self/limits", { optional: true });
  if (limits === null) return null;
  const m = /^Max locked memory\s+(\S+)\s+(\S+)\s+bytes/m.exec(limits);
  if (!m || !(m[2] === "unlimited" || /^\d+$/.test(m[2]!))) {
    r.garbage("proc/self/limits", limits, 'a "Max locked memory" line');
    return null;
  }
  const hardKiB = m[2] === "unlimited" ? null : Math.floor(Number(m[2]) / 1024);
  const status = r.readText("proc/self/status", { optional: true });
  const cap = status === null ? null : /^CapEff:\s+([0-9a-f]+)\s*$/m.exec(status);
  const capSysResource = cap ? ((BigInt(`0x${cap[1]}`) >> CAP_SYS_RESOURCE) & 1n) === 1n : null;
  return {
    hardKiB,
    capSysResource,
    evidence: `/proc/self/limits: Max locked memory soft ${m[1]} hard ${m[2]}${cap ? `; /proc/self/status CapEff ${cap[1]}` : ""}`,
  };
}
