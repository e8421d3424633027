import { describe, expect, it } from "vitest";
import { AMD_EPYC_NPS4, SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import type { HostFacts } from "../facts/types.js";
import type { Topology } from "../topology/types.js";
import { GiB, makeTopology, makeVnf, sriovIf } from "../../test/fixtures/plan/topology.js";
import { buildPools } from "./cpuPool.js";
import { buildHostModel } from "./hostModel.js";
import { checkPlanInvariants } from "./invariants.js";
import type { PlacementProblem } from "./solve/index.js";
import { checkAnswer, solvePlacement } from "./solve/index.js";
import { planDeployment } from "./planner.js";

/**
 * What a hand-written first-fit in file order would do (isolate policy: one core per vCPU), to show
 * each case really defeats greedy placement.
 */
function firstFitInFileOrder(
  facts: HostFacts,
  topology: Topology,
  pfNode: (v: Topology["vnfs"][number]) => number | null,
): boolean {
  const usable = new Map<number, number>();
  for (const n of facts.nodes) {
    const cores = new Set(
      facts.cpus.filter((c) => c.node === n.id && c.online).map((c) => c.siblings.join(",")),
    );
    usable.set(n.id, cores.size - 1);
  }
  const pages = new Map(
    facts.nodes.map((n) => [n.id, n.hugepages[String(topology.host.hugepages.sizeKiB)]?.free ?? 0]),
  );
  for (const v of topology.vnfs) {
    const need = Math.ceil(v.memoryKiB / topology.host.hugepages.sizeKiB);
    const only = v.node ?? pfNode(v);
    const node = facts.nodes
      .map((n) => n.id)
      .find((n) => (only === null || n === only) && usable.get(n)! >= v.vcpus && pages.get(n)! >= need);
    if (node === undefined) return false;
    usable.set(node, usable.get(node)! - v.vcpus);
    pages.set(node, pages.get(node)! - need);
  }
  return true;
}

const seed = buildHostFacts(SEED_C240M5);
const amd = buildHostFacts(AMD_EPYC_NPS4);
const noPf = () => null;

describe("joint placement finds packings file-order greedy misses", () => {
  it("pairs small and large VNFs across nodes (cores)", () => {
    const topo = makeTopology(
      [5, 5, 12, 12].map((vcpus, i) => makeVnf(`v${i}`, { vcpus, memoryKiB: GiB })),
      {},
      { hugepages: { sizeKiB: GiB, count: 32 } },
    );
    expect(firstFitInFileOrder(seed, topo, noPf)).toBe(false);
    const r = planDeployment(seed, topo);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.vnfs.map((v) => v.node)).toEqual([0, 1, 0, 1]);
    expect(r.plan.vnfs[0]!.vcpuPins).toEqual([1, 2, 3, 4, 5]);
    expect(checkPlanInvariants(seed, topo, r.plan)).toEqual([]);
  });

  it("pairs VNFs by hugepages", () => {
    const topo = makeTopology(
      [6, 6, 10, 10].map((gib, i) => makeVnf(`m${i}`, { vcpus: 2, memoryKiB: gib * GiB })),
      {},
      { hugepages: { sizeKiB: GiB, count: 32 } },
    );
    expect(firstFitInFileOrder(seed, topo, noPf)).toBe(false);
    const r = planDeployment(seed, topo);
    expect(r.ok).toBe(true);
    if (r.ok) expect(checkPlanInvariants(seed, topo, r.plan)).toEqual([]);
  });

  it("keeps room on the PF's node for an SR-IOV VNF listed later", () => {
    const topo = makeTopology(
      [
        makeVnf("plain", { vcpus: 12, memoryKiB: GiB }),
        makeVnf("sriov", { vcpus: 8, memoryKiB: GiB, interfaces: [{ type: "sriov", pf: "eno2" }] }),
      ],
      {},
      { hugepages: { sizeKiB: GiB, count: 32 } },
    );
    expect(firstFitInFileOrder(seed, topo, (v) => (v.interfaces.length ? 0 : null))).toBe(false);
    const r = planDeployment(seed, topo);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.vnfs.map((v) => [v.name, v.node])).toEqual([
      ["plain", 1],
      ["sriov", 0],
    ]);
  });

  it("fills eight NPS4 nodes exactly with 3+4 core VNFs listed smallest first", () => {
    const sizes = [3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4];
    const topo = makeTopology(sizes.map((vcpus, i) => makeVnf(`n${i}`, { vcpus, memoryKiB: 2 * GiB })));
    expect(firstFitInFileOrder(amd, topo, noPf)).toBe(false);
    const r = planDeployment(amd, topo);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const perNode = new Map<number, number>();
    for (const v of r.plan.vnfs) perNode.set(v.node, (perNode.get(v.node) ?? 0) + v.vcpus);
    expect([...perNode.values()]).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    expect(checkPlanInvariants(amd, topo, r.plan)).toEqual([]);
  });

  it("respects an explicit node even when another node has more room", () => {
    const topo = makeTopology([makeVnf("a", { vcpus: 2, node: 1 }), makeVnf("b", { vcpus: 16 })]);
    const r = planDeployment(seed, topo);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.vnfs.map((v) => v.node)).toEqual([1, 0]);
  });

  it("reports the VNFs listed last when not all fit", () => {
    const topo = makeTopology(
      [
        makeVnf("first", { vcpus: 16 }),
        makeVnf("second", { vcpus: 16 }),
        makeVnf("third", { vcpus: 4, interfaces: [sriovIf("p")] }),
      ],
      { networks: [{ name: "p", type: "sriov-pool", pf: "eno2" }] },
    );
    const r = planDeployment(seed, topo);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.vnf)).toEqual(["third"]);
  });
});

describe("when one VNF must stay out", () => {
  it("proves 8 of 9 is the most and leaves out the one listed last", () => {
    const model = buildHostModel(amd, { isolate: "auto", nohzFull: false, housekeepingCoresPerNode: 1 });
    const pools = buildPools(model, null);
    // 9 VNFs of 7 cores on 8 nodes of 7 free cores: one cannot fit.
    const problem: PlacementProblem = {
      hosts: [
        {
          id: "h",
          nodes: [...pools.values()].map((p) => ({
            id: p.node,
            freeCores: p.cores.map((c) => c.threads.length),
            sharedThreadsFree: 0,
            pagesFree: { [String(GiB)]: 32 },
          })),
          pfs: [],
        },
      ],
      vnfs: Array.from({ length: 9 }, (_, i) => ({
        name: `g${i}`,
        vcpus: 7,
        threadPolicy: "isolate" as const,
        pageSizeKiB: GiB,
        pages: 1,
        vfs: [],
      })),
    };
    const r = solvePlacement(problem);
    expect(r.proven).toBe(true);
    expect(r.unplaced).toEqual(["g8"]);
    expect(r.placements.map((a) => a.node).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(checkAnswer(problem, r.placements)).toEqual([]);
  });
});

describe("locality preferences", () => {
  it("puts a VNF on the node of its macvtap NIC when there is room", () => {
    const topo = makeTopology([
      makeVnf("edge", { vcpus: 2, interfaces: [{ type: "macvtap", dev: "ens5f0", mode: "bridge" }] }),
      makeVnf("plain", { vcpus: 2 }),
    ]);
    const r = planDeployment(amd, topo);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.vnfs.map((v) => [v.name, v.node])).toEqual([
      ["edge", 6],
      // Best fit: next to edge, so the other nodes stay whole for what comes next.
      ["plain", 6],
    ]);
  });
});
