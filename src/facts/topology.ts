/**
 * CPUs and NUMA nodes from sysfs as kernels of every age and architecture write it. Nothing here
 * assumes a numbering scheme: cores and sockets are the kernel's sibling masks, ids are only
 * trusted where they agree with the masks, and every fact falls back through a documented order of
 * sources (docs/discover.md, "How CPUs, cores, sockets and nodes are found"). A CPU whose topology
 * directory is gone (offline) keeps what can still be known about it.
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

/** readInt for counters the kernel keeps unsigned: a negative value is garbage. */
function readCount(r: HostReader, rel: string): number | null {
  const v = readInt(r, rel);
  if (v !== null && v < 0) {
    r.garbage(rel, String(v), "a count of 0 or more");
    return null;
  }
  return v;
}

/**
 * Linux 5.15-rc1 wrote a NUL after the newline of every cpumap/cpulist file (fixed in rc2 by
 * "cpumask: Omit terminating null byte"): real kernel output, not garbage.
 */
function stripTrailingNul(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\s\u0000]+$/, "");
}

/** Parses a sysfs CPU list; null (and a warning) on garbage. */
export function readCpuList(r: HostReader, rel: string, opts: { optional?: boolean } = {}): number[] | null {
  const raw = r.readText(rel, opts);
  if (raw === null) return null;
  const text = stripTrailingNul(raw);
  try {
    return parseCpuList(text, rel);
  } catch {
    r.garbage(rel, raw, 'a CPU list such as "0-3,8"');
    return null;
  }
}

/**
 * The kernel's hex CPU mask ("0000,22222222,22222222": 32-bit words, most significant first, as
 * bitmap_print_to_pagebuf writes cpumap, thread_siblings, core_siblings ...); null when it is not one.
 */
export function parseCpuMask(text: string): number[] | null {
  const words = stripTrailingNul(text).trim().split(",");
  if (!words.every((w) => /^[0-9a-fA-F]{1,8}$/.test(w))) return null;
  const out: number[] = [];
  words.reverse().forEach((w, i) => {
    const v = Number.parseInt(w, 16);
    for (let bit = 0; bit < 32; bit++) if (v & (2 ** bit)) out.push(i * 32 + bit);
  });
  return out.sort((a, b) => a - b);
}

/** Reads a hex CPU mask file; null (and a warning) on garbage. */
export function readCpuMask(r: HostReader, rel: string, opts: { optional?: boolean } = {}): number[] | null {
  const text = r.readText(rel, opts);
  if (text === null) return null;
  const cpus = parseCpuMask(text);
  if (cpus === null) r.garbage(rel, text, 'a hex CPU mask such as "00000000,000000ff"');
  return cpus;
}

/**
 * The first of `files` (in order: the most precise or most readable first) that exists and parses;
 * a `_list` file is a CPU list, any other a hex mask. null when none does.
 */
function readMaskFrom(
  r: HostReader,
  dir: string,
  files: readonly string[],
): { cpus: number[]; file: string } | null {
  for (const name of files) {
    const rel = `${dir}/${name}`;
    if (!r.exists(rel)) continue;
    const cpus = name.endsWith("_list") ? readCpuList(r, rel) : readCpuMask(r, rel);
    if (cpus !== null) return { cpus, file: name };
  }
  return null;
}

/** Same-core CPUs: the 5.x name (core_cpus) and the older one (thread_siblings) hold one mask. */
export const THREAD_MASK_FILES = [
  "thread_siblings_list",
  "core_cpus_list",
  "thread_siblings",
  "core_cpus",
] as const;
/** Same-package CPUs: package_cpus (5.x) and core_siblings (older) hold one mask. */
export const PACKAGE_MASK_FILES = [
  "package_cpus_list",
  "core_siblings_list",
  "package_cpus",
  "core_siblings",
] as const;

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
    // Page counts are never negative: a -5 is a broken or forged file, not a pool.
    const total = readCount(r, `${dir}/${name}/nr_hugepages`);
    const free = readCount(r, `${dir}/${name}/free_hugepages`);
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

/**
 * A node's CPUs: nodeN/cpulist, else the hex nodeN/cpumap, else the nodeN/cpuM links (2.6-era
 * kernels wrote only those). Only CPUs that exist count: s390 lists every possible CPU (0-140 on
 * an 8-CPU LPAR).
 */
function nodeCpus(r: HostReader, base: string, exists: Set<number>): number[] {
  let cpus: number[] | null = null;
  if (r.exists(`${base}/cpulist`)) cpus = readCpuList(r, `${base}/cpulist`);
  if (cpus === null && r.exists(`${base}/cpumap`)) cpus = readCpuMask(r, `${base}/cpumap`);
  if (cpus === null) {
    const linked = r.list(base, /^cpu\d+$/).map((n) => Number(n.slice(3)));
    if (linked.length > 0) cpus = linked;
  }
  return (cpus ?? []).filter((c) => exists.has(c));
}

function readNodes(r: HostReader, exists: Set<number>): RawNode[] {
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
      cpulist: nodeCpus(r, base, exists),
      memoryKiB: memTotal ?? 0,
      distances,
      hugepages: hugepagePools(r, `${base}/hugepages`),
    };
  });
}

interface RawCpu {
  id: number;
  online: boolean;
  nodeLink: number | null;
  hasTopology: boolean;
  packageId: number | null;
  coreId: number | null;
  dieId: number | null;
  clusterId: number | null;
  /** Same-core CPUs (thread siblings), the CPU itself included; null when no mask file says. */
  threadMask: number[] | null;
  /** Same-package CPUs; null when no mask file says. */
  packageMask: number[] | null;
}

function readCpu(r: HostReader, id: number, onlineList: number[] | null): RawCpu {
  const base = `${CPU_DIR}/cpu${id}`;
  // cpu0 usually has no online file (it cannot be unplugged).
  const onlineText = r.readText(`${base}/online`, { optional: true });
  let online: boolean;
  const onlineValue = onlineText === null ? null : stripTrailingNul(onlineText);
  if (onlineValue === "1" || onlineValue === "0") online = onlineValue === "1";
  else {
    if (onlineText !== null) r.garbage(`${base}/online`, onlineText, "0 or 1");
    online = onlineList ? onlineList.includes(id) : true;
  }
  const nodeLinks = r.list(base, /^node\d+$/).map((n) => Number(n.slice(4)));
  const cpu: RawCpu = {
    id,
    online,
    nodeLink: nodeLinks[0] ?? null,
    hasTopology: false,
    packageId: null,
    coreId: null,
    dieId: null,
    clusterId: null,
    threadMask: null,
    packageMask: null,
  };
  // Offline CPUs lose their topology directory on current kernels: keep what is known.
  const topo = `${base}/topology`;
  if (!r.isDir(topo)) {
    if (online) r.warn(topo, "missing for an online CPU");
    return cpu;
  }
  cpu.hasTopology = true;
  cpu.packageId = readInt(r, `${topo}/physical_package_id`);
  cpu.coreId = readInt(r, `${topo}/core_id`);
  cpu.dieId = readInt(r, `${topo}/die_id`, { optional: true });
  cpu.clusterId = readInt(r, `${topo}/cluster_id`, { optional: true });
  const threads = readMaskFrom(r, topo, THREAD_MASK_FILES);
  if (threads === null && !THREAD_MASK_FILES.some((f) => r.exists(`${topo}/${f}`)))
    r.warn(`${topo}/thread_siblings_list`, "missing");
  cpu.threadMask = threads ? withSelf(threads.cpus, id) : null;
  const pkg = readMaskFrom(r, topo, PACKAGE_MASK_FILES);
  cpu.packageMask = pkg ? withSelf(pkg.cpus, id) : null;
  return cpu;
}

function withSelf(cpus: number[], id: number): number[] {
  return [...new Set([...cpus, id])].sort((a, b) => a - b);
}

/** Groups CPUs by a key, groups ordered by their lowest CPU. */
function groupBy<T>(items: T[], key: (t: T) => string | null): T[][] {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (k === null) continue;
    const group = out.get(k);
    if (group) group.push(it);
    else out.set(k, [it]);
  }
  return [...out.values()];
}

/**
 * Socket of each CPU. The package mask (package_cpus, core_siblings) groups CPUs; a group's number
 * is its physical_package_id when every group has one id of its own, else groups are numbered
 * 0, 1, ... by lowest CPU: POWER, s390x, sparc64 and ia64 write -1, and an id that disagrees with the
 * masks would put two packages on one socket. Without any mask, physical_package_id >= 0 decides.
 */
function assignSockets(raw: RawCpu[]): Map<number, number> {
  const socket = new Map<number, number>();
  // Told apart among online CPUs: the kernel drops an offline CPU from the others' masks.
  const masked = raw.filter((c) => c.packageMask !== null && c.online);
  const groups = groupBy(masked, (c) => c.packageMask!.join(","));
  const idOf = (g: RawCpu[]) => {
    const ids = new Set(g.map((c) => c.packageId));
    const [only] = ids;
    return ids.size === 1 && only !== null && only !== undefined && only >= 0 ? only : null;
  };
  const ids = groups.map(idOf);
  const idsUsable = ids.every((i) => i !== null) && new Set(ids).size === ids.length;
  if (groups.length > 0 && !idsUsable) {
    groups.sort((a, b) => a[0]!.id - b[0]!.id);
    groups.forEach((g, i) => {
      for (const c of g) socket.set(c.id, i);
    });
    // An offline CPU that kept its topology joins the package its mask shares CPUs with.
    for (const c of raw.filter((x) => x.packageMask !== null && !x.online)) {
      const i = groups.findIndex((g) => g.some((m) => c.packageMask!.includes(m.id)));
      if (i >= 0) socket.set(c.id, i);
    }
    return socket;
  }
  for (const c of raw) if (c.packageId !== null && c.packageId >= 0) socket.set(c.id, c.packageId);
  return socket;
}

interface CoreOf {
  core: number;
  siblings: number[];
  computeUnit?: number[];
}

/**
 * Cores of one socket. The thread mask (core_cpus, thread_siblings) groups CPUs into cores; a group
 * whose CPUs carry different core_ids is an AMD family 15h compute unit (two cores sharing a front
 * end, reported as thread siblings) and becomes one core per CPU, as hwloc counts them. A core's
 * number is its core_id when core_ids tell the socket's cores apart; multi-die and clustered chips
 * repeat core_id per die or cluster, and old s390 kernels repeat it freely: then cores are numbered
 * 0, 1, ... in (die_id, cluster_id, core_id, lowest CPU) order.
 */
function assignCores(cpus: RawCpu[], out: Map<number, CoreOf>): void {
  const groups: { cpus: RawCpu[]; computeUnit?: number[] }[] = [];
  // A CPU whose own mask is unreadable joins the core whose mask names it, else its core_id's.
  const coveredBy = (c: RawCpu) => cpus.find((o) => o.threadMask?.includes(c.id))?.threadMask ?? null;
  const groupKey = (c: RawCpu) => {
    const mask = c.threadMask ?? coveredBy(c);
    return mask ? mask.join(",") : `core_id ${c.coreId ?? `cpu${c.id}`}`;
  };
  for (const g of groupBy(cpus, groupKey)) {
    const coreIds = new Set(g.map((c) => c.coreId));
    const splitUnit =
      g.length > 1 && coreIds.size === g.length && g.every((c) => c.coreId !== null && c.coreId >= 0);
    if (splitUnit) {
      const unit = g.map((c) => c.id);
      for (const c of g) groups.push({ cpus: [c], computeUnit: unit });
    } else groups.push({ cpus: g });
  }
  const kernelIds = groups.map((g) => {
    const ids = new Set(g.cpus.map((c) => c.coreId));
    const [only] = ids;
    return ids.size === 1 && only !== null && only !== undefined && only >= 0 ? only : null;
  });
  const idsUsable = kernelIds.every((i) => i !== null) && new Set(kernelIds).size === kernelIds.length;
  const order = [...groups.keys()];
  if (!idsUsable) {
    const key = (i: number) => {
      const c = groups[i]!.cpus[0]!;
      return [c.dieId ?? -1, c.clusterId ?? -1, c.coreId ?? -1, c.id];
    };
    order.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      for (let k = 0; k < ka.length; k++) if (ka[k] !== kb[k]) return ka[k]! - kb[k]!;
      return 0;
    });
  }
  order.forEach((gi, rank) => {
    const g = groups[gi]!;
    const core = idsUsable ? kernelIds[gi]! : rank;
    for (const c of g.cpus) {
      const siblings = g.computeUnit ? [c.id] : withSelf(c.threadMask ?? [], c.id);
      out.set(c.id, { core, siblings, ...(g.computeUnit ? { computeUnit: g.computeUnit } : {}) });
    }
  });
}

/**
 * Reads CPUs and nodes together: a CPU's node comes from its nodeM link, else from the nodes' CPU
 * lists, masks or links, else 0 (kernels without NUMA); a host without node directories gets one
 * node 0.
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
  let rawNodes = readNodes(r, new Set(ids));
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
  for (const n of rawNodes) for (const c of n.cpulist) if (!nodeOfCpu.has(c)) nodeOfCpu.set(c, n.id);

  const socketOf = assignSockets(raw);
  const coreOf = new Map<number, CoreOf>();
  // Cores are told apart among online CPUs: the kernel drops an offline CPU from its siblings' masks.
  const online = raw.filter((c) => c.hasTopology && c.online);
  for (const g of groupBy(online, (c) => String(socketOf.get(c.id) ?? -1))) assignCores(g, coreOf);
  // An offline CPU that kept its topology (older kernels) joins the core of an online sibling.
  for (const c of raw.filter((x) => x.hasTopology && !x.online)) {
    const mate = (c.threadMask ?? []).map((s) => coreOf.get(s)).find((x) => x !== undefined);
    coreOf.set(c.id, {
      core: mate?.core ?? c.coreId ?? -1,
      siblings: withSelf(c.threadMask ?? [], c.id),
    });
  }

  const cpus: CpuFact[] = raw.map((c) => {
    const core = coreOf.get(c.id);
    return {
      id: c.id,
      socket: socketOf.get(c.id) ?? -1,
      core: core?.core ?? -1,
      node: c.nodeLink ?? nodeOfCpu.get(c.id) ?? 0,
      siblings: core?.siblings ?? [c.id],
      online: c.online,
      ...(core?.computeUnit ? { computeUnit: core.computeUnit } : {}),
    };
  });
  // A CPU without topology still sits in a node; if that node lives on one socket, so does it.
  const hasTopology = new Set(raw.filter((x) => x.hasTopology).map((x) => x.id));
  for (const c of cpus) {
    if (hasTopology.has(c.id)) continue;
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
