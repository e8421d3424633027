import { describe, expect, it } from "vitest";
import { SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { makeTopology, makeVnf } from "../../test/fixtures/plan/topology.js";
import { deployedFromPlan } from "./deployed.js";
import { planDeployment } from "./planner.js";
import { repackOpinion } from "./repack.js";

const facts = buildHostFacts(SEED_C240M5);

describe("plan --repack", () => {
  it("says which waiting VNF fits if a running one moves, and which would restart", () => {
    // 17 free cores per node. a and b run on different nodes, 9 cores left on each: c (17) waits.
    const first = planDeployment(
      facts,
      makeTopology([makeVnf("a", { vcpus: 8, node: 0 }), makeVnf("b", { vcpus: 8, node: 1 })]),
    );
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const deployed = first.plan.vnfs.map(deployedFromPlan);
    const topo = makeTopology([
      makeVnf("a", { vcpus: 8 }),
      makeVnf("b", { vcpus: 8 }),
      makeVnf("c", { vcpus: 17 }),
    ]);
    // Plain plan never moves them: c does not fit.
    const plain = planDeployment(facts, topo, deployed);
    expect(plain.ok).toBe(false);
    const o = repackOpinion(facts, topo, deployed);
    expect(o).toMatchObject({ fitsNow: 2, fitsRepacked: 3, of: 3, newlyFitting: ["c"], proven: true });
    // One of a and b moves next to the other; the one that stays keeps its CPUs.
    expect(o.restart).toHaveLength(1);
  });

  it("gains nothing when nothing more fits", () => {
    const first = planDeployment(facts, makeTopology([makeVnf("a", { vcpus: 4 })]));
    if (!first.ok) throw new Error("seed host holds a 4-vCPU VNF");
    const o = repackOpinion(
      facts,
      makeTopology([makeVnf("a", { vcpus: 4 })]),
      first.plan.vnfs.map(deployedFromPlan),
    );
    expect(o).toMatchObject({ fitsNow: 1, fitsRepacked: 1, newlyFitting: [] });
  });
});
