/**
 * `nfvhost verify`: reads the live host back and checks every planned fact with the evidence
 * the guide's engineer looked at by eye (virsh vcpupin/emulatorpin/numatune, /proc/PID/numa_maps,
 * per-node hugepage counters, ip -d link, /proc/cmdline). Each failed check names what differs
 * and the command that fixes it.
 */
import { checkDrivers, execInVnf, type ExecTarget, type VnicMapping } from "./guest.js";
import { KINDS } from "../topology/kinds.js";
import { NfvError } from "../util/errors.js";
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { bindHost, prepare, type ApplyContext } from "../pipeline/index.js";
import { readMaybe, readSysfs, sha256 } from "../host/files.js";
import { day0ImageDigestPath } from "../desired/day0.js";
import type { LiveNetwork } from "../desired/types.js";
import type { HostFacts } from "../facts/types.js";
import { kernelArgsCommand, REBOOT_ADVICE } from "../desired/preflight.js";
import {
  argText,
  commandText,
  settingCommands,
  type HostReading,
  type HostSetting,
} from "../host/settings.js";
import {
  networkProjectionLines,
  parseDomainXml,
  parseNetworkXml,
  projectionLines,
  type DomainSummary,
} from "../libvirt/domain-xml.js";
import type { DomIfEntry } from "../libvirt/parse.js";
import { Virsh } from "../libvirt/virsh.js";
import type { Plan, VnfPlan } from "../plan/types.js";
import { displayCommand, run } from "../util/exec.js";
import { formatCpuList } from "../util/cpulist.js";
import { READ_CONCURRENCY, mapLimit } from "../util/concurrency.js";
import { toLastVerify, writeLastVerify } from "./last.js";
import {
  parseCpusAllowed,
  parseIpLinkJson,
  parseNumaMaps,
  parseTaskStat,
  summarizeNumaMaps,
  vcpuOfThread,
  type LinkInfo,
} from "../host/evidence.js";

export type CheckStatus = "pass" | "fail" | "warn";

export interface Check {
  /** VNF name, PF name or "host". */
  subject: string;
  check: string;
  status: CheckStatus;
  want: string;
  have: string;
  /** The command or file the evidence was read from. */
  evidence: string;
  fix?: string;
}

export interface VerifyReport {
  topology: string;
  connect: string;
  checks: Check[];
  ok: boolean;
}

export interface VerifyOptions {
  topologyFile: string;
  connect: string;
  stateDir: string;
  root: string;
  accel?: "kvm" | "tcg";
  /** Where /proc of the qemu processes lives ("/" unless testing). */
  procRoot?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Keep the result in STATE/verify/last.json (default true). */
  persist?: boolean;
  /** Also run in-guest checks: the vNIC driver per interface, read over the serial console. */
  guest?: boolean;
  /** How --guest reaches the guests (default: the serial console); ssh reads passwords from env. */
  guestTarget?: Omit<ExecTarget, "env" | "user" | "address">;
  /** `ip -d -j link show dev PF` runner (tests feed fixture output). */
  ipLink?: (pf: string) => Promise<string>;
  /** Facts already discovered (tests of the live root "/" give a snapshot's: see PrepareOptions). */
  facts?: HostFacts;
}

const cpus = (a: number[] | null | undefined) => (a && a.length ? formatCpuList(a) : "(none)");

function add(out: Check[], c: Omit<Check, "status"> & { ok: boolean; warnOnly?: boolean }): void {
  const { ok, warnOnly, ...rest } = c;
  out.push({ ...rest, status: ok ? "pass" : warnOnly ? "warn" : "fail", ...(ok ? { fix: undefined } : {}) });
}

async function qemuThreads(procRoot: string, pid: number) {
  const dir = join(procRoot, "proc", String(pid), "task");
  const out: { tid: number; comm: string; lastCpu: number; allowed: string | null }[] = [];
  for (const tid of await readdir(dir)) {
    try {
      const st = parseTaskStat(await readFile(join(dir, tid, "stat"), "utf8"));
      const allowed = parseCpusAllowed(await readFile(join(dir, tid, "status"), "utf8"));
      if (st) out.push({ tid: Number(tid), comm: st.comm, lastCpu: st.lastCpu, allowed });
    } catch {
      /* thread exited while we read */
    }
  }
  return out;
}

/** What every check of one VNF reads, and where it reports. */
interface VnfCheck {
  v: VnfPlan;
  /** The domain XML apply defines for it. */
  desiredXml: string;
  virsh: Virsh;
  opts: VerifyOptions;
  /** The fix that converges anything of the VNF. */
  applyCmd: string;
  /**
   * Where qemu's pid file and /proc are read: opts.procRoot, else this host's "/". Resolved once,
   * so the pid and the threads and memory maps it leads to come from the same tree.
   */
  procRoot: string;
  out: Check[];
}

/** What libvirt and the kernel say of a running VNF, read side by side. */
interface RunningVnf {
  pins: Map<number, number[]>;
  emulator: number[] | null;
  numatune: { mode: string | null; nodeset: number[] };
  pid: number | null;
  ifs: DomIfEntry[];
  live: DomainSummary;
}

/**
 * One VNF, in the order an engineer reads it: defined, running, nfvhost's definition, then (only
 * while it runs) libvirt's pinning, the kernel's threads and memory, and each NIC.
 */
async function verifyVnf(c: VnfCheck): Promise<void> {
  if (!(await proveDefined(c))) return;
  // Independent reads run side by side: one virsh process each, so a VNF costs the slowest read,
  // not their sum. Each check still cites the one command that shows its evidence.
  const [state, autostart, inactiveXml] = await Promise.all([
    c.virsh.domState(c.v.name),
    c.virsh.isAutostart(c.v.name),
    c.virsh.dumpXml(c.v.name, { inactive: true }),
  ]);
  proveRunState(c, state, autostart);
  proveDefinition(c, parseDomainXml(inactiveXml));
  // Pinning, threads, memory and NICs exist only while qemu runs.
  if (state !== "running") return;
  const run = await readRunningVnf(c);
  provePinning(c, run);
  if (run.pid === null) reportNoQemuProcess(c);
  else {
    await proveVcpuThreads(c, run.pid);
    await proveGuestMemoryNode(c, run.pid);
  }
  for (const nic of c.v.interfaces) await proveNic(c, nic, run);
}

async function proveDefined({ v, virsh, applyCmd, out }: VnfCheck): Promise<boolean> {
  if (await virsh.domainExists(v.name)) return true;
  add(out, {
    subject: v.name,
    check: "domain defined",
    ok: false,
    want: "defined and running",
    have: "not defined",
    evidence: virsh.display(["list", "--all"]),
    fix: applyCmd,
  });
  return false;
}

function proveRunState({ v, virsh, out }: VnfCheck, state: string, autostart: boolean): void {
  const name = v.name;
  add(out, {
    subject: name,
    check: "domain running",
    ok: state === "running",
    want: "running",
    have: state,
    evidence: virsh.display(["domstate", name]),
    fix: displayCommand("virsh", virsh.argv(["start", name])),
  });
  add(out, {
    subject: name,
    check: "autostart",
    ok: autostart === v.autostart,
    want: v.autostart ? "enabled" : "disabled",
    have: autostart ? "enabled" : "disabled",
    evidence: virsh.display(["dominfo", name]),
    fix: displayCommand("virsh", virsh.argv(["autostart", ...(v.autostart ? [] : ["--disable"]), name])),
  });
}

/** The persistent definition is nfvhost's and holds every field nfvhost manages as planned. */
function proveDefinition({ v, desiredXml, virsh, applyCmd, out }: VnfCheck, config: DomainSummary): void {
  const name = v.name;
  add(out, {
    subject: name,
    check: "created by nfvhost",
    ok: config.metadata !== null,
    want: "nfvhost metadata element",
    have: config.metadata ? `topology=${config.metadata.topology}` : "none",
    evidence: virsh.display(["dumpxml", "--inactive", name]),
    fix: `${applyCmd} --adopt --yes ${name}`,
  });
  const wl = projectionLines(parseDomainXml(desiredXml));
  const hl = projectionLines(config);
  const hs = new Set(hl);
  const differs = wl.filter((l) => !hs.has(l));
  const haveFor = (l: string) => hl.find((h) => h.split(" = ")[0] === l.split(" = ")[0]) ?? "(absent)";
  add(out, {
    subject: name,
    check: "persistent definition",
    ok: differs.length === 0,
    want: differs.length ? differs.join("; ") : "as planned",
    have: differs.length ? differs.map(haveFor).join("; ") : "as planned",
    evidence: virsh.display(["dumpxml", "--inactive", name]),
    fix: `${applyCmd} --yes ${name}`,
  });
}

async function readRunningVnf({ v, virsh, procRoot }: VnfCheck): Promise<RunningVnf> {
  const name = v.name;
  const [pins, emulator, numatune, pid, ifs, liveXml] = await Promise.all([
    virsh.vcpupin(name),
    virsh.emulatorpin(name),
    virsh.numatune(name),
    virsh.qemuPid(name, procRoot),
    virsh.domiflist(name),
    virsh.dumpXml(name),
  ]);
  return { pins, emulator, numatune, pid, ifs, live: parseDomainXml(liveXml) };
}

/** What libvirt holds live: each vCPU on its planned CPU, the emulator threads, the memory node. */
function provePinning({ v, virsh, applyCmd, out }: VnfCheck, run: RunningVnf): void {
  const name = v.name;
  for (let i = 0; i < v.vcpus; i++) {
    const have = run.pins.get(i) ?? [];
    const wantCpu = v.vcpuPins[i]!;
    add(out, {
      subject: name,
      check: `vCPU ${i} affinity`,
      ok: have.length === 1 && have[0] === wantCpu,
      want: String(wantCpu),
      have: cpus(have),
      evidence: virsh.display(["vcpupin", name]),
      fix: `${displayCommand("virsh", virsh.argv(["vcpupin", name, String(i), String(wantCpu), "--live", "--config"]))} (or ${applyCmd})`,
    });
  }
  add(out, {
    subject: name,
    check: "emulator pinning",
    ok: cpus(run.emulator) === cpus(v.emulatorCpus),
    want: cpus(v.emulatorCpus),
    have: cpus(run.emulator),
    evidence: virsh.display(["emulatorpin", name]),
    fix: `${displayCommand("virsh", virsh.argv(["emulatorpin", name, cpus(v.emulatorCpus), "--live", "--config"]))} (or ${applyCmd})`,
  });
  const nt = run.numatune;
  add(out, {
    subject: name,
    check: "numatune",
    ok: nt.mode === v.memory.mode && cpus(nt.nodeset) === String(v.memory.node),
    want: `${v.memory.mode} nodeset=${v.memory.node}`,
    have: `${nt.mode ?? "(none)"} nodeset=${cpus(nt.nodeset)}`,
    evidence: virsh.display(["numatune", name]),
    fix: `${applyCmd} --yes ${name}`,
  });
}

function reportNoQemuProcess({ v, out }: VnfCheck): void {
  add(out, {
    subject: v.name,
    check: "qemu process",
    ok: false,
    want: "a qemu process",
    have: "not found",
    evidence: `/run/libvirt/qemu/${v.name}.pid`,
    fix: "run verify on the host itself (qemu+ssh:// hides the process)",
  });
}

/** The kernel's side of the pinning: libvirt can say one thing while a thread runs elsewhere. */
async function proveVcpuThreads({ v, procRoot, applyCmd, out }: VnfCheck, pid: number): Promise<void> {
  const threads = await qemuThreads(procRoot, pid);
  for (let i = 0; i < v.vcpus; i++) {
    const t = threads.find((x) => vcpuOfThread(x.comm) === i);
    add(out, {
      subject: v.name,
      check: `vCPU ${i} thread affinity (kernel)`,
      ok: t !== undefined && t.allowed === String(v.vcpuPins[i]),
      want: String(v.vcpuPins[i]),
      have: t
        ? `${t.allowed ?? "?"} (tid ${t.tid} "${t.comm}", last ran on CPU ${t.lastCpu})`
        : "no vCPU thread",
      evidence: `/proc/${pid}/task/*/status Cpus_allowed_list`,
      fix: applyCmd,
    });
  }
}

/** Guest memory really sits in hugepages of the planned node (numa_maps), none elsewhere. */
async function proveGuestMemoryNode({ v, procRoot, applyCmd, out }: VnfCheck, pid: number): Promise<void> {
  const maps = summarizeNumaMaps(
    parseNumaMaps(await readFile(join(procRoot, "proc", String(pid), "numa_maps"), "utf8")),
  );
  const m = v.memory;
  if (m.pageSizeKiB <= 4) return;
  const bySize = maps.hugeBySize[m.pageSizeKiB] ?? {};
  const onNode = bySize[m.node] ?? 0;
  const elsewhere = Object.entries(bySize).filter(([n, k]) => Number(n) !== m.node && k > 0);
  add(out, {
    subject: v.name,
    check: "guest memory in hugepages on its node",
    ok: onNode >= m.KiB && elsewhere.length === 0,
    want: `${m.KiB} KiB in ${m.pageSizeKiB} KiB pages on node ${m.node}`,
    have: Object.keys(bySize).length
      ? Object.entries(bySize)
          .map(([n, k]) => `N${n}=${k} KiB`)
          .join(" ")
      : `no ${m.pageSizeKiB} KiB page mapping`,
    evidence: `/proc/${pid}/numa_maps (kernelpagesize_kB=${m.pageSizeKiB})`,
    fix: `${applyCmd} --yes ${v.name}`,
  });
}

type PlannedNic = VnfPlan["interfaces"][number];

/** A planned NIC is in the running domain by its MAC; a VF behind it is bound to vfio-pci. */
async function proveNic(c: VnfCheck, i: PlannedNic, run: RunningVnf): Promise<void> {
  const { v, virsh, applyCmd, out } = c;
  const seen = run.ifs.find((x) => x.mac === i.mac) ?? null;
  const liveIf = run.live.interfaces.find((x) => x.mac === i.mac);
  add(out, {
    subject: v.name,
    check: `NIC ${i.index + 1} (${i.guestName}) MAC ${i.mac}`,
    ok: liveIf !== undefined,
    want: `${i.type} ${i.mac}`,
    have: liveIf
      ? `${liveIf.type} ${liveIf.source ?? "-"} ${seen?.interface ?? ""}`.trim()
      : "no NIC with that MAC",
    evidence: virsh.display(["domiflist", v.name]),
    fix: `${applyCmd} --yes ${v.name}`,
  });
  if ((i.type === "sriov-pool" || i.type === "sriov-hostdev") && liveIf) {
    const pci = liveIf.type === "hostdev" ? liveIf.source : null;
    const driver = pci ? await boundDriver(c.opts.root, pci) : null;
    add(out, {
      subject: v.name,
      check: `VF of NIC ${i.index + 1} bound to vfio-pci`,
      ok: pci !== null && driver === "vfio-pci" && (i.type !== "sriov-hostdev" || pci === i.vf.pci),
      want: `VF ${i.type === "sriov-hostdev" ? i.vf.pci : `from ${i.network}`} on vfio-pci, attached to ${v.name}`,
      have: pci ? `${pci} driver ${driver ?? "(none)"}` : `interface type ${liveIf.type}`,
      evidence: `virsh dumpxml ${v.name}; /sys/bus/pci/devices/${pci ?? "?"}/driver`,
      fix: `${applyCmd} --yes ${v.name}`,
    });
  }
}

async function boundDriver(root: string, pci: string): Promise<string | null> {
  try {
    return (await readlink(join(root, "sys/bus/pci/devices", pci, "driver"))).split("/").pop() ?? null;
  } catch {
    return null;
  }
}

export async function verifyPfs(plan: Plan, opts: VerifyOptions, out: Check[]): Promise<void> {
  // Live links only: a snapshot root is checked by verifyRootState.
  if (opts.root !== "/") return;
  const ipLink =
    opts.ipLink ??
    (async (pf: string) => (await run("ip", ["-d", "-j", "link", "show", "dev", pf])).stdout || "[]");
  for (const pf of plan.host.sriov) {
    let info: LinkInfo | undefined;
    try {
      info = parseIpLinkJson(await ipLink(pf.pf))[0];
    } catch {
      info = undefined;
    }
    if (!info) {
      add(out, {
        subject: pf.pf,
        check: "PF present",
        ok: false,
        want: "the PF netdev",
        have: "not found",
        evidence: `ip -d -j link show dev ${pf.pf}`,
        fix: "check the PF name and its driver",
      });
      continue;
    }
    provePf({ pf, info, file: opts.topologyFile, out });
  }
}

/** One planned PF and what `ip -d -j link` says of it. */
interface PfAtHand {
  pf: Plan["host"]["sriov"][number];
  info: LinkInfo;
  file: string;
  out: Check[];
}

/** The PF's MTU and VF count, and each VF's MAC, trust and spoof checking as planned. */
function provePf({ pf, info, file, out }: PfAtHand): void {
  const ev = `ip -d -j link show dev ${pf.pf}`;
  if (pf.mtu !== undefined) {
    add(out, {
      subject: pf.pf,
      check: "PF MTU",
      ok: info.mtu === pf.mtu,
      want: String(pf.mtu),
      have: String(info.mtu),
      evidence: ev,
      fix: `ip link set dev ${pf.pf} mtu ${pf.mtu} (and nfvhost apply for NetworkManager)`,
    });
  }
  add(out, {
    subject: pf.pf,
    check: "VF count",
    ok: info.vfs.length === pf.numVfs,
    want: String(pf.numVfs),
    have: String(info.vfs.length),
    evidence: ev,
    fix: `nfvhost apply ${file}`,
  });
  const onOff = (b: boolean | null) => (b === null ? "?" : b ? "on" : "off");
  for (const vf of pf.vfs) {
    const have = info.vfs.find((x) => x.vf === vf.index);
    const ok =
      have !== undefined &&
      have.trust === vf.trust &&
      have.spoofchk === vf.spoofchk &&
      have.mac === vf.mac.toLowerCase();
    const want = `mac ${vf.mac.toLowerCase()} trust ${onOff(vf.trust)} spoofchk ${onOff(vf.spoofchk)}`;
    add(out, {
      subject: pf.pf,
      check: `VF ${vf.index} mac/trust/spoofchk`,
      ok,
      want,
      have: have
        ? `mac ${have.mac ?? "?"} trust ${onOff(have.trust)} spoofchk ${onOff(have.spoofchk)}`
        : "no such VF",
      evidence: ev,
      fix: `ip link set dev ${pf.pf} vf ${vf.index} ${want}`,
    });
  }
}

/** Under a snapshot root: every sysfs value and NetworkManager keyfile of the plan is in place. */
/** The apply that writes the host state again, for this host or the snapshot root. */
function applyFix(opts: VerifyOptions): string {
  return `nfvhost apply ${opts.topologyFile}${opts.root === "/" ? "" : ` --root ${opts.root}`}`;
}

function verifyRootState(
  plan: Plan,
  { desired, live }: Awaited<ReturnType<typeof prepare>>,
  opts: VerifyOptions,
  out: Check[],
): void {
  const pools = new Set(plan.host.hugepages.map((h) => h.sysfsPath));
  for (const s of desired.sysfs) {
    // Hugepage pools have their own check above (reserved and in use).
    if (pools.has(s.path)) continue;
    const have = live.sysfs.get(s.path) ?? null;
    const n = have === null ? null : Number(have);
    add(out, {
      subject: "host",
      check: s.what,
      ok: n !== null && (s.rule === "at-least" ? n >= s.value : n === s.value),
      want: s.rule === "at-least" ? `>= ${s.value}` : String(s.value),
      have: have ?? "absent",
      evidence: join(opts.root, s.path),
      fix: applyFix(opts),
    });
  }
  for (const f of desired.nm) {
    const have = live.files.get(f.path) ?? null;
    add(out, {
      subject: "host",
      check: `NetworkManager profile ${f.path}`,
      ok: have !== null && have.equals(f.content),
      want: "as planned",
      have: have === null ? "absent" : have.equals(f.content) ? "as planned" : "differs",
      evidence: join(opts.root, f.path),
      fix: applyFix(opts),
    });
  }
}

/** The day-0 ISO apply built: present, and the same bytes (digest recorded when it was built). */
async function verifyDay0Iso(vnf: string, path: string, out: Check[], file: string): Promise<void> {
  const [image, recorded] = await Promise.all([readMaybe(path), readMaybe(day0ImageDigestPath(path))]);
  const want = recorded?.toString("utf8").split(/\s+/)[0] ?? null;
  const have = image === null ? null : sha256(image);
  add(out, {
    subject: vnf,
    check: "day-0 ISO as built",
    ok: have !== null && want !== null && have === want,
    warnOnly: have !== null && want === null,
    want: want ? `sha256 ${want}` : "the digest apply records beside the ISO",
    have:
      have === null
        ? "no ISO"
        : want === null
          ? `sha256 ${have}, no recorded digest (built before nfvhost recorded it)`
          : `sha256 ${have}`,
    evidence: `${path}, ${day0ImageDigestPath(path)}`,
    fix: `nfvhost apply ${file}`,
  });
}

/** One planned libvirt network and the one libvirt has of that name. */
interface NetworkCheck {
  want: { name: string; xml: string };
  live: LiveNetwork | undefined;
  virsh: Virsh;
  out: Check[];
  file: string;
}

/** A libvirt network of the plan: defined by nfvhost, active, autostart, the planned XML. */
function verifyNetwork({ want, live, virsh, out, file }: NetworkCheck): void {
  const evidence = virsh.display(["net-list", "--all"]);
  if (!live) {
    add(out, {
      subject: want.name,
      check: "network defined",
      ok: false,
      want: "defined",
      have: "not defined",
      evidence,
      fix: `nfvhost apply ${file}`,
    });
    return;
  }
  add(out, {
    subject: want.name,
    check: "network active",
    ok: live.active,
    want: "active",
    have: live.active ? "active" : "inactive",
    evidence,
    fix: displayCommand("virsh", virsh.argv(["net-start", want.name])),
  });
  add(out, {
    subject: want.name,
    check: "network autostart",
    ok: live.autostart,
    want: "enabled",
    have: live.autostart ? "enabled" : "disabled",
    evidence,
    fix: displayCommand("virsh", virsh.argv(["net-autostart", want.name])),
  });
  const wl = networkProjectionLines(parseNetworkXml(want.xml));
  const hl = new Set(networkProjectionLines(parseNetworkXml(live.xml)));
  const differs = wl.filter((l) => !hl.has(l));
  const marked = "as planned, marked as nfvhost's";
  add(out, {
    subject: want.name,
    check: "network definition",
    ok: differs.length === 0 && live.managed,
    want: differs.length ? differs.join("; ") : marked,
    have: differs.length ? "differs" : live.managed ? marked : "not marked as nfvhost's",
    evidence: virsh.display(["net-dumpxml", "--inactive", want.name]),
    fix: `nfvhost apply ${file}${live.managed ? "" : " --adopt"}`,
  });
}

/** A boot-loader command under a snapshot root: nfvhost does not run it there, the host does. */
function deferredHere(s: HostSetting, commands: boolean): boolean {
  return !commands && (s.kind === "boot" || s.kind === "grubby");
}

/** Where the evidence of a host setting is read. */
function hostEvidence(s: HostSetting): string {
  switch (s.kind) {
    case "service":
      return `/etc/systemd/system/*.wants/${s.unit}, systemctl is-active ${s.unit}`;
    case "move-aside":
      return s.dir;
    case "mount":
      return "/proc/mounts";
    case "boot":
      return `${s.stamp} (digest of ${s.inputs.join(", ")} when grub.cfg was generated)`;
    case "grubby":
      return "grubby --info=ALL";
    default:
      return s.path;
  }
}

/** What a host setting should be, in the operator's words. */
function hostWant(s: HostSetting): string {
  switch (s.kind) {
    case "file":
      return "as nfvhost writes it";
    case "line":
      return s.line;
    case "cmdline":
    case "grubby":
      return `${s.set.map(argText).join(" ")}${s.remove.length ? ` (without ${s.remove.join(", ")})` : ""}`;
    case "runtime":
      return s.value;
    case "service":
      return "not enabled, inactive";
    case "move-aside":
      return `none left (moved to ${s.to})`;
    case "mount":
      return `${s.source} mounted`;
    case "boot":
      return `generated from the current inputs (${settingCommands(s).map(commandText).join("; ")})`;
  }
}

/** What one host setting should be, where its evidence is, as a check. */
function hostCheck(
  s: HostSetting,
  r: HostReading,
  file: string,
  commands: boolean,
): Parameters<typeof add>[1] {
  // Under a snapshot root some state (a run state, a mount, grubby's entries) cannot be read, and
  // the boot loader is the host's to regenerate: warnings, not drift.
  const unread = r.unknown === true;
  const deferred = deferredHere(s, commands);
  return {
    subject: "host",
    check: s.what,
    ok: r.ok && !unread,
    warnOnly: (unread && r.ok) || deferred,
    want: hostWant(s),
    have: deferred ? `${r.have} (under --root the boot loader is not run: run it on the host)` : r.have,
    evidence: hostEvidence(s),
    fix: deferred
      ? `on the host: ${settingCommands(s).map(commandText).join(" && ")}`
      : unread
        ? "check it on the host"
        : `nfvhost apply ${file}`,
  };
}

/** What every host-wide check of one verify run reads, and where it reports. */
interface VerifyRun {
  opts: VerifyOptions;
  virsh: Virsh;
  prepared: ApplyContext;
  out: Check[];
  /** Lab mode: kernel arguments and isolation are reported, not required. */
  lab: boolean;
  /**
   * The boot loader holds the planned arguments: the running kernel gets them at the next boot,
   * which is the operator's decision (a pending reboot, not drift apply could fix).
   */
  bootReady: boolean;
}

export async function verifyTopology(opts: VerifyOptions): Promise<VerifyReport> {
  const r = await startVerify(opts);
  proveHostSettings(r);
  proveKernelArguments(r);
  proveCpuIsolation(r);
  proveIommu(r);
  await proveHugepagePools(r);
  await proveVnfs(r);
  const { desired, live, plan } = r.prepared;
  for (const iso of desired.isos) await verifyDay0Iso(iso.vnf, iso.path, r.out, opts.topologyFile);
  for (const n of desired.networks)
    verifyNetwork({
      want: n,
      live: live.networks.get(n.name),
      virsh: r.virsh,
      out: r.out,
      file: opts.topologyFile,
    });
  if (opts.guest)
    await verifyGuests(plan.vnfs, r.virsh, r.out, { via: "serial", ...opts.guestTarget, env: opts.env });
  await verifyPfs(plan, opts, r.out);
  // What apply wrote to sysfs and NetworkManager's keyfiles, read back: on a snapshot root the
  // only proof there is (no links to ask `ip link` about); on this host it catches a keyfile
  // edited by hand or a sysfs value reset since (a reboot without the boot-time settings).
  verifyRootState(plan, r.prepared, opts, r.out);
  return finishReport(r);
}

async function startVerify(opts: VerifyOptions): Promise<VerifyRun> {
  // verify reads this machine's /proc and sysfs: the libvirt must be this machine's too.
  bindHost({ root: opts.root, connect: opts.connect, purpose: "verify" });
  const virsh = new Virsh(opts.connect);
  await virsh.ping();
  // No secret is needed: the domain XML only needs to know which VNFs have a day-0 ISO.
  const prepared = await prepare({ ...opts, allowUnlocked: true, day0: "presence" }, virsh);
  const { plan, desired, live, host } = prepared;
  const bootSettings = (desired.host ?? []).filter((s) => s.id === "kernel-args" || s.id === "boot-loader");
  return {
    opts,
    virsh,
    prepared,
    out: [],
    lab: prepared.parsed.topology.lab || plan.vnfs.every((v) => v.lab),
    bootReady:
      bootSettings.length > 0 &&
      bootSettings.every((s) => live.host?.get(s.id)?.ok === true || deferredHere(s, host.commands)),
  };
}

/** Host settings apply converges: SELinux, firewalld, sysctl, repository, LANG, boot loader, THP. */
function proveHostSettings({ prepared, opts, out }: VerifyRun): void {
  for (const s of prepared.desired.host ?? []) {
    const reading = prepared.live.host?.get(s.id);
    if (reading) add(out, hostCheck(s, reading, opts.topologyFile, prepared.host.commands));
  }
}

/** The running kernel's arguments, from /proc/cmdline: each planned one present, none to remove left. */
function proveKernelArguments({ prepared: { facts, plan }, opts, out, lab, bootReady }: VerifyRun): void {
  const have = new Set(facts.kernel.cmdline.split(/\s+/).filter(Boolean));
  const missing = plan.host.kernelArgs.args.map(argText).filter((a) => !have.has(a));
  const unwanted = plan.host.kernelArgs.changes.filter((c) => c.want === null).map((c) => c.key);
  const argsOk = missing.length === 0 && unwanted.length === 0;
  const differs = [
    missing.length ? `missing: ${missing.join(" ")}` : "",
    unwanted.length ? `still there: ${unwanted.join(", ")}` : "",
  ].filter(Boolean);
  add(out, {
    subject: "host",
    check: "kernel arguments",
    ok: argsOk,
    warnOnly: lab || bootReady,
    want: `${plan.host.kernelArgs.line}${unwanted.length ? ` (without ${unwanted.join(", ")})` : ""}`,
    have: argsOk
      ? "all present"
      : `${differs.join("; ")}${bootReady ? "; pending reboot: the boot loader has the planned arguments" : ""}`,
    evidence: "/proc/cmdline",
    fix: bootReady
      ? REBOOT_ADVICE
      : `nfvhost apply ${opts.topologyFile} (${kernelArgsCommand(facts, missing.join(" "), unwanted)}), then ${REBOOT_ADVICE}${lab ? " (lab mode: reported, not required)" : ""}`,
  });
}

function proveCpuIsolation({ prepared: { facts, plan }, out, lab, bootReady }: VerifyRun): void {
  add(out, {
    subject: "host",
    check: "isolated CPUs",
    ok: cpus(facts.kernel.isolatedCpus) === cpus(plan.host.cpu.isolated),
    warnOnly: lab || bootReady,
    want: cpus(plan.host.cpu.isolated),
    have: `${cpus(facts.kernel.isolatedCpus)}${bootReady ? " (pending reboot)" : ""}`,
    evidence: "/sys/devices/system/cpu/isolated",
    fix: bootReady ? REBOOT_ADVICE : "reboot with the planned isolcpus= (see kernel arguments)",
  });
}

/** Only a plan with VFs needs the IOMMU: vfio-pci cannot bind without it. */
function proveIommu({ prepared: { facts, plan }, out }: VerifyRun): void {
  const vfUsers = plan.vnfs.some((v) =>
    v.interfaces.some((i) => i.type === "sriov-pool" || i.type === "sriov-hostdev"),
  );
  if (plan.host.sriov.length === 0 && !vfUsers) return;
  add(out, {
    subject: "host",
    check: "IOMMU active",
    ok: facts.kernel.iommu.enabled,
    want: "on (DMAR/IVRS and /sys/class/iommu)",
    have: `${facts.kernel.iommu.enabled ? "on" : "off"}: ${facts.kernel.iommu.evidence.join("; ") || "no evidence"}`,
    evidence: "/sys/class/iommu, /sys/firmware/acpi/tables, /proc/cmdline",
    fix: "enable VT-d/AMD-Vi in the BIOS and boot with intel_iommu=on iommu=pt",
  });
}

/** Each node's pool: reserved as planned, and the VNFs' pages really in use. */
async function proveHugepagePools({ prepared: { plan }, opts, out }: VerifyRun): Promise<void> {
  for (const h of plan.host.hugepages) {
    if (h.needed === 0 && h.reserve === 0) continue;
    const total = Number((await readSysfs(opts.root, h.sysfsPath)) ?? "0");
    const free = Number(
      (await readSysfs(opts.root, h.sysfsPath.replace(/nr_hugepages$/, "free_hugepages"))) ?? "0",
    );
    add(out, {
      subject: "host",
      check: `hugepages ${h.sizeKiB} KiB on node ${h.node}`,
      ok: total >= h.reserve && total - free >= h.needed,
      want: `>= ${h.reserve} reserved, >= ${h.needed} in use by the VNFs`,
      have: `${total} reserved, ${total - free} in use`,
      evidence: h.sysfsPath,
      fix: `nfvhost apply ${opts.topologyFile}`,
    });
  }
}

/** VNFs are verified side by side (a few at a time); their checks keep the plan's order. */
async function proveVnfs({ prepared, virsh, opts, out }: VerifyRun): Promise<void> {
  const perVnf = await mapLimit(prepared.plan.vnfs, READ_CONCURRENCY, async (v) => {
    const d = prepared.desired.domains.find((x) => x.name === v.name)!;
    const checks: Check[] = [];
    await verifyVnf({
      v,
      desiredXml: d.xml,
      virsh,
      opts,
      applyCmd: `nfvhost apply ${opts.topologyFile}`,
      procRoot: opts.procRoot ?? "/",
      out: checks,
    });
    return checks;
  });
  out.push(...perVnf.flat());
}

async function finishReport({ prepared, virsh, opts, out }: VerifyRun): Promise<VerifyReport> {
  const report: VerifyReport = {
    topology: prepared.parsed.topology.name,
    connect: virsh.uri,
    checks: out,
    ok: out.every((c) => c.status !== "fail"),
  };
  if (opts.persist !== false) {
    await writeLastVerify(
      opts.stateDir,
      toLastVerify(
        report,
        prepared.plan.vnfs.map((v) => v.name),
      ),
    );
  }
  return report;
}

/**
 * verify --guest: the driver each vNIC really got inside the guest (`show platform software
 * vnic-if interface-mapping` over the serial console, or over SSH to the management address with
 * the day-0 user), against the plan: a VF -> the vendor's VF driver, an emulated NIC -> its
 * model's driver. One VNF at a time: each holds its console.
 */
export async function verifyGuests(
  vnfs: readonly VnfPlan[],
  virsh: Virsh,
  out: Check[],
  target: ExecTarget = { via: "serial" },
): Promise<void> {
  const command = "show platform software vnic-if interface-mapping";
  const evidence = (v: VnfPlan) =>
    `nfvhost exec ${v.name}${target.via === "ssh" ? " --via ssh" : ""} -- "${command}"`;
  for (const v of vnfs) {
    if (!KINDS[v.kind].prompt || !KINDS[v.kind].guestDrivers) continue;
    let mapping: VnicMapping[] | null = null;
    let problem: string | null = null;
    try {
      const [r] = await execInVnf(virsh, { name: v.name, kind: v.kind, plan: v }, [command], target);
      if (r!.error) problem = r!.error;
      else mapping = r!.parsed as VnicMapping[];
    } catch (e) {
      problem = e instanceof NfvError ? e.message : (e as Error).message;
    }
    if (!mapping) {
      add(out, {
        subject: v.name,
        check: "vNIC drivers in the guest",
        ok: false,
        want: "the guest's vNIC table",
        have: problem ?? "no answer",
        evidence: evidence(v),
        fix:
          target.via === "ssh"
            ? `check the management address and the day-0 user, or use the console: nfvhost console ${v.name}`
            : `check the console: nfvhost console ${v.name}`,
      });
      continue;
    }
    for (const c of checkDrivers(v, mapping)) {
      add(out, {
        subject: v.name,
        check: `vNIC driver ${c.interface} (${c.mac})`,
        ok: c.ok,
        want: c.want.length ? c.want.join(" or ") : "any driver",
        have: c.have ?? "not in the guest's table",
        evidence: evidence(v),
        fix:
          c.have === null
            ? "the guest does not see this vNIC: check the domain's interfaces (virsh domiflist)"
            : "the guest bound another driver than the kind documents: check the vNIC model or the VF's PF",
      });
    }
  }
}
