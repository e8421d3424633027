/**
 * `nfvhost status`: what nfvhost runs on this host, like `containerlab inspect`, and with
 * --threads the guide's `ps -efL` / pstree view of each qemu process: its vCPU and emulator
 * threads and the CPU each one last ran on.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readDomains } from "../libvirt/deployed.js";
import type { Virsh } from "../libvirt/virsh.js";
import { formatCpuList } from "../util/cpulist.js";
import { parseCpusAllowed, parseTaskStat, vcpuOfThread } from "../host/evidence.js";

export interface ThreadRow {
  tid: number;
  comm: string;
  role: string;
  lastCpu: number;
  allowed: string | null;
}

export interface VnfStatus {
  name: string;
  topology: string | null;
  state: string;
  type: string;
  node: number | null;
  vcpuPins: { vcpu: number; cpus: string }[];
  emulatorPin: string | null;
  memoryKiB: number;
  hugepageSizeKiB: number | null;
  interfaces: { mac: string | null; type: string; source: string | null; hostDevice: string | null }[];
  console: string;
  qemuPid: number | null;
  threads?: ThreadRow[];
}

export async function readThreads(pid: number, procRoot = "/"): Promise<ThreadRow[]> {
  const dir = join(procRoot, "proc", String(pid), "task");
  const out: ThreadRow[] = [];
  for (const tid of await readdir(dir)) {
    try {
      const st = parseTaskStat(await readFile(join(dir, tid, "stat"), "utf8"));
      if (!st) continue;
      const allowed = parseCpusAllowed(await readFile(join(dir, tid, "status"), "utf8"));
      const vcpu = vcpuOfThread(st.comm);
      const role = Number(tid) === pid ? "emulator (main)" : vcpu !== null ? `vCPU ${vcpu}` : "emulator";
      out.push({ tid: Number(tid), comm: st.comm, role, lastCpu: st.lastCpu, allowed });
    } catch {
      /* thread ended */
    }
  }
  return out.sort((a, b) => a.tid - b.tid);
}

export async function readStatus(
  virsh: Virsh,
  opts: {
    threads: boolean;
    topology?: string;
    all?: boolean;
    /** Where /proc of the qemu processes and libvirt's pid files live ("/" unless testing). */
    procRoot?: string;
  },
): Promise<VnfStatus[]> {
  const out: VnfStatus[] = [];
  for (const d of await readDomains(virsh)) {
    if (!d.managed && !opts.all) continue;
    if (opts.topology && d.config.metadata?.topology !== opts.topology) continue;
    const running = d.state === "running" || d.state === "paused";
    const s = d.summary;
    let pins = Object.entries(s.vcpuPins).map(([v, c]) => ({ vcpu: Number(v), cpus: formatCpuList(c) }));
    let emu = s.emulatorPin ? formatCpuList(s.emulatorPin) : null;
    if (running) {
      // The live affinity, not the XML: `virsh vcpupin` shows a hand re-pin.
      const live = await virsh.vcpupin(d.name);
      pins = [...live.entries()].map(([v, c]) => ({ vcpu: v, cpus: formatCpuList(c) }));
      const le = await virsh.emulatorpin(d.name);
      emu = le ? formatCpuList(le) : emu;
    }
    const pid = running ? await virsh.qemuPid(d.name, opts.procRoot) : null;
    const ifs = running ? await virsh.domiflist(d.name) : [];
    out.push({
      name: d.name,
      topology: d.config.metadata?.topology ?? null,
      state: d.state,
      type: s.type,
      node: s.numatune?.nodeset[0] ?? null,
      vcpuPins: pins,
      emulatorPin: emu,
      memoryKiB: s.memoryKiB,
      hugepageSizeKiB: s.hugepageSizeKiB,
      interfaces: s.interfaces.map((i) => ({
        mac: i.mac,
        type: i.type,
        source: i.source,
        hostDevice: i.target ?? ifs.find((x) => x.mac === i.mac && x.interface !== "-")?.interface ?? null,
      })),
      console: virsh.display(["console", d.name]),
      qemuPid: pid,
      ...(opts.threads && pid !== null
        ? { threads: await readThreads(pid, opts.procRoot).catch(() => []) }
        : {}),
    });
  }
  return out;
}
