/**
 * Small derived views of HostFacts that several check areas share (what is isolated, which node
 * a CPU is on, whether a file was visible). Pure functions of the facts.
 */
import type { HostFacts } from "../facts/types.js";
import { formatCpuList } from "../util/cpulist.js";

export const PAGE_1G_KIB = 1048576;
export const PAGE_2M_KIB = 2048;

/** "1G" / "2M" as the kernel command line writes page sizes. */
export function pageSizeLabel(kib: number): string {
  if (kib % PAGE_1G_KIB === 0) return `${kib / PAGE_1G_KIB}G`;
  if (kib % 1024 === 0) return `${kib / 1024}M`;
  return `${kib}K`;
}

export function cpuList(ids: Iterable<number>): string {
  const s = formatCpuList(ids);
  return s === "" ? "none" : s;
}

/** True for the live host; false for a snapshot root or synthetic facts, where /dev and commands are not visible. */
export function isLive(facts: HostFacts): boolean {
  return facts.root === "/";
}

/** The discovery warning for a file, if discovery could not read it (matched by path suffix). */
export function unreadable(facts: HostFacts, pathSuffix: string): string | null {
  const w = facts.warnings.find((x) => x.path.endsWith(pathSuffix));
  return w ? `${w.path}: ${w.message}` : null;
}

/** Online CPUs grouped by NUMA node id, nodes in id order. */
export function onlineCpusByNode(facts: HostFacts): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const n of [...facts.nodes].sort((a, b) => a.id - b.id)) out.set(n.id, []);
  for (const c of facts.cpus) {
    if (!c.online) continue;
    if (!out.has(c.node)) out.set(c.node, []);
    out.get(c.node)!.push(c.id);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** Distinct cores as sorted sibling groups, each listed once. */
export function coreGroups(facts: HostFacts): number[][] {
  const seen = new Set<string>();
  const groups: number[][] = [];
  for (const c of facts.cpus) {
    const sib = c.siblings.length ? [...c.siblings].sort((a, b) => a - b) : [c.id];
    const key = sib.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    groups.push(sib);
  }
  return groups.sort((a, b) => a[0]! - b[0]!);
}

/**
 * A reasonable isolcpus for a host that has none: every online CPU except the first core (all its
 * threads) of each NUMA node, so CPU 0 and one core per node stay with the kernel.
 */
export function suggestedIsolation(facts: HostFacts, onlyNodes?: ReadonlySet<number>): number[] {
  const byId = new Map(facts.cpus.map((c) => [c.id, c]));
  const out: number[] = [];
  for (const [node, cpus] of onlineCpusByNode(facts)) {
    if (onlyNodes && !onlyNodes.has(node)) continue;
    if (cpus.length === 0) continue;
    const keep = new Set(byId.get(cpus[0]!)?.siblings ?? [cpus[0]!]);
    keep.add(0);
    for (const id of cpus) if (!keep.has(id)) out.push(id);
  }
  return out.sort((a, b) => a - b);
}

export function gib(kib: number): string {
  const v = kib / (1024 * 1024);
  return `${Number.isInteger(v) ? v : v.toFixed(1)} GiB`;
}
