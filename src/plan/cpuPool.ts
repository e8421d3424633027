/**
 * The CPUs VNFs may take on each NUMA node, and the thread-policy rules that hand them out.
 * Allocation is computed without side effects, then committed; release undoes a commit exactly,
 * which is what lets the placement search backtrack cheaply.
 */
import type { ThreadPolicy } from "../topology/types.js";
import type { Core, HostModel } from "./hostModel.js";

export interface PoolCore {
  core: Core;
  /** Threads of this core a vCPU may run on (isolated, or isolatable under `isolate: auto`). */
  threads: number[];
  /** VNF holding the whole core (policies isolate/prefer/require, deployed VMs). */
  owner: string | null;
  /** Core split between VNFs with thread policy `share`. */
  shared: boolean;
  /** Carries the emulator of a running VM the plan cannot re-pin (one not in the topology). */
  blocked: boolean;
  threadOwner: (string | null)[];
}

export interface NodePool {
  node: number;
  cores: PoolCore[];
}

export interface CpuAlloc {
  vnf: string;
  node: number;
  vcpuPins: number[];
  /** Sibling threads of the VNF's own cores that carry its emulator (policy isolate on SMT). */
  ownSiblings: number[];
  wholeCores: PoolCore[];
  sharedThreads: { core: PoolCore; index: number }[];
  newlyShared: PoolCore[];
}

export function buildPools(model: HostModel, isolated: Set<number> | null): Map<number, NodePool> {
  const pools = new Map<number, NodePool>();
  for (const node of model.nodeIds) {
    const cores: PoolCore[] = [];
    for (const core of model.coresByNode.get(node) ?? []) {
      const threads = isolated ? core.cpus.filter((c) => isolated.has(c)) : core.reserved ? [] : core.cpus;
      if (threads.length === 0) continue;
      cores.push({
        core,
        threads,
        owner: null,
        shared: false,
        blocked: false,
        threadOwner: threads.map(() => null),
      });
    }
    pools.set(node, { node, cores });
  }
  return pools;
}

function isFree(c: PoolCore): boolean {
  return c.owner === null && !c.shared && !c.blocked;
}

export function allocate(
  pool: NodePool,
  vnf: string,
  vcpus: number,
  policy: ThreadPolicy,
  smt: boolean,
): CpuAlloc | null {
  const alloc: CpuAlloc = {
    vnf,
    node: pool.node,
    vcpuPins: [],
    ownSiblings: [],
    wholeCores: [],
    sharedThreads: [],
    newlyShared: [],
  };
  if (policy === "isolate") {
    for (const c of pool.cores) {
      if (alloc.vcpuPins.length === vcpus) break;
      if (!isFree(c)) continue;
      alloc.wholeCores.push(c);
      alloc.vcpuPins.push(c.threads[0]!);
      alloc.ownSiblings.push(...c.threads.slice(1));
    }
  } else if (policy === "prefer" || policy === "require") {
    if (policy === "require" && !smt) return null;
    const minThreads = policy === "require" ? 2 : 1;
    for (const c of pool.cores) {
      if (alloc.vcpuPins.length === vcpus) break;
      if (!isFree(c) || c.threads.length < minThreads) continue;
      alloc.wholeCores.push(c);
      for (const t of c.threads) if (alloc.vcpuPins.length < vcpus) alloc.vcpuPins.push(t);
    }
  } else {
    for (const c of pool.cores) {
      if (!c.shared) continue;
      c.threadOwner.forEach((o, index) => {
        if (o === null && alloc.vcpuPins.length < vcpus) {
          alloc.sharedThreads.push({ core: c, index });
          alloc.vcpuPins.push(c.threads[index]!);
        }
      });
    }
    for (const c of pool.cores) {
      if (alloc.vcpuPins.length === vcpus) break;
      if (!isFree(c)) continue;
      alloc.newlyShared.push(c);
      c.threads.forEach((t, index) => {
        if (alloc.vcpuPins.length < vcpus) {
          alloc.sharedThreads.push({ core: c, index });
          alloc.vcpuPins.push(t);
        }
      });
    }
  }
  if (alloc.vcpuPins.length < vcpus) return null;
  alloc.ownSiblings.sort((a, b) => a - b);
  return alloc;
}

export function commit(alloc: CpuAlloc): void {
  for (const c of alloc.wholeCores) {
    c.owner = alloc.vnf;
    c.threadOwner = c.threadOwner.map(() => alloc.vnf);
  }
  for (const c of alloc.newlyShared) c.shared = true;
  for (const { core, index } of alloc.sharedThreads) core.threadOwner[index] = alloc.vnf;
}

export function release(alloc: CpuAlloc): void {
  for (const c of alloc.wholeCores) {
    c.owner = null;
    c.threadOwner = c.threadOwner.map(() => null);
  }
  for (const { core, index } of alloc.sharedThreads) core.threadOwner[index] = null;
  for (const c of alloc.newlyShared) c.shared = false;
}

/** What a VNF's vCPUs need on a node and what the node still has, in the policy's unit. */
export interface CpuNeed {
  unit: "cores" | "CPUs";
  need: number;
  have: number;
}

export function cpuNeed(pool: NodePool, vcpus: number, policy: ThreadPolicy): CpuNeed {
  const free = pool.cores.filter(isFree);
  if (policy === "isolate") return { unit: "cores", need: vcpus, have: free.length };
  if (policy === "prefer" || policy === "require") {
    const usable = policy === "require" ? free.filter((c) => c.threads.length >= 2) : free;
    const perCore = Math.max(
      1,
      ...usable.map((c) => c.threads.length),
      ...pool.cores.map((c) => c.threads.length),
    );
    return { unit: "cores", need: Math.ceil(vcpus / perCore), have: usable.length };
  }
  let have = 0;
  for (const c of pool.cores) {
    if (c.shared) have += c.threadOwner.filter((o) => o === null).length;
    else if (c.owner === null) have += c.threads.length;
  }
  return { unit: "CPUs", need: vcpus, have };
}

/** Largest vCPU count (of the allowed ones) that fits on the node now; 0 when none does. */
export function largestFit(
  pool: NodePool,
  policy: ThreadPolicy,
  smt: boolean,
  allowed: readonly number[] | null,
  upTo: number,
): number {
  const counts = allowed
    ? [...allowed].sort((a, b) => b - a)
    : Array.from({ length: upTo }, (_, i) => upTo - i);
  for (const n of counts) {
    if (n > upTo) continue;
    if (allocate(pool, "?", n, policy, smt)) return n;
  }
  return 0;
}

/** Identifies nodes whose free capacity is interchangeable, so the search tries only one of them. */
export function poolSignature(pool: NodePool): string {
  const parts: string[] = [];
  for (const c of pool.cores) {
    if (isFree(c)) parts.push(String(c.threads.length));
    else if (c.shared) parts.push(`s${c.threadOwner.filter((o) => o === null).length}`);
  }
  return parts.join(",");
}

/** Free capacity in "core equivalents", for the search's upper bound. */
export function freeCoreCount(pool: NodePool): number {
  let n = 0;
  for (const c of pool.cores) if (isFree(c)) n++;
  return n;
}
