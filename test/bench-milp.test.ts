/**
 * The benchmark's own pieces: the MILP (on tiny cases whose optimum is known by hand), the model it
 * is built from, the generators, the plan checker and the Nova driver.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildHostFacts, SEED_C240M5, SMT_OFF } from "../src/facts/shapes.js";
import { run } from "../src/util/exec.js";
import {
  BENCH_SHAPES,
  placementCases,
  scaleFleet,
  SINGLE_NODE_SRIOV,
  VCPU_CHOICES,
} from "../bench/generate.js";
import { buildLp, solvePlacement } from "../bench/milp.js";
import { buildPlacementModel } from "../bench/model.js";
import type { CoreModel, NodeModel, PlacementModel, VnfModel } from "../bench/model.js";
import { checkPlan, greedyOrder, nfvhostArrival, nfvhostPlacement, novaCase } from "../bench/placement.js";
import { buildFullModel } from "../bench/milp-full.js";
import { loadPlanner } from "../bench/planner.js";
import { deployedFromPlan } from "../src/plan/deployed.js";

function node(id: number, cores: number, pages: number, threads = 2): NodeModel {
  const list: CoreModel[] = Array.from({ length: cores + 1 }, (_, i) => ({
    threads: Array.from({ length: threads }, (_, t) => id * 100 + i * threads + t),
    housekeeping: i === 0,
  }));
  return { id, cores: list, threadsPerCore: threads, usableCores: cores, pages };
}

function vnf(
  name: string,
  vcpus: number,
  pages: number,
  nodes: number[],
  vfs: Record<string, number> = {},
): VnfModel {
  return { name, vcpus, pages, vfs, nodes };
}

describe("MILP: exact optimum on hand-checked cases", () => {
  it("packs cores: 3 free cores, VNFs of 2, 2 and 1 vCPUs -> 2 placed", async () => {
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 3, 100)],
      pfs: [],
      vnfs: [vnf("a", 2, 1, [0]), vnf("b", 2, 1, [0]), vnf("c", 1, 1, [0])],
    };
    const r = await solvePlacement(model);
    expect(r.status).toBe("Optimal");
    expect(r.optimum).toBe(2);
    expect(r.assignment.has(2)).toBe(true);
  });

  it("packs pages: 10 pages, VNFs of 6, 6 and 4 pages -> 2 placed", async () => {
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 10, 10)],
      pfs: [],
      vnfs: [vnf("a", 1, 6, [0]), vnf("b", 1, 6, [0]), vnf("c", 1, 4, [0])],
    };
    expect((await solvePlacement(model)).optimum).toBe(2);
  });

  it("uses both nodes when one is not enough: 2 nodes x 4 cores, four 2-vCPU VNFs -> 4", async () => {
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 4, 100), node(1, 4, 100)],
      pfs: [],
      vnfs: ["a", "b", "c", "d"].map((n) => vnf(n, 2, 1, [0, 1])),
    };
    const r = await solvePlacement(model);
    expect(r.optimum).toBe(4);
    expect([...r.assignment.values()].filter((n) => n === 0)).toHaveLength(2);
  });

  it("respects SR-IOV locality and the PF's VF count", async () => {
    // Node 0 holds the PF (2 VFs). A needs 2 VFs, B 1 VF (both node 0 only); C and D need 4 cores.
    // {A,B} needs 3 VFs; 3 VNFs would need 10 or more cores of 8: the optimum is 2.
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 4, 100), node(1, 4, 100)],
      pfs: [{ name: "eno2", node: 0, vfs: 2 }],
      vnfs: [
        vnf("a", 2, 1, [0], { eno2: 2 }),
        vnf("b", 2, 1, [0], { eno2: 1 }),
        vnf("c", 4, 1, [0, 1]),
        vnf("d", 4, 1, [0, 1]),
      ],
    };
    const r = await solvePlacement(model);
    expect(r.optimum).toBe(2);
    for (const [v, n] of r.assignment) if (v < 2) expect(n).toBe(0);
    // With 3 VFs, A and B both fit on node 0 and C on node 1.
    expect((await solvePlacement({ ...model, pfs: [{ name: "eno2", node: 0, vfs: 3 }] })).optimum).toBe(3);
  });

  it("gives a VNF that fits nowhere no variable and places nothing", async () => {
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 3, 100)],
      pfs: [],
      vnfs: [vnf("big", 8, 1, [0])],
    };
    const r = await solvePlacement(model);
    expect(r.optimum).toBe(0);
    expect(r.variables).toBe(0);
  });

  it("writes the LP the formulation describes", () => {
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 4, 10), node(1, 4, 10)],
      pfs: [{ name: "eno2", node: 0, vfs: 2 }],
      vnfs: [vnf("a", 2, 3, [0], { eno2: 1 }), vnf("b", 1, 2, [0, 1])],
    };
    const { lp, xVars } = buildLp(model);
    expect(xVars.map((x) => x.name)).toEqual(["x_0_0", "x_1_0", "x_1_1"]);
    expect(lp).toContain("one_1: x_1_0 + x_1_1 <= 1");
    expect(lp).toContain("cores_0: 2 x_0_0 + x_1_0 <= 4");
    expect(lp).toContain("pages_0: 3 x_0_0 + 2 x_1_0 <= 10");
    expect(lp).toContain("vfs_0: x_0_0 <= 2");
    expect(lp).toMatch(/Binary\n x_0_0\n x_1_0\n x_1_1\nEnd$/);
  });

  it("per-core and aggregate formulations agree on generated cases", async () => {
    for (const c of placementCases(99, 4)) {
      const model = buildPlacementModel(c.facts, c.topology);
      model.vnfs = model.vnfs.slice(0, 8);
      const agg = await solvePlacement(model);
      const perCore = await solvePlacement(model, { formulation: "per-core" });
      expect(perCore.status).toBe("Optimal");
      expect(perCore.optimum).toBe(agg.optimum);
    }
  });
});

describe("bench model from host facts", () => {
  it("keeps CPU 0's core and one core per node on the seed host; 1G pages from node memory", () => {
    const [c] = placementCases(1, 1);
    const model = buildPlacementModel(c!.facts, c!.topology);
    expect(c!.shape.name).toBe(SEED_C240M5.name);
    expect(model.nodes.map((n) => n.usableCores)).toEqual([17, 17]);
    expect(model.nodes[0]!.cores.find((k) => k.housekeeping)!.threads).toEqual([0, 36]);
    expect(model.nodes.map((n) => n.pages)).toEqual([128, 128]);
    expect(model.pfs).toEqual([{ name: "eno2", node: 0, vfs: 16 }]);
    for (const v of model.vnfs) expect(v.nodes).toEqual(Object.keys(v.vfs).length ? [0] : [0, 1]);
  });

  it("SMT off: one thread per core; single node box: 2M pages and a PF local to every node", () => {
    const smt = buildHostFacts(SMT_OFF);
    const topo = placementCases(3, 3)[2]!;
    expect(topo.shape.name).toBe(SMT_OFF.name);
    const m = buildPlacementModel(smt, topo.topology);
    expect(m.nodes.map((n) => [n.threadsPerCore, n.usableCores])).toEqual([
      [1, 15],
      [1, 15],
    ]);
    const single = placementCases(3, 4)[3]!;
    expect(single.shape).toBe(SINGLE_NODE_SRIOV);
    const s = buildPlacementModel(single.facts, single.topology);
    expect(s.pageSizeKiB).toBe(2048);
    expect(s.nodes[0]!.pages).toBe(16384);
    expect(s.pfs[0]!.node).toBe(-1);
    for (const v of s.vnfs) expect(v.nodes).toEqual([0]);
  });
});

describe("generators", () => {
  it("are deterministic per seed and draw the mixes issue 7 asks for", () => {
    const a = JSON.stringify(placementCases(5, 8).map((c) => c.topology));
    expect(JSON.stringify(placementCases(5, 8).map((c) => c.topology))).toBe(a);
    expect(JSON.stringify(placementCases(6, 8).map((c) => c.topology))).not.toBe(a);
    const cases = placementCases(5, 8);
    expect(new Set(cases.map((c) => c.shape.name)).size).toBe(BENCH_SHAPES.length);
    for (const c of cases) {
      for (const v of c.topology.vnfs) {
        expect(VCPU_CHOICES).toContain(v.vcpus);
        expect(v.memoryKiB % (1024 * 1024)).toBe(0);
        expect(v.memoryKiB / 1024 / 1024).toBeGreaterThanOrEqual(4);
        expect(v.memoryKiB / 1024 / 1024).toBeLessThanOrEqual(16);
        expect(v.interfaces.length).toBeLessThanOrEqual(4);
        expect(v.threadPolicy).toBe("isolate");
      }
    }
  });

  it("scale fleet: hosts x VNFs with VF counts within each PF", () => {
    const fleet = scaleFleet(2, 30, 10);
    expect(fleet).toHaveLength(30);
    for (const c of fleet) {
      expect(c.topology.vnfs).toHaveLength(10);
      const m = buildPlacementModel(c.facts, c.topology);
      for (const pf of m.pfs) {
        const used = m.vnfs.reduce((a, v) => a + (v.vfs[pf.name] ?? 0), 0);
        expect(used).toBeLessThanOrEqual(pf.vfs);
      }
    }
  });

  it("orders VNFs by their dominant share of what the host can give them", () => {
    const model: PlacementModel = {
      pageSizeKiB: 1048576,
      nodes: [node(0, 10, 100)],
      pfs: [{ name: "eno2", node: 0, vfs: 4 }],
      vnfs: [
        vnf("vf-heavy", 1, 5, [0], { eno2: 3 }), // 3/4 of the VFs
        vnf("cpu-heavy", 5, 5, [0]), // 1/2 of the cores
        vnf("small", 1, 5, [0], { eno2: 1 }), // 1/4 of the VFs
        vnf("tiny", 1, 5, [0]), // 1/10 of the cores
      ],
    };
    expect(greedyOrder(model).map((i) => model.vnfs[i]!.name)).toEqual([
      "tiny",
      "small",
      "cpu-heavy",
      "vf-heavy",
    ]);
  });
});

describe("plan checker", () => {
  it("accepts nfvhost's plan and catches a vCPU core given to two VNFs", async () => {
    const planner = await loadPlanner();
    expect(planner.ok, planner.ok ? "" : planner.reason).toBe(true);
    if (!planner.ok) return;
    const c = placementCases(11, 1)[0]!;
    const topology = { ...c.topology, vnfs: c.topology.vnfs.filter((v) => v.vcpus <= 2).slice(0, 3) };
    expect(topology.vnfs.length).toBeGreaterThanOrEqual(2);
    const r = planner.plan(c.facts, topology);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const model = buildPlacementModel(c.facts, topology);
    expect(checkPlan(model, r.plan)).toEqual([]);
    const [first, second] = r.plan.vnfs;
    const broken = {
      ...r.plan,
      vnfs: [
        first!,
        { ...second!, node: first!.node, vcpuPins: [...first!.vcpuPins] },
        ...r.plan.vnfs.slice(2),
      ],
    };
    expect(checkPlan(model, broken).join("\n")).toMatch(/shares a core with/);
  });
});

describe("nfvhost one VNF at a time", () => {
  it("keeps earlier VNFs where they run and never beats the joint search", async () => {
    const planner = await loadPlanner();
    expect(planner.ok, planner.ok ? "" : planner.reason).toBe(true);
    if (!planner.ok) return;
    for (const c of placementCases(21, 4)) {
      const model = buildFullModel(c.facts, c.topology);
      const inc = nfvhostArrival(planner.plan, c, model);
      const joint = nfvhostPlacement(planner.plan, c, model);
      expect(inc.violations).toEqual([]);
      expect(joint.violations).toEqual([]);
      expect(inc.placed).toBeLessThanOrEqual(joint.placed);
    }
    // Re-planning a plan with its own VNFs as deployed keeps every pin, VF and MAC.
    const c = placementCases(21, 1)[0]!;
    const small = { ...c.topology, vnfs: c.topology.vnfs.filter((v) => v.vcpus <= 2).slice(0, 3) };
    const first = planner.plan(c.facts, small);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const again = planner.plan(c.facts, small, first.plan.vnfs.map(deployedFromPlan));
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    for (const v of again.plan.vnfs) {
      const before = first.plan.vnfs.find((x) => x.name === v.name)!;
      expect(v.existing).toBe(true);
      expect(v.vcpuPins).toEqual(before.vcpuPins);
      expect(deployedFromPlan(v).vfs).toEqual(deployedFromPlan(before).vfs);
      expect(v.interfaces.map((i) => i.mac)).toEqual(before.interfaces.map((i) => i.mac));
    }
  });
});

describe("Nova driver", () => {
  const driver = fileURLToPath(new URL("../bench/nova_driver.py", import.meta.url));

  it("places with Nova's rules: isolate + isolated emulator = k + 1 whole cores", async () => {
    expect(existsSync("/usr/bin/python3")).toBe(true);
    // Two nodes of 3 free cores; the PF (2 VFs) on node 0.
    const input = {
      cases: [
        {
          id: "t",
          pageSizeKiB: 1048576,
          nodes: [0, 1].map((n) => ({
            id: n,
            socket: n,
            pcpus: [1, 2, 3, 5, 6, 7].map((c) => c + 8 * n),
            siblings: [
              [1, 5],
              [2, 6],
              [3, 7],
            ].map((s) => s.map((c) => c + 8 * n)),
            memoryMiB: 16384,
            pages: 16,
          })),
          pfs: [{ name: "eno2", node: 0, vfs: 2 }],
          instances: [
            { name: "a", vcpus: 2, memoryMiB: 4096, vfs: { eno2: 1 } },
            { name: "b", vcpus: 2, memoryMiB: 4096, vfs: {} },
            { name: "c", vcpus: 1, memoryMiB: 4096, vfs: { eno2: 1 } },
            { name: "d", vcpus: 1, memoryMiB: 4096, vfs: {} },
          ],
        },
      ],
    };
    const r = await run("/usr/bin/python3", [driver], { input: JSON.stringify(input), timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      nova: string;
      cases: {
        placed: number;
        perPlacementMs: number[];
        placements: { name: string; node: number; pins: number[] }[];
      }[];
    };
    // a takes node 0 (2 vCPU cores + 1 emulator core); b takes node 1 the same way; c (needs node 0)
    // and d find no free core left.
    expect(out.cases[0]!.placements.map((p) => [p.name, p.node])).toEqual([
      ["a", 0],
      ["b", 1],
    ]);
    expect(out.cases[0]!.perPlacementMs).toHaveLength(4);
    expect(out.nova).toMatch(/^\d+\./);
  });

  it("gets the same hosts and requests as the MILP", () => {
    const c = placementCases(4, 1)[0]!;
    const model = buildFullModel(c.facts, c.topology);
    const n = novaCase(c, model, { emulator: "share", order: "arrival" });
    expect(n.nodes.map((x) => x.pcpus.length)).toEqual(
      model.nodes.map((x) => [...x.cores].reduce((a, [threads, k]) => a + threads * k, 0)),
    );
    expect(n.nodes[0]!.pcpus).not.toContain(0);
    expect(n.emulator).toBe("share");
    expect(n.instances.map((i) => i.name)).toEqual(c.topology.vnfs.map((v) => v.name));
    const small = novaCase(c, model, { emulator: "isolate", order: "smallest-first" });
    const sizes = small.instances.map((i) => i.vcpus);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
  });
});
