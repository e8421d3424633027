/**
 * The fleet's hosts and VNFs on the capacity model (./capacity.ts), as the misfit reports and the
 * bench's exact MILP (bench/fleet-milp.ts) read them. Placement itself is the exact solver's
 * (src/plan/solve, through ./solve.ts).
 */
import type { NetworkSpec, VnfSpec } from "../topology/types.js";
import { coresFor, demandOf, type HostCapacity } from "./capacity.js";

export interface SearchHost {
  name: string;
  labels: Record<string, string>;
  cap: HostCapacity;
}

export interface SearchVnf {
  spec: VnfSpec;
  priority: number;
  /** Hosts it may go to (pin, selector, evictions); null: all. */
  allowed: Set<string> | null;
  /** Already runs there: stays, takes nothing more (its use is in the host's capacity). */
  fixed?: string;
}

/** The group label a host has for an anti-affinity key ("host": its name). */
export function labelOf(
  h: { name: string; labels: Record<string, string> },
  key: string,
): string | undefined {
  return key === "host" ? h.name : h.labels[key];
}

/** Why v cannot go on h, given what the others took: one line, for misfit reports. */
export function whyNot(
  v: SearchVnf,
  h: SearchHost,
  networks: readonly NetworkSpec[],
): { reason: string; short: number } {
  const d = demandOf(v.spec, h.cap, networks);
  if (v.allowed !== null && !v.allowed.has(h.name))
    return { reason: "not selected by its host:/hosts:", short: Infinity };
  if (d.missing !== null) return { reason: d.missing, short: Infinity };
  let best: { reason: string; short: number } | null = null;
  for (const n of h.cap.nodes) {
    if (d.nodes !== null && !d.nodes.includes(n.node)) continue;
    const need = coresFor(v.spec, n.threadsPerCore);
    const parts: string[] = [];
    let short = 0;
    if (n.cores < need) {
      parts.push(`${need - n.cores} core${need - n.cores === 1 ? "" : "s"} short`);
      short += need - n.cores;
    }
    if (n.pages < d.pages) {
      parts.push(`${d.pages - n.pages} page${d.pages - n.pages === 1 ? "" : "s"} short`);
      short += (d.pages - n.pages) / 1000;
    }
    for (const [pf, k] of d.vfs) {
      const free = h.cap.pfs.get(pf)?.free ?? 0;
      if (free < k) {
        parts.push(`${k - free} VF${k - free === 1 ? "" : "s"} of ${pf} short`);
        short += k - free;
      }
    }
    const reason =
      parts.length === 0
        ? `node ${n.node}: fits alone, taken by the others`
        : `node ${n.node}, ${parts.join(", ")}`;
    if (best === null || short < best.short) best = { reason, short };
  }
  return best ?? { reason: "no NUMA node it may use", short: Infinity };
}
