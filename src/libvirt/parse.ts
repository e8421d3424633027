/**
 * Parsers for the human-readable tables virsh prints. virsh has no JSON output, so each table is
 * parsed strictly: a line that does not fit is ignored rather than guessed at.
 */
import { parseCpuList } from "../util/cpulist.js";

export type DomainState =
  | "running"
  | "paused"
  | "shut off"
  | "idle"
  | "in shutdown"
  | "crashed"
  | "pmsuspended"
  | "blocked"
  | "dying"
  | string;

export interface DomainListEntry {
  id: number | null;
  name: string;
  state: DomainState;
}

/** `virsh list --all`: " Id   Name   State" then a dashed line then rows; id is "-" when shut off. */
export function parseDomainList(text: string): DomainListEntry[] {
  const out: DomainListEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m || line.trim().startsWith("Id")) continue;
    out.push({ id: m[1] === "-" ? null : Number(m[1]), name: m[2]!, state: m[3]! });
  }
  return out;
}

export interface NetworkListEntry {
  name: string;
  active: boolean;
  autostart: boolean;
  persistent: boolean;
}

/** `virsh net-list --all`: " Name  State  Autostart  Persistent". */
export function parseNetworkList(text: string): NetworkListEntry[] {
  const out: NetworkListEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\S+)\s+(active|inactive)\s+(yes|no)\s+(yes|no)\s*$/.exec(line);
    if (!m) continue;
    out.push({
      name: m[1]!,
      active: m[2] === "active",
      autostart: m[3] === "yes",
      persistent: m[4] === "yes",
    });
  }
  return out;
}

/** `virsh vcpupin DOM`: " VCPU   CPU Affinity" rows "0      1" -> affinity per vCPU. */
export function parseVcpupin(text: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+([\d,\- ]+?)\s*$/.exec(line);
    if (!m) continue;
    out.set(Number(m[1]), parseCpuList(m[2]!.replace(/\s+/g, "")));
  }
  return out;
}

/** `virsh emulatorpin DOM`: " emulator: CPU Affinity" then "        *: 0". */
export function parseEmulatorpin(text: string): number[] | null {
  for (const line of text.split("\n")) {
    const m = /^\s*\*:\s*(\S+)\s*$/.exec(line);
    if (m) return parseCpuList(m[1]!);
  }
  return null;
}

/** `virsh numatune DOM`: "numa_mode      : strict" / "numa_nodeset   : 0". */
export function parseNumatune(text: string): { mode: string | null; nodeset: number[] } {
  let mode: string | null = null;
  let nodeset: number[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(numa_mode|numa_nodeset)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    if (m[1] === "numa_mode") mode = m[2] || null;
    else nodeset = m[2] ? parseCpuList(m[2]) : [];
  }
  return { mode, nodeset };
}

export interface DomIfEntry {
  /** Host-side device (vnet0, macvtap0) or "-" when it has none (hostdev, shut off). */
  interface: string;
  type: string;
  source: string;
  model: string;
  mac: string;
}

/** `virsh domiflist DOM`: " Interface   Type   Source   Model   MAC". */
export function parseDomiflist(text: string): DomIfEntry[] {
  const out: DomIfEntry[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length !== 5 || cols[0] === "Interface") continue;
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(cols[4]!)) continue;
    out.push({
      interface: cols[0]!,
      type: cols[1]!,
      source: cols[2]!,
      model: cols[3]!,
      mac: cols[4]!.toLowerCase(),
    });
  }
  return out;
}

/** `virsh dominfo DOM` / `virsh net-info`: "Key:   value" lines. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z][\w ()-]*?):\s*(.*?)\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
