/**
 * The single host as a placement problem for the solver (./solve), and its answer turned back
 * into CPUs: a host is a fleet of one. Running VMs are already in the pools (their cores, pages
 * and VFs are held), so the problem only lists what is free.
 */
import type { VnfWork } from "./checks.js";
import type { CpuAlloc, NodePool, PoolCore } from "./cpuPool.js";
import { allocate, commit, release } from "./cpuPool.js";
import type { PfState } from "./sriov.js";
import type { PlacementProblem, SolverPlacement, SolverVnf } from "./solve/index.js";

export const HOST_ID = "this-host";

function isFree(c: PoolCore): boolean {
  return c.owner === null && !c.shared && !c.blocked;
}

export function hostProblem(
  works: readonly VnfWork[],
  pools: Map<number, NodePool>,
  pagesFree: Map<number, number>,
  sizeKiB: number,
  pfStates: Map<string, PfState>,
): PlacementProblem {
  const nodes = [...pools.values()].map((pool) => ({
    id: pool.node,
    freeCores: pool.cores.filter(isFree).map((c) => c.threads.length),
    sharedThreadsFree: pool.cores
      .filter((c) => c.shared && !c.blocked)
      .reduce((a, c) => a + c.threadOwner.filter((o) => o === null).length, 0),
    pagesFree: { [String(sizeKiB)]: pagesFree.get(pool.node) ?? 0 },
  }));
  const pfs = [...pfStates.values()].map((st) => ({
    name: st.name,
    node: st.nic.node >= 0 && pools.has(st.nic.node) ? st.nic.node : null,
    vfsFree: st.holder.filter((h) => h === null).length,
    vlanBudget: st.limits.perPf,
    vlansInUse: [...st.vlans],
  }));
  const vnfs: SolverVnf[] = works.map((w) => {
    const needs = new Map<string, { count: number; vlans: Set<number> }>();
    w.spec.interfaces.forEach((iface, i) => {
      const pf = w.pfOf.get(i);
      if (!pf || iface.type !== "sriov") return;
      const e = needs.get(pf) ?? { count: 0, vlans: new Set<number>() };
      e.count++;
      if (iface.vlan !== undefined) e.vlans.add(iface.vlan);
      for (const v of iface.trunkVlans ?? []) e.vlans.add(v);
      needs.set(pf, e);
    });
    return {
      name: w.spec.name,
      vcpus: w.spec.vcpus,
      threadPolicy: w.spec.threadPolicy,
      pageSizeKiB: sizeKiB,
      pages: w.pages,
      // A PF the host does not set up (no VFs known) cannot give any: the VNF stays out.
      vfs: [...needs].map(([pf, e]) => ({ pf, count: e.count, vlans: [...e.vlans].sort((a, b) => a - b) })),
      ...(w.candidates.length === 1 ? { node: w.candidates[0]! } : {}),
      ...(w.preferNodes.length > 0 ? { preferNodes: w.preferNodes } : {}),
      ...(w.spec.priority !== undefined ? { priority: w.spec.priority } : {}),
    };
  });
  return { hosts: [{ id: HOST_ID, nodes, pfs }], vnfs };
}

/**
 * The CPUs of a placement: on each node, whole-core VNFs in file order take the lowest free cores
 * of the thread counts the solver chose, then share VNFs take shared threads. Commits to the pools.
 */
export function realise(
  placements: readonly SolverPlacement[],
  works: readonly VnfWork[],
  pools: Map<number, NodePool>,
  smt: boolean,
): Map<string, CpuAlloc> {
  const byName = new Map(works.map((w) => [w.spec.name, w]));
  const ordered = [...placements].sort((a, b) => byName.get(a.vnf)!.index - byName.get(b.vnf)!.index);
  // File order, so CPU numbers follow the file; when a share VNF would take a core of the thread
  // count a later whole-core VNF was given (nodes with cores of both sizes), whole cores go first.
  return tryRealise(ordered, byName, pools, smt, false) ?? tryRealise(ordered, byName, pools, smt, true)!;
}

function tryRealise(
  ordered: readonly SolverPlacement[],
  byName: Map<string, VnfWork>,
  pools: Map<number, NodePool>,
  smt: boolean,
  wholeFirst: boolean,
): Map<string, CpuAlloc> | null {
  const out = new Map<string, CpuAlloc>();
  const passes = wholeFirst ? [false, true] : [null];
  for (const sharePass of passes) {
    for (const p of ordered) {
      const w = byName.get(p.vnf)!;
      if (sharePass !== null && (w.spec.threadPolicy === "share") !== sharePass) continue;
      const pool = pools.get(p.node)!;
      const alloc =
        w.spec.threadPolicy === "share"
          ? allocate(pool, w.spec.name, w.spec.vcpus, "share", smt)
          : allocateCounts(pool, w.spec.name, w.spec.vcpus, w.spec.threadPolicy, p.coresByThreads);
      if (!alloc) {
        if (!wholeFirst) {
          for (const a of [...out.values()].reverse()) release(a);
          return null;
        }
        throw new Error(`placement of ${w.spec.name} on node ${p.node} does not realise on its cores`);
      }
      commit(alloc);
      out.set(w.spec.name, alloc);
    }
  }
  return out;
}

function allocateCounts(
  pool: NodePool,
  vnf: string,
  vcpus: number,
  policy: "isolate" | "prefer" | "require" | "share",
  counts: Record<string, number>,
): CpuAlloc | null {
  const want = new Map(Object.entries(counts).map(([t, k]) => [Number(t), k]));
  const cores = pool.cores.filter((c) => {
    if (!isFree(c) || (want.get(c.threads.length) ?? 0) === 0) return false;
    want.set(c.threads.length, want.get(c.threads.length)! - 1);
    return true;
  });
  if ([...want.values()].some((k) => k > 0)) return null;
  const alloc: CpuAlloc = {
    vnf,
    node: pool.node,
    vcpuPins: [],
    ownSiblings: [],
    wholeCores: cores,
    sharedThreads: [],
    newlyShared: [],
  };
  if (policy === "isolate") {
    for (const c of cores) {
      alloc.vcpuPins.push(c.threads[0]!);
      alloc.ownSiblings.push(...c.threads.slice(1));
    }
  } else {
    // The solver may hand more cores than the vCPUs fill; only the cores that carry one are taken.
    alloc.wholeCores = [];
    for (const c of cores) {
      if (alloc.vcpuPins.length >= vcpus) break;
      alloc.wholeCores.push(c);
      for (const t of c.threads) if (alloc.vcpuPins.length < vcpus) alloc.vcpuPins.push(t);
    }
  }
  if (alloc.vcpuPins.length < vcpus) return null;
  alloc.ownSiblings.sort((a, b) => a - b);
  return alloc;
}
