/**
 * Host discovery: builds HostFacts from a live host ("/") or a snapshot root (a directory or a
 * .tar.gz written by `nfvhost snapshot`). Missing or garbage files become warnings naming the
 * path; only an unusable root is an error.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { NfvError } from "../util/errors.js";
import { extractArchive, isArchivePath } from "./archive.js";
import { pageSizeKiB, parseKernelCmdline } from "./cmdline.js";
import { collectNics } from "./nics.js";
import { type HostProbe, openProbe } from "./probe.js";
import { HostReader, type TraceEntry } from "./reader.js";
import {
  collectCgroups,
  collectCpuidle,
  collectCstates,
  collectDmi,
  collectFirewalldFiles,
  collectGovernors,
  collectHostname,
  collectMemlock,
  collectOs,
  collectProcessors,
  collectSecureGuest,
  collectSelinux,
  collectSysctl,
  collectThp,
  collectTurbo,
  cpuModel,
  hugetlbfsMounts,
  looksLikeCpuinfo,
  parseCpuinfo,
  parseMounts,
} from "./system.js";
import { collectTopology, parseMeminfo } from "./topology.js";
import type { FirewalldFact, HostFacts, IommuFact, KernelFact, VersionFact } from "./types.js";

export interface DiscoverOptions {
  /** Host root: "/" (default, live) or a snapshot directory / .tar.gz. */
  root?: string;
}

export interface DiscoveryResult {
  facts: HostFacts;
  /** Every path discovery touched, with what it saw: the snapshot's file list. */
  trace: Map<string, TraceEntry>;
  /** Every command and device discovery asked about, with the answer: the snapshot's meta file. */
  probe: HostProbe;
}

/** A probed fact: undefined when the root did not record it (reported null, listed in notRecorded). */
type Probed<T> = T | undefined;

export async function discoverHost(opts: DiscoverOptions = {}): Promise<HostFacts> {
  return (await discoverWithTrace(opts)).facts;
}

export async function discoverWithTrace(opts: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const root = opts.root ?? "/";
  const st = statRoot(root);
  if (st.isFile() && isArchivePath(root)) {
    const { dir, cleanup } = await extractArchive(root);
    try {
      return await discoverDir(dir, root, false);
    } finally {
      cleanup();
    }
  }
  if (!st.isDirectory()) {
    throw rootError(root, "is not a directory or a .tar.gz snapshot");
  }
  return discoverDir(root, root, path.resolve(root) === "/");
}

function statRoot(root: string) {
  try {
    return statSync(root);
  } catch (e) {
    throw rootError(root, `does not exist (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`);
  }
}

function rootError(root: string, problem: string): NfvError {
  return new NfvError({
    what: `host root ${root} ${problem}`,
    expected: "a directory holding proc/, sys/ and etc/ (a live / or the output of `nfvhost snapshot`)",
    fix: "pass --root a snapshot directory or .tar.gz, or omit --root to read this host",
  });
}

async function discoverDir(dir: string, shownRoot: string, live: boolean): Promise<DiscoveryResult> {
  const r = new HostReader(dir);
  for (const top of ["proc", "sys"]) {
    if (!r.isDir(top)) throw rootError(shownRoot, `has no ${top}/ directory`);
  }
  // Programs and device nodes: run live, replayed from a snapshot's meta file, else unknown.
  const probe = openProbe(r, live);
  // The programs run while the files are read.
  const versions = Promise.all([libvirtVersion(probe), qemuVersion(probe)]);

  const meminfoText = r.readText("proc/meminfo");
  const meminfo = meminfoText === null ? null : parseMeminfo(meminfoText);
  if (meminfoText !== null && !meminfo!.has("MemTotal"))
    r.garbage("proc/meminfo", meminfoText, "a MemTotal line");
  const { cpus, nodes } = collectTopology(r, meminfo);
  if (cpus.length === 0) {
    throw rootError(shownRoot, "has no CPUs (no cpuN directory under /sys/devices/system/cpu)");
  }
  const cpuinfoText = r.readText("proc/cpuinfo");
  const cpuinfo = cpuinfoText === null ? null : parseCpuinfo(cpuinfoText);
  if (cpuinfoText !== null && !looksLikeCpuinfo(cpuinfoText))
    r.garbage("proc/cpuinfo", cpuinfoText, "processor blocks (processor : 0, flags : ...)");
  const smt = cpus.some((c) => c.online && c.siblings.length > 1);
  // Listed (not just tested) so the snapshot keeps the directory and reads back the same.
  const has1G = r.list("sys/kernel/mm/hugepages", /^hugepages-1048576kB$/).length > 0;
  const cpu = cpuModel(cpuinfo, smt, has1G);
  const lastCpu = cpus.length ? Math.max(...cpus.map((c) => c.id)) : null;

  const mountsText = r.readText("proc/mounts");
  const mounts = mountsText === null ? null : parseMounts(mountsText);

  const firewalld = collectFirewalldFiles(r);
  const firewalldState = firewalldActive(probe, firewalld);
  const devices = collectDevices(probe);
  const facts: HostFacts = {
    schema: 1,
    hostname: collectHostname(r),
    root: shownRoot,
    cpus,
    nodes,
    nics: collectNics(r),
    netdevs: r.list("sys/class/net"),
    kernel: collectKernel(r, lastCpu, meminfo),
    cpu,
    os: collectOs(r),
    selinux: collectSelinux(r),
    firewalld,
    sysctl: collectSysctl(r),
    thp: collectThp(r),
    libvirt: null,
    qemu: null,
    devices: devices.facts,
    cgroups: collectCgroups(r, mounts),
    secureGuest: collectSecureGuest(r, cpu.vendor),
    memlock: collectMemlock(r),
    hugetlbfsMounts: mounts ? hugetlbfsMounts(mounts, pageSizeKiB) : [],
    governors: collectGovernors(
      r,
      cpus.map((c) => c.id),
    ),
    cstates: collectCstates(
      r,
      cpus.map((c) => c.id),
    ),
    dmi: collectDmi(r),
    turbo: collectTurbo(
      r,
      cpus.map((c) => c.id),
    ),
    processors: collectProcessors(r),
    cpuidle: collectCpuidle(
      r,
      cpus.map((c) => c.id),
    ),
    warnings: r.warnings,
    notRecorded: [],
  };
  const [libvirt, qemu] = await versions;
  const fw = await firewalldState;
  facts.libvirt = libvirt ?? null;
  facts.qemu = qemu ?? null;
  if (fw !== undefined) facts.firewalld = fw;
  // One fixed order, so live and snapshot discovery compare equal.
  facts.notRecorded = [
    ...(libvirt === undefined ? ["libvirt"] : []),
    ...(qemu === undefined ? ["qemu"] : []),
    ...(fw === undefined ? ["firewalld.active"] : []),
    ...devices.notRecorded,
  ];
  return { facts, trace: r.trace, probe };
}

function collectKernel(
  r: HostReader,
  lastCpu: number | null,
  meminfo: Map<string, number> | null,
): KernelFact {
  const cmdline = r.readText("proc/cmdline") ?? "";
  const problems: string[] = [];
  const parsed = parseKernelCmdline(cmdline, lastCpu, problems);
  for (const p of problems) r.warn("proc/cmdline", p, "kernel-arg");
  return {
    cmdline,
    release: r.readText("proc/sys/kernel/osrelease")?.trim() || null,
    isolatedCpus: parsed.isolatedCpus,
    isolcpusFlags: parsed.isolcpusFlags,
    nohzFull: parsed.nohzFull,
    rcuNocbs: parsed.rcuNocbs,
    hugepages: parsed.hugepages,
    // The size in force (meminfo) beats the one asked for: the kernel drops a size it cannot do.
    defaultHugepageKiB: meminfo?.get("Hugepagesize") ?? parsed.defaultHugepageKiB,
    iommu: collectIommu(r, parsed.iommu),
  };
}

/**
 * IOMMU on: an active IOMMU unit in /sys/class/iommu (or populated iommu_groups) proves it; with
 * no sysfs evidence (a snapshot without those directories) the command line decides.
 */
function collectIommu(
  r: HostReader,
  cmd: { requested: boolean | null; passthrough: boolean; evidence: string[] },
): IommuFact {
  const evidence = [...cmd.evidence];
  const unitsVisible = r.isDir("sys/class/iommu");
  const units = r.list("sys/class/iommu");
  const groupsVisible = r.isDir("sys/kernel/iommu_groups");
  const groups = groupsVisible ? r.list("sys/kernel/iommu_groups", /^\d+$/).length : null;
  const tablesVisible = r.isDir("sys/firmware/acpi/tables");
  const acpiTables = tablesVisible ? r.list("sys/firmware/acpi/tables", /^(DMAR|IVRS)$/) : null;
  for (const u of units) evidence.push(`/sys/class/iommu/${u}`);
  if (groups) evidence.push(`/sys/kernel/iommu_groups (${groups} groups)`);
  for (const t of acpiTables ?? []) evidence.push(`/sys/firmware/acpi/tables/${t}`);

  let enabled: boolean;
  if (units.length > 0 || (groups ?? 0) > 0) enabled = true;
  else if (cmd.requested === false) enabled = false;
  else if (unitsVisible) {
    enabled = false;
    evidence.push("/sys/class/iommu is empty (no IOMMU driver active)");
  } else if (cmd.requested === true) enabled = true;
  else enabled = (acpiTables ?? []).includes("IVRS"); // AMD-Vi is on by default when the table exists
  return { enabled, passthrough: cmd.passthrough, evidence, acpiTables, groups };
}

function collectDevices(probe: HostProbe): {
  facts: HostFacts["devices"];
  notRecorded: string[];
} {
  const notRecorded: string[] = [];
  const exists = (field: string, rec: Probed<{ exists: boolean }>): boolean | null => {
    if (rec === undefined) notRecorded.push(`devices.${field}`);
    return rec?.exists ?? null;
  };
  const kvmRec = probe.device("/dev/kvm", { access: true });
  const kvm = exists("kvm", kvmRec);
  // Access is only asked of a /dev/kvm that exists; a snapshot keeps the answer of the user who took it.
  let kvmAccessible: boolean | null = null;
  if (kvm === null) notRecorded.push("devices.kvmAccessible");
  else if (kvm) {
    kvmAccessible = kvmRec?.readWrite ?? null;
    if (kvmAccessible === null) notRecorded.push("devices.kvmAccessible");
  }
  const vhostNet = exists("vhostNet", probe.device("/dev/vhost-net"));
  // /dev/vfio/vfio is the container node; the directory alone (no-IOMMU setups) counts too.
  const vfioNode = probe.device("/dev/vfio/vfio");
  const vfio = exists("vfio", vfioNode?.exists ? vfioNode : vfioNode && probe.device("/dev/vfio"));
  const tun = exists("tun", probe.device("/dev/net/tun"));
  return { facts: { kvm, vhostNet, vfio, kvmAccessible, tun }, notRecorded };
}

/**
 * First program of `candidates` that runs and prints a version; null when none does, undefined
 * when the root did not record a candidate discovery had to ask about.
 */
async function firstVersion(
  probe: HostProbe,
  candidates: string[],
  pattern: RegExp,
): Promise<Probed<VersionFact | null>> {
  for (const cmd of candidates) {
    const res = await probe.command(cmd, ["--version"]);
    if (res === undefined) return undefined;
    if ("error" in res) continue; // not installed: try the next candidate
    const line = (res.stdout || res.stderr).split("\n").find((l) => pattern.test(l));
    const m = line ? pattern.exec(line) : null;
    if (res.code === 0 && m) return { version: m[1]!, evidence: `${cmd} --version: ${line!.trim()}` };
  }
  return null;
}

function libvirtVersion(probe: HostProbe): Promise<Probed<VersionFact | null>> {
  return firstVersion(
    probe,
    ["libvirtd", "/usr/sbin/libvirtd", "virtqemud", "/usr/sbin/virtqemud"],
    /(\d+\.\d+\.\d+)/,
  );
}

function qemuVersion(probe: HostProbe): Promise<Probed<VersionFact | null>> {
  return firstVersion(
    probe,
    ["qemu-system-x86_64", "/usr/libexec/qemu-kvm", "/usr/bin/qemu-kvm"],
    /version\s+(\d+\.\d+(?:\.\d+)?)/i,
  );
}

/** `active` from `firewall-cmd --state`, asked only when firewalld is installed. */
async function firewalldActive(probe: HostProbe, files: FirewalldFact): Promise<Probed<FirewalldFact>> {
  if (!files.installed) return files;
  const res = await probe.command("firewall-cmd", ["--state"]);
  if (res === undefined) return undefined;
  if ("error" in res) return files;
  const state = (res.stdout || res.stderr).trim();
  return { ...files, active: state === "running", evidence: `firewall-cmd --state: ${state}` };
}
