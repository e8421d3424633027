/**
 * Hugepage capacity per NUMA node for the topology's page size: what the host holds now, what
 * the boot reservation (hugepages=) will hold, what the node's memory allows, and what is in use.
 */
import type { HostFacts } from "../facts/types.js";
import type { DeployedVnf } from "./types.js";

export interface NodePages {
  node: number;
  /** Reserved now (facts). */
  total: number;
  /** In use now: by running VMs (at least what the deployed VMs hold) or anything else. */
  inUse: number;
  /** Pages of this size the node's memory can hold. */
  memoryPages: number;
  /** Boot reservation share of this node when host.hugepages.count is given. */
  bootShare: number | null;
  /** Pages this plan may hold on the node in total (in use included). */
  capacity: number;
  limitedBy: "reservation" | "memory";
}

/** The kernel spreads hugepages= over the nodes evenly, the first nodes taking the remainder. */
export function bootShare(count: number, nodeIndex: number, nodeCount: number): number {
  return Math.floor(count / nodeCount) + (nodeIndex < count % nodeCount ? 1 : 0);
}

export function nodePages(
  facts: HostFacts,
  nodeIds: number[],
  sizeKiB: number,
  count: number | undefined,
  deployed: DeployedVnf[],
): Map<number, NodePages> {
  const out = new Map<number, NodePages>();
  nodeIds.forEach((node, i) => {
    const fact = facts.nodes.find((n) => n.id === node);
    const pool = fact?.hugepages[String(sizeKiB)];
    const total = pool?.total ?? 0;
    const deployedPages = deployed
      .filter((d) => d.node === node && d.pageSizeKiB === sizeKiB)
      .reduce((s, d) => s + Math.ceil(d.memoryKiB / sizeKiB), 0);
    const inUse = Math.max(total - (pool?.free ?? 0), deployedPages);
    const memoryPages = Math.floor((fact?.memoryKiB ?? 0) / sizeKiB);
    const share = count === undefined ? null : bootShare(count, i, nodeIds.length);
    const reservation = share === null ? Number.POSITIVE_INFINITY : Math.max(share, total);
    out.set(node, {
      node,
      total,
      inUse,
      memoryPages,
      bootShare: share,
      capacity: Math.min(reservation, memoryPages),
      limitedBy: reservation <= memoryPages ? "reservation" : "memory",
    });
  });
  return out;
}
