/**
 * Parsers for the kernel's own evidence: /proc/PID/numa_maps (where a process's memory lives),
 * /proc/PID/task/TID/{stat,status,comm} (which CPU a thread may use and last ran on) and
 * `ip -d -j link` (PF MTU, VF trust and spoofchk). Pure: they take text, tests feed fixtures.
 */

export interface NumaMapping {
  address: string;
  policy: string;
  file: string | null;
  huge: boolean;
  pageSizeKiB: number;
  /** Pages per node. */
  nodes: Record<number, number>;
}

export function parseNumaMaps(text: string): NumaMapping[] {
  const out: NumaMapping[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2 || !/^[0-9a-f]+$/.test(parts[0]!)) continue;
    const m: NumaMapping = {
      address: parts[0]!,
      policy: parts[1]!,
      file: null,
      huge: false,
      pageSizeKiB: 4,
      nodes: {},
    };
    for (const p of parts.slice(2)) {
      const eq = p.indexOf("=");
      if (eq < 0) {
        if (p === "huge") m.huge = true;
        continue;
      }
      const k = p.slice(0, eq);
      const v = p.slice(eq + 1);
      if (k === "file") m.file = v;
      else if (k === "kernelpagesize_kB") m.pageSizeKiB = Number(v);
      else if (/^N\d+$/.test(k)) m.nodes[Number(k.slice(1))] = Number(v);
    }
    out.push(m);
  }
  return out;
}

/** KiB per node, split into hugepage-backed (by page size) and normal memory. */
export interface NumaUsage {
  hugeKiB: Record<number, number>;
  /** Hugepage-backed KiB by page size then node. */
  hugeBySize: Record<number, Record<number, number>>;
  otherKiB: Record<number, number>;
}

export function summarizeNumaMaps(maps: NumaMapping[]): NumaUsage {
  const u: NumaUsage = { hugeKiB: {}, hugeBySize: {}, otherKiB: {} };
  for (const m of maps) {
    const huge = m.huge || m.pageSizeKiB > 4;
    for (const [node, pages] of Object.entries(m.nodes)) {
      const n = Number(node);
      const kib = pages * m.pageSizeKiB;
      if (huge) {
        u.hugeKiB[n] = (u.hugeKiB[n] ?? 0) + kib;
        const bySize = (u.hugeBySize[m.pageSizeKiB] ??= {});
        bySize[n] = (bySize[n] ?? 0) + kib;
      } else {
        u.otherKiB[n] = (u.otherKiB[n] ?? 0) + kib;
      }
    }
  }
  return u;
}

export interface ThreadInfo {
  tid: number;
  comm: string;
  /** CPU the thread last ran on (stat field 39). */
  lastCpu: number;
  state: string;
  /** Cpus_allowed_list from status, as printed. */
  allowed: string | null;
}

/** One /proc/PID/task/TID/stat line: the comm may hold spaces and parentheses. */
export function parseTaskStat(text: string): { comm: string; state: string; lastCpu: number } | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field 39 (processor) is rest[36].
  const cpu = Number(rest[36]);
  if (!Number.isInteger(cpu)) return null;
  return { comm: text.slice(open + 1, close), state: rest[0] ?? "?", lastCpu: cpu };
}

export function parseCpusAllowed(status: string): string | null {
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? null;
}

/** A qemu vCPU thread is named "CPU N/KVM" (or "CPU N/TCG" under emulation). */
export function vcpuOfThread(comm: string): number | null {
  const m = /^CPU (\d+)\/(KVM|TCG|HVF|WHPX)$/.exec(comm);
  return m ? Number(m[1]) : null;
}

export interface VfLinkInfo {
  vf: number;
  mac: string | null;
  vlan: number | null;
  spoofchk: boolean | null;
  trust: boolean | null;
}

export interface LinkInfo {
  ifname: string;
  mtu: number;
  operstate: string | null;
  mac: string | null;
  vfs: VfLinkInfo[];
}

interface IpJsonLink {
  ifname?: string;
  mtu?: number;
  operstate?: string;
  address?: string;
  vfinfo_list?: {
    vf?: number;
    address?: string;
    mac?: string;
    vlan_list?: { vlan?: number }[];
    vlan?: number;
    spoofchk?: boolean;
    trust?: boolean;
  }[];
}

/** `ip -d -j link show [dev X]` output. */
export function parseIpLinkJson(text: string): LinkInfo[] {
  const arr = JSON.parse(text) as IpJsonLink[];
  return arr.map((l) => ({
    ifname: l.ifname ?? "?",
    mtu: l.mtu ?? 0,
    operstate: l.operstate ?? null,
    mac: l.address?.toLowerCase() ?? null,
    vfs: (l.vfinfo_list ?? []).map((v, i) => ({
      vf: v.vf ?? i,
      mac: (v.address ?? v.mac)?.toLowerCase() ?? null,
      vlan: v.vlan_list?.[0]?.vlan ?? v.vlan ?? null,
      spoofchk: typeof v.spoofchk === "boolean" ? v.spoofchk : null,
      trust: typeof v.trust === "boolean" ? v.trust : null,
    })),
  }));
}
