/**
 * `nfvhost plan --repack`: a second opinion for a running host. Plain plan/apply never move a
 * running VNF; this plans the same topology as if the running VNFs of the topology could be
 * restarted anywhere (their cores, pages and VFs freed; VMs outside the topology still stay) and
 * says how many more VNFs would fit, which, and which running ones would have to restart.
 */
import type { HostFacts } from "../facts/types.js";
import type { Topology } from "../topology/types.js";
import type { PlanOptions } from "./planner.js";
import { planDeployment } from "./planner.js";
import type { DeployedVnf, PlanResult } from "./types.js";

export interface RepackOpinion {
  /** VNFs of the topology that run or fit with the running ones kept where they run. */
  fitsNow: number;
  /** ... and with the running ones free to move. */
  fitsRepacked: number;
  of: number;
  /** Waiting VNFs that fit only if running ones move. */
  newlyFitting: string[];
  /** Running VNFs that would have to restart (moved, or left out by the repacked answer). */
  restart: string[];
  /** The repacked answer is proven optimal (false: the time limit stopped it). */
  proven: boolean;
}

function placedNames(topology: Topology, r: PlanResult): Set<string> {
  if (r.ok) return new Set(r.plan.vnfs.map((v) => v.name));
  const left = new Set(r.placement?.unplaced ?? []);
  // Blocked VNFs (their own errors) are not in the placement: they do not fit either way.
  const blocked = new Set(
    r.problems.filter((p) => p.vnf !== null && p.resource === "node").map((p) => p.vnf!),
  );
  return new Set(topology.vnfs.map((v) => v.name).filter((n) => !left.has(n) && !blocked.has(n)));
}

export function repackOpinion(
  facts: HostFacts,
  topology: Topology,
  deployed: DeployedVnf[],
  options: PlanOptions = {},
): RepackOpinion {
  const names = new Set(topology.vnfs.map((v) => v.name));
  const now = planDeployment(facts, topology, deployed, options);
  const movable = deployed.filter((d) => names.has(d.name));
  const staying = deployed.filter((d) => !names.has(d.name));
  // The host as it would be with the moved VMs stopped: their hugepages free again.
  const planWith = (moved: DeployedVnf[], kept: DeployedVnf[]) => {
    const freed = structuredClone(facts);
    for (const d of moved) {
      const pool = freed.nodes.find((n) => n.id === d.node)?.hugepages[String(d.pageSizeKiB)];
      if (pool) pool.free = Math.min(pool.total, pool.free + Math.ceil(d.memoryKiB / d.pageSizeKiB));
    }
    return planDeployment(freed, topology, kept, options);
  };
  let moved = [...movable];
  let kept = [...staying];
  let repacked = planWith(moved, kept);
  const best = placedNames(topology, repacked).size;
  // Restart as few as possible: keep each running VNF where it runs if the others still fit.
  for (const d of movable) {
    const tryMoved = moved.filter((x) => x !== d);
    const attempt = planWith(tryMoved, [...kept, d]);
    if (placedNames(topology, attempt).size >= best) {
      moved = tryMoved;
      kept = [...kept, d];
      repacked = attempt;
    }
  }
  const before = placedNames(topology, now);
  const after = placedNames(topology, repacked);
  const restart = moved
    .filter((d) => {
      const v = repacked.ok ? repacked.plan.vnfs.find((x) => x.name === d.name) : undefined;
      return !(v !== undefined && v.node === d.node && v.vcpuPins.join() === d.vcpuPins.join());
    })
    .map((d) => d.name);
  return {
    fitsNow: before.size,
    fitsRepacked: after.size,
    of: topology.vnfs.length,
    newlyFitting: topology.vnfs.map((v) => v.name).filter((n) => after.has(n) && !before.has(n)),
    restart: restart.sort(),
    proven: repacked.ok || (repacked.placement?.proven ?? true),
  };
}

export function formatRepack(o: RepackOpinion): string {
  const lines = [
    `repack (a second opinion; plan and apply never move running VNFs):`,
    `  running VNFs kept where they run: ${o.fitsNow} of ${o.of} VNFs fit`,
    `  running VNFs free to move: ${o.fitsRepacked} of ${o.of} fit${o.proven ? "" : " (time limit reached: not proven the most)"}`,
  ];
  if (o.newlyFitting.length > 0) lines.push(`  would fit too: ${o.newlyFitting.join(", ")}`);
  if (o.fitsRepacked > o.fitsNow)
    lines.push(`  would restart: ${o.restart.length > 0 ? o.restart.join(", ") : "none"}`);
  else lines.push("  moving running VNFs gains nothing here");
  return `${lines.join("\n")}\n`;
}
