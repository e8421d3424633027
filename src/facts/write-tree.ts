/**
 * Writes a host tree (proc/, sys/, etc/) from HostFacts: the inverse of discovery. Used with
 * src/facts/shapes.ts to build host shapes this machine does not have (AMD NPS4, SMT off, VFs on
 * vfio-pci ...) as sysfs trees that discovery must read back exactly, and as test fixtures.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatCpuList } from "../util/cpulist.js";
import type { HostFacts, NicFact, ProcessorFact } from "./types.js";

/**
 * How a given kernel writes CPU and node topology; the defaults are a current x86 kernel. Each
 * other value is a layout real kernels write (docs/discover.md), so discovery is tested on it.
 */
export interface KernelLayout {
  /**
   * Node membership: "cpulist" (nodeN/cpulist and cpuN/nodeM links), "cpumap" (only the hex
   * nodeN/cpumap, no cpuN/nodeM links) or "cpu-links" (only nodeN/cpuM links): older kernels.
   */
  nodes?: "cpulist" | "cpumap" | "cpu-links";
  /** "list": thread_siblings_list and core_cpus_list; "mask": only the hex thread_siblings (2.6-era). */
  siblings?: "list" | "mask";
  /** Package masks (core_siblings(_list), package_cpus(_list)); default true. */
  packageMasks?: boolean;
  /**
   * physical_package_id: the socket ("id"), -1 (POWER, s390x, sparc64, ia64) or 0 on every CPU
   * (an id that disagrees with the package masks).
   */
  packageId?: "id" | "-1" | "0";
  /** Split each package into this many dies: die_id written, core_id restarting at 0 per die. */
  diesPerPackage?: number;
  /** Linux 5.15-rc1: a NUL after the newline of every *_list and mask file. */
  trailingNul?: boolean;
  /** /proc/cpuinfo as x86 (default), s390x or sparc64 write it. */
  cpuinfo?: "x86" | "s390x" | "sparc64";
}

export interface WriteTreeOptions {
  /** "symlink" (default): real links, as the kernel has them; "file": a regular file holding the target, as the reference snapshot stores links. */
  links?: "symlink" | "file";
  /** "drop" (default, as current kernels do): offline CPUs have no topology directory; "keep": they do. */
  offlineTopology?: "drop" | "keep";
  kernel?: KernelLayout;
}

/** The kernel's hex CPU mask: 32-bit words, most significant first, `words` of them. */
export function formatCpuMask(cpus: Iterable<number>, words: number): string {
  const w = new Array<number>(words).fill(0);
  for (const c of cpus) w[Math.floor(c / 32)]! |= 2 ** (c % 32);
  return w
    .map((v) => (v >>> 0).toString(16).padStart(8, "0"))
    .reverse()
    .join(",");
}

const BASE_FLAGS =
  "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall lm";

class TreeWriter {
  constructor(
    private readonly dir: string,
    private readonly links: "symlink" | "file",
  ) {}

  file(rel: string, content: string): void {
    const abs = path.join(this.dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    // A file ending in NUL (Linux 5.15-rc1's cpumap/cpulist files) is written byte for byte.
    const raw = content.endsWith("\n") || content.endsWith("\u0000") || content === "";
    writeFileSync(abs, raw ? content : `${content}\n`);
  }

  bytes(rel: string, content: Buffer): void {
    const abs = path.join(this.dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }

  mkdir(rel: string): void {
    mkdirSync(path.join(this.dir, rel), { recursive: true });
  }

  /** A link at `rel` pointing at `to` (both relative to the tree root), stored relative as sysfs does. */
  link(rel: string, to: string): void {
    const abs = path.join(this.dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    const target = path.posix.relative(path.posix.dirname(rel), to);
    if (this.links === "symlink") symlinkSync(target, abs);
    else writeFileSync(abs, target);
  }
}

function sizeDirs(facts: HostFacts): string[] {
  const sizes = new Set<string>();
  for (const n of facts.nodes) for (const s of Object.keys(n.hugepages)) sizes.add(s);
  return [...sizes].sort((a, b) => Number(a) - Number(b));
}

function maskWords(facts: HostFacts): number {
  return Math.ceil((Math.max(0, ...facts.cpus.map((c) => c.id)) + 1) / 32);
}

function writeCpus(w: TreeWriter, facts: HostFacts, offlineTopology: "drop" | "keep", k: KernelLayout): void {
  const base = "sys/devices/system/cpu";
  const ids = facts.cpus.map((c) => c.id);
  const nul = k.trailingNul ? "\n\u0000" : "";
  const list = (cpus: Iterable<number>) => `${formatCpuList(cpus)}${nul}`;
  const words = maskWords(facts);
  const mask = (cpus: Iterable<number>) => `${formatCpuMask(cpus, words)}${nul}`;
  w.file(`${base}/possible`, list(ids));
  w.file(`${base}/present`, list(ids));
  w.file(`${base}/online`, list(facts.cpus.filter((c) => c.online).map((c) => c.id)));
  w.file(`${base}/isolated`, list(facts.kernel.isolatedCpus));
  const governorOf = new Map<number, string>();
  for (const [g, cpus] of Object.entries(facts.governors)) for (const c of cpus) governorOf.set(c, g);
  const statesOf = new Map<number, string[]>();
  for (const group of facts.cstates) for (const c of group.cpus) statesOf.set(c, group.states);
  const online = new Set(facts.cpus.filter((c) => c.online).map((c) => c.id));
  const packageOf = (socket: number) => facts.cpus.filter((o) => o.socket === socket && online.has(o.id));
  const dies = k.diesPerPackage ?? 1;

  for (const c of facts.cpus) {
    const dir = `${base}/cpu${c.id}`;
    w.mkdir(dir);
    // cpu0 has no online file on most x86 kernels: discovery must fall back to cpu/online.
    if (c.id !== 0) w.file(`${dir}/online`, c.online ? "1" : "0");
    if ((k.nodes ?? "cpulist") === "cpulist")
      w.link(`${dir}/node${c.node}`, `sys/devices/system/node/node${c.node}`);
    if (c.online || offlineTopology === "keep") {
      const t = `${dir}/topology`;
      const pkgId = k.packageId === "-1" ? -1 : k.packageId === "0" ? 0 : c.socket;
      w.file(`${t}/physical_package_id`, String(pkgId));
      let coreId = c.core;
      if (dies > 1) {
        const coresInPackage = [...new Set(packageOf(c.socket).map((o) => o.core))].sort((a, b) => a - b);
        const perDie = Math.ceil(coresInPackage.length / dies);
        const index = coresInPackage.indexOf(c.core);
        w.file(`${t}/die_id`, String(Math.floor(index / perDie)));
        coreId = index % perDie;
      }
      w.file(`${t}/core_id`, String(coreId));
      // A compute unit's two cores are thread siblings to the kernel.
      const threads = c.computeUnit ?? c.siblings;
      if ((k.siblings ?? "list") === "list") {
        w.file(`${t}/thread_siblings_list`, list(threads));
        w.file(`${t}/core_cpus_list`, list(threads));
      } else w.file(`${t}/thread_siblings`, mask(threads));
      if (k.packageMasks ?? true) {
        const pkg = packageOf(c.socket).map((o) => o.id);
        w.file(`${t}/core_siblings`, mask(pkg));
        if ((k.siblings ?? "list") === "list") {
          w.file(`${t}/core_siblings_list`, list(pkg));
          w.file(`${t}/package_cpus_list`, list(pkg));
        }
      }
    }
    const gov = governorOf.get(c.id);
    if (gov) w.file(`${dir}/cpufreq/scaling_governor`, gov);
    if (facts.turbo?.source === "cpufreq-policy")
      w.file(`${dir}/cpufreq/boost`, facts.turbo.enabled ? "1" : "0");
    // Every state the driver offers; those Linux turned off carry disable = 1.
    const enabled = statesOf.get(c.id);
    if (enabled) {
      const offered = facts.cpuidle?.offered.length ? facts.cpuidle.offered : enabled;
      offered.forEach((name, i) => {
        w.file(`${dir}/cpuidle/state${i}/name`, name);
        w.file(`${dir}/cpuidle/state${i}/disable`, enabled.includes(name) ? "0" : "1");
      });
    }
  }
}

/** A firmware table the way the kernel exports it: one SMBIOS type 4 structure (DSP0134 7.5). */
export function smbiosProcessor(p: ProcessorFact, handle: number): Buffer {
  const strings: string[] = [];
  const str = (v: string | null) => (v === null ? 0 : strings.push(v));
  const f = Buffer.alloc(0x30);
  f[0] = 4;
  f[1] = 0x30;
  f.writeUInt16LE(handle, 2);
  f[0x04] = str(p.socket);
  f[0x05] = 3; // central processor
  f[0x10] = str(p.version);
  f[0x18] = (p.populated ? 0x40 : 0) | (p.populated ? 1 : 0);
  const count = (off8: number, off16: number, v: number | null) => {
    if (v === null) return;
    f[off8] = v > 254 ? 0xff : v;
    f.writeUInt16LE(v, off16);
  };
  count(0x23, 0x2a, p.coreCount);
  count(0x24, 0x2c, p.coreEnabled);
  count(0x25, 0x2e, p.threadCount);
  const tail = strings.length ? `${strings.join("\u0000")}\u0000\u0000` : "\u0000\u0000";
  return Buffer.concat([f, Buffer.from(tail, "latin1")]);
}

function writeNodes(w: TreeWriter, facts: HostFacts, k: KernelLayout): void {
  const base = "sys/devices/system/node";
  const ids = facts.nodes.map((n) => n.id);
  w.file(`${base}/possible`, formatCpuList(ids));
  w.file(`${base}/online`, formatCpuList(ids));
  const online = new Set(facts.cpus.filter((c) => c.online).map((c) => c.id));
  const nul = k.trailingNul ? "\n\u0000" : "";
  for (const n of facts.nodes) {
    const dir = `${base}/node${n.id}`;
    // x86 drops offline CPUs from the node mask; they stay reachable through cpuN/nodeM.
    const members = n.cpus.filter((c) => online.has(c));
    const style = k.nodes ?? "cpulist";
    if (style === "cpulist") w.file(`${dir}/cpulist`, `${formatCpuList(members)}${nul}`);
    else if (style === "cpumap") w.file(`${dir}/cpumap`, `${formatCpuMask(members, maskWords(facts))}${nul}`);
    else for (const c of n.cpus) w.link(`${dir}/cpu${c}`, `sys/devices/system/cpu/cpu${c}`);
    w.file(`${dir}/distance`, n.distances.join(" "));
    w.file(
      `${dir}/meminfo`,
      `Node ${n.id} MemTotal:       ${n.memoryKiB} kB\nNode ${n.id} MemFree:        0 kB\n`,
    );
    for (const [size, pool] of Object.entries(n.hugepages)) {
      const h = `${dir}/hugepages/hugepages-${size}kB`;
      w.file(`${h}/nr_hugepages`, String(pool.total));
      w.file(`${h}/free_hugepages`, String(pool.free));
      w.file(`${h}/surplus_hugepages`, "0");
    }
  }
  for (const size of sizeDirs(facts)) {
    const h = `sys/kernel/mm/hugepages/hugepages-${size}kB`;
    const sum = (k: "total" | "free") => facts.nodes.reduce((a, n) => a + (n.hugepages[size]?.[k] ?? 0), 0);
    w.file(`${h}/nr_hugepages`, String(sum("total")));
    w.file(`${h}/free_hugepages`, String(sum("free")));
  }
}

function pciDir(pci: string): string {
  const [dom, bus] = pci.split(":");
  return `sys/devices/pci${dom}:${bus}/${pci}`;
}

function writeNic(w: TreeWriter, nic: NicFact): void {
  const dev = pciDir(nic.pci);
  w.file(`${dev}/vendor`, nic.vendor);
  w.file(`${dev}/device`, nic.device);
  w.file(`${dev}/class`, "0x020000");
  w.file(`${dev}/numa_node`, String(nic.node));
  w.link(`sys/bus/pci/devices/${nic.pci}`, dev);
  if (nic.driver) {
    w.link(`${dev}/driver`, `sys/bus/pci/drivers/${nic.driver}`);
    w.link(`sys/bus/pci/drivers/${nic.driver}/${nic.pci}`, dev);
  }
  if (nic.name) {
    const net = `${dev}/net/${nic.name}`;
    if (nic.mac !== undefined) w.file(`${net}/address`, nic.mac);
    if (nic.mtu !== undefined) w.file(`${net}/mtu`, String(nic.mtu));
    if (nic.operstate !== undefined) w.file(`${net}/operstate`, nic.operstate);
    w.link(`${net}/device`, dev);
    w.link(`sys/class/net/${nic.name}`, net);
  }
  if (nic.sriov) {
    w.file(`${dev}/sriov_totalvfs`, String(nic.sriov.totalVfs));
    w.file(`${dev}/sriov_numvfs`, String(nic.sriov.numVfs));
    if (nic.sriov.offset !== undefined) w.file(`${dev}/sriov_offset`, String(nic.sriov.offset));
    if (nic.sriov.stride !== undefined) w.file(`${dev}/sriov_stride`, String(nic.sriov.stride));
    for (const vf of nic.sriov.vfs) w.link(`${dev}/virtfn${vf.index}`, pciDir(vf.pci));
  }
  if (nic.physfn) w.link(`${dev}/physfn`, pciDir(nic.physfn));
}

function thpLine(options: string[], chosen: string | null): string {
  return options.map((o) => (o === chosen ? `[${o}]` : o)).join(" ");
}

function osRelease(facts: HostFacts): string {
  const lines: string[] = [];
  if (facts.os.id !== null) lines.push(`ID=${facts.os.id}`);
  if (facts.os.like.length) lines.push(`ID_LIKE="${facts.os.like.join(" ")}"`);
  if (facts.os.version !== null) lines.push(`VERSION_ID="${facts.os.version}"`);
  if (facts.os.pretty !== null) lines.push(`PRETTY_NAME="${facts.os.pretty}"`);
  return lines.join("\n");
}

function cpuinfo(facts: HostFacts, arch: "x86" | "s390x" | "sparc64"): string {
  const online = facts.cpus.filter((c) => c.online);
  // As arch/s390/kernel/processor.c and arch/sparc/kernel/cpu.c print it: no per-CPU blocks.
  if (arch === "s390x") {
    return [
      `vendor_id       : ${facts.cpu.vendor ?? "IBM/S390"}`,
      `# processors    : ${online.length}`,
      "bogomips per cpu: 14367.00",
      "features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs ",
      ...online.map((c) => `processor ${c.id}: version = FF,  identification = 29AA14,  machine = 2817`),
    ].join("\n");
  }
  if (arch === "sparc64") {
    return [
      `cpu\t\t: ${facts.cpu.model ?? "TI UltraSparc II  (BlackBird)"}`,
      "fpu\t\t: UltraSparc II integrated FPU",
      "type\t\t: sun4u",
      `ncpus probed\t: ${online.length}`,
      `ncpus active\t: ${online.length}`,
      ...online.map((c) => `Cpu${c.id}ClkTck\t: 000000000ec82e00`),
      "State:",
      ...online.map((c) => `CPU${c.id}:\t\tonline`),
    ].join("\n");
  }
  const flags = [BASE_FLAGS];
  // Execute Disable off in the BIOS hides the flag.
  if (facts.cpu.nx !== false) flags.push("nx");
  if (facts.cpu.smt) flags.push("ht");
  if (facts.cpu.virtualization) flags.push(facts.cpu.virtualization);
  if (facts.cpu.pages1G) flags.push("pdpe1gb");
  return facts.cpus
    .filter((c) => c.online)
    .map((c) =>
      [
        `processor\t: ${c.id}`,
        `vendor_id\t: ${facts.cpu.vendor ?? "unknown"}`,
        ...(facts.cpu.family != null ? [`cpu family\t: ${facts.cpu.family}`] : []),
        `model name\t: ${facts.cpu.model ?? "unknown"}`,
        `physical id\t: ${c.socket}`,
        `core id\t\t: ${c.core}`,
        `flags\t\t: ${flags.join(" ")}`,
        "",
      ].join("\n"),
    )
    .join("\n");
}

/** Writes `facts` as a host tree under `dir` (created if needed; existing files are overwritten). */
export function writeSnapshotTree(facts: HostFacts, dir: string, opts: WriteTreeOptions = {}): void {
  const w = new TreeWriter(dir, opts.links ?? "symlink");
  const memTotal = facts.nodes.reduce((a, n) => a + n.memoryKiB, 0);
  w.file("proc/cmdline", facts.kernel.cmdline);
  w.file("proc/sys/kernel/osrelease", facts.kernel.release ?? "");
  if (facts.hostname !== null) w.file("proc/sys/kernel/hostname", facts.hostname);
  w.file(
    "proc/meminfo",
    `MemTotal:       ${memTotal} kB\nMemFree:        0 kB\nHugepagesize:   ${facts.kernel.defaultHugepageKiB ?? 2048} kB\n`,
  );
  w.file("proc/cpuinfo", cpuinfo(facts, opts.kernel?.cpuinfo ?? "x86"));
  w.file(
    "proc/mounts",
    [
      "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
      "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
      ...facts.hugetlbfsMounts.map(
        (m) =>
          `hugetlbfs ${m.path.replace(/ /g, "\\040")} hugetlbfs rw,relatime${m.pageSizeKiB ? `,pagesize=${m.pageSizeKiB / 1024}M` : ""} 0 0`,
      ),
    ].join("\n"),
  );
  if (facts.memlock) {
    const hard = facts.memlock.hardKiB === null ? "unlimited" : String(facts.memlock.hardKiB * 1024);
    w.file(
      "proc/self/limits",
      `Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         ${hard}            ${hard}            bytes\n`,
    );
    if (facts.memlock.capSysResource !== null) {
      w.file(
        "proc/self/status",
        `CapEff:\t${facts.memlock.capSysResource ? "0000000001000000" : "0000000000000000"}\n`,
      );
    }
  }
  for (const [key, value] of Object.entries(facts.sysctl))
    w.file(`proc/sys/${key.replace(/\./g, "/")}`, value);

  writeCpus(w, facts, opts.offlineTopology ?? "drop", opts.kernel ?? {});
  writeNodes(w, facts, opts.kernel ?? {});
  for (const nic of facts.nics) writeNic(w, nic);

  if (facts.turbo?.source === "intel_pstate")
    w.file("sys/devices/system/cpu/intel_pstate/no_turbo", facts.turbo.enabled ? "0" : "1");
  if (facts.turbo?.source === "cpufreq")
    w.file("sys/devices/system/cpu/cpufreq/boost", facts.turbo.enabled ? "1" : "0");
  if (facts.cpuidle?.driver) w.file("sys/devices/system/cpu/cpuidle/current_driver", facts.cpuidle.driver);
  (facts.processors ?? []).forEach((p, i) => {
    w.bytes(`sys/firmware/dmi/entries/4-${i}/raw`, smbiosProcessor(p, 0x40 + i));
  });

  const thp = "sys/kernel/mm/transparent_hugepage";
  w.file(`${thp}/enabled`, thpLine(["always", "madvise", "never"], facts.thp.enabled));
  if (facts.thp.defrag !== null) {
    w.file(
      `${thp}/defrag`,
      thpLine(["always", "defer", "defer+madvise", "madvise", "never"], facts.thp.defrag),
    );
  }
  w.mkdir("sys/devices/virtual/dmi/id");
  w.link("sys/class/dmi/id", "sys/devices/virtual/dmi/id");
  if (facts.dmi.vendor !== null) w.file("sys/devices/virtual/dmi/id/sys_vendor", facts.dmi.vendor);
  if (facts.dmi.product !== null) w.file("sys/devices/virtual/dmi/id/product_name", facts.dmi.product);

  const iommu = facts.kernel.iommu;
  for (const e of iommu.evidence) {
    const unit = /^\/sys\/class\/iommu\/([\w.-]+)$/.exec(e);
    if (unit) {
      w.mkdir(`sys/devices/virtual/iommu/${unit[1]}`);
      w.link(`sys/class/iommu/${unit[1]}`, `sys/devices/virtual/iommu/${unit[1]}`);
    }
  }
  if (iommu.acpiTables) {
    w.mkdir("sys/firmware/acpi/tables");
    for (const t of iommu.acpiTables) w.file(`sys/firmware/acpi/tables/${t}`, "");
  }
  for (let g = 0; g < (iommu.groups ?? 0); g++) w.mkdir(`sys/kernel/iommu_groups/${g}`);

  w.file("etc/os-release", osRelease(facts));
  if (facts.selinux.configured !== null)
    w.file("etc/selinux/config", `SELINUX=${facts.selinux.configured}\n`);
  if (facts.selinux.current === "enforcing" || facts.selinux.current === "permissive") {
    w.file("sys/fs/selinux/enforce", facts.selinux.current === "enforcing" ? "1" : "0");
  }
  if (facts.firewalld.installed) {
    const unit = "usr/lib/systemd/system/firewalld.service";
    w.file(unit, "[Unit]\nDescription=firewalld - dynamic firewall daemon\n");
    if (facts.firewalld.enabled) w.link("etc/systemd/system/multi-user.target.wants/firewalld.service", unit);
  }
}
