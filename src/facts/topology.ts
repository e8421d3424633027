/**
 * CPUs and NUMA nodes from sysfs. Nothing here assumes a numbering scheme: siblings come from
 * thread_siblings_list, nodes from the cpuN/nodeM links (or the node cpulists), and a CPU whose
 * topology directory is gone (offline) keeps what can still be known about it.
 */
import { parseCpuList } from "../util/cpulist.js";
import type { HostReader } from "./reader.js";
import type { CpuFact, HugepagePools, NodeFact } from "./types.js";

const CPU_DIR = "sys/devices/system/cpu";
const NODE_DIR = "sys/devices/system/node";

/** Parses a sysfs integer; null (and a warning) on garbage. */
export function readInt(r: HostReader, rel: string, opts: { optional?: boolean } = {}): number | null {
  const text = r.readText(rel, opts);
  if (text === null) return null;
  const value = Number(text.trim());
  // Beyond 2^53 a number is no longer exact: no kernel counter there is real.
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    r.garbage(rel, text, "an integer");
    return null;
  }
  return value;
}

/** Parses a sysfs CPU list; null (and a warning) on garbage. */
export function readCpuList(r: HostReader, rel: string, opts: { optional?: boolean } = {}): number[] | null {
  const text = r.readText(rel, opts);
  if (text === null) return null;
  try {
    return parseCpuList(text, rel);
  } catch {
    r.garbage(rel, text, 'a CPU list such as "0-3,8"');
    return null;
  }
}

/** "Node 0 MemTotal:  131574784 kB" (node meminfo) or "MemTotal: 263665612 kB" (/proc/meminfo). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(?:Node\s+\d+\s+)?([\w()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function hugepagePools(r: HostReader, dir: string): HugepagePools {
  const pools: HugepagePools = {};
  for (const name of r.list(dir, /^hugepages-\d+kB$/)) {
    const size = name.slice("hugepages-".length, -"kB".length);
    const total = readInt(r, `${dir}/${name}/nr_hugepages`);
    const free = readInt(r, `${dir}/${name}/free_hugepages`);
    pools[size] = { total: total ?? 0, free: free ?? 0 };
  }
  return pools;
}

interface RawNode {
  id: number;
  cpulist: number[];
  memoryKiB: number;
  distances: number[];
  hugepages: HugepagePools;
}

function readNodes(r: HostReader): RawNode[] {
  const ids = r
    .list(NODE_DIR, /^node\d+$/)
    .map((n) => Number(n.slice(4)))
    .sort((a, b) => a - b);
  return ids.map((id) => {
    const base = `${NODE_DIR}/node${id}`;
    const meminfo = r.readText(`${base}/meminfo`);
    const memTotal = meminfo === null ? undefined : parseMeminfo(meminfo).get("MemTotal");
    if (meminfo !== null && memTotal === undefined) r.garbage(`${base}/meminfo`, meminfo, "a MemTotal line");
    const distText = r.readText(`${base}/distance`);
    let distances: number[] = [];
    if (distText !== null) {
      if (/^\d+(\s+\d+)*$/.test(distText.trim())) distances = distText.trim().split(/\s+/).map(Number);
      else r.garbage(`${base}/distance`, distText, 'distances such as "10 21"');
    }
    return {
      id,
      cpulist: readCpuList(r, `${base}/cpulist`) ?? [],
      memoryKiB: memTotal ?? 0,
      distances,
      hugepages: hugepagePools(r, `${base}/hugepages`),
    };
  });
}

interface RawCpu {
  id: number;
  socket: number | null;
  core: number;
  nodeLink: number | null;
  siblings: number[];
  online: boolean;
}

function readCpu(r: HostReader, id: number, onlineList: number[] | null): RawCpu {
  const base = `${CPU_DIR}/cpu${id}`;
  // cpu0 usually has no online file (it cannot be unplugged).
  const onlineText = r.readText(`${base}/online`, { optional: true });
  let online: boolean;
  if (onlineText === "1" || onlineText === "0") online = onlineText === "1";
  else {
    if (onlineText !== null) r.garbage(`${base}/online`, onlineText, "0 or 1");
    online = onlineList ? onlineList.includes(id) : true;
  }
  const nodeLinks = r.list(base, /^node\d+$/).map((n) => Number(n.slice(4)));
  const cpu: RawCpu = { id, socket: null, core: -1, nodeLink: nodeLinks[0] ?? null, siblings: [id], online };
  // Offline CPUs lose their topology directory on current kernels: keep what is known.
  if (!r.isDir(`${base}/topology`)) {
    if (online) r.warn(`${base}/topology`, "missing for an online CPU");
    return cpu;
  }
  cpu.socket = readInt(r, `${base}/topology/physical_package_id`);
  cpu.core = readInt(r, `${base}/topology/core_id`) ?? -1;
  // Garbage in thread_siblings_list is already a warning; core_cpus_list (5.x+) is the same mask.
  const siblingsFile = `${base}/topology/thread_siblings_list`;
  const hasSiblingsFile = r.exists(siblingsFile);
  const siblings =
    (hasSiblingsFile ? readCpuList(r, siblingsFile) : null) ??
    readCpuList(r, `${base}/topology/core_cpus_list`, { optional: true });
  if (siblings === null && !hasSiblingsFile) r.warn(siblingsFile, "missing");
  cpu.siblings = [...new Set([...(siblings ?? []), id])].sort((a, b) => a - b);
  return cpu;
}

/**
 * Reads CPUs and nodes together: a CPU's node comes from its nodeM link, else from the node
 * cpulists, else 0 (kernels without NUMA); a host without node directories gets one node 0.
 */
export function collectTopology(
  r: HostReader,
  procMeminfo: Map<string, number> | null,
): {
  cpus: CpuFact[];
  nodes: NodeFact[];
} {
  const ids = r
    .list(CPU_DIR, /^cpu\d+$/, { optional: false })
    .map((n) => Number(n.slice(3)))
    .sort((a, b) => a - b);
  const onlineList = readCpuList(r, `${CPU_DIR}/online`, { optional: true });
  const raw = ids.map((id) => readCpu(r, id, onlineList));
  let rawNodes = readNodes(r);
  if (rawNodes.length === 0) {
    rawNodes = [
      {
        id: 0,
        cpulist: ids,
        memoryKiB: procMeminfo?.get("MemTotal") ?? 0,
        distances: [10],
        hugepages: hugepagePools(r, "sys/kernel/mm/hugepages"),
      },
    ];
  }
  const nodeOfCpu = new Map<number, number>();
  for (const n of rawNodes) for (const c of n.cpulist) nodeOfCpu.set(c, n.id);

  const cpus: CpuFact[] = raw.map((c) => ({
    id: c.id,
    socket: c.socket ?? -1,
    core: c.core,
    node: c.nodeLink ?? nodeOfCpu.get(c.id) ?? 0,
    siblings: c.siblings,
    online: c.online,
  }));
  // A CPU without topology still sits in a node; if that node lives on one socket, so does it.
  for (const c of cpus) {
    if (raw.find((x) => x.id === c.id)!.socket !== null) continue;
    const sockets = new Set(cpus.filter((o) => o.node === c.node && o.socket >= 0).map((o) => o.socket));
    if (sockets.size === 1) c.socket = [...sockets][0]!;
  }

  const nodes: NodeFact[] = rawNodes.map((n) => {
    const members = new Set([...n.cpulist, ...cpus.filter((c) => c.node === n.id).map((c) => c.id)]);
    return {
      id: n.id,
      cpus: [...members].sort((a, b) => a - b),
      memoryKiB: n.memoryKiB,
      distances: n.distances,
      hugepages: n.hugepages,
    };
  });
  return { cpus, nodes };
}
