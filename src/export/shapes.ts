/**
 * Host shapes: hosts whose node tuning is identical share one set of tuning objects (one
 * PerformanceProfile, one SriovNetworkNodePolicy per PF) selected by a node label, so a fleet of
 * a hundred identical branch boxes exports one profile, not a hundred.
 */
import type { ExportHost, ExportInput } from "./types.js";

export interface HostShape {
  /** Object name and node-label value: the deployment's name, suffixed when there are several. */
  name: string;
  hosts: ExportHost[];
}

function dnsPart(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 50) || "nfvhost"
  );
}

/** Groups hosts by `key` (hosts with equal keys share a shape), in the order hosts first appear. */
export function hostShapes(input: ExportInput, key: (h: ExportHost) => unknown): HostShape[] {
  const byKey = new Map<string, ExportHost[]>();
  for (const h of input.hosts) {
    const k = JSON.stringify(key(h));
    const list = byKey.get(k);
    if (list) list.push(h);
    else byKey.set(k, [h]);
  }
  const groups = [...byKey.values()];
  const base = dnsPart(input.name);
  return groups.map((hosts, i) => ({ name: groups.length === 1 ? base : `${base}-shape${i + 1}`, hosts }));
}
