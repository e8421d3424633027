/**
 * Human output: golden files of the seed plan (reviewed; regenerate with UPDATE_GOLDEN=1), and the
 * same words with colour on or off.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectGolden as expectGoldenFile } from "../../test/support/golden.js";
import { AMD_EPYC_NPS4, SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { GiB, makeTopology, makeVnf, seedTopology } from "../../test/fixtures/plan/topology.js";
import { formatCpuMap, formatPlan, formatProblem } from "./format.js";
import { planDeployment } from "./planner.js";
import type { Plan } from "./types.js";

const GOLDEN = join(process.cwd(), "test", "golden", "plan");
const expectGolden = (file: string, actual: string) => expectGoldenFile(join(GOLDEN, file), actual);

function plan(facts = buildHostFacts(SEED_C240M5), topo = seedTopology()): Plan {
  const r = planDeployment(facts, topo);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("\n"));
  return r.plan;
}

const ESC = String.fromCharCode(27);
const stripAnsi = (s: string) =>
  s
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, "")))
    .join("");

describe("plan output for people", () => {
  it("seed plan matches the reviewed golden file", async () => {
    await expectGolden("seed-c240m5.txt", formatPlan(plan(), { color: false }));
  });

  it("mixed policies on an AMD NPS4 host match the reviewed golden file", async () => {
    const topo = makeTopology([
      makeVnf("iso", { vcpus: 2 }),
      makeVnf("pre", { vcpus: 3, threadPolicy: "prefer", node: 0 }),
      makeVnf("sh1", { vcpus: 1, threadPolicy: "share", node: 0 }),
      makeVnf("sh2", { vcpus: 1, threadPolicy: "share", node: 0, memoryKiB: GiB }),
    ]);
    await expectGolden(
      "amd-mixed.txt",
      formatCpuMap(plan(buildHostFacts(AMD_EPYC_NPS4), topo), { color: false }),
    );
  });

  it("reads the same with colour on, only escape codes are added", () => {
    const p = plan();
    const coloured = formatPlan(p, { color: true });
    expect(coloured).toContain("\u001b[");
    expect(stripAnsi(coloured)).toBe(formatPlan(p, { color: false }));
  });

  it("prints a problem with its location and fixes", () => {
    const text = formatProblem(
      {
        vnf: "r3",
        resource: "cpu",
        node: 0,
        need: 8,
        have: 1,
        message: "r3 needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left",
        fixes: ["reduce r3 vcpus to 1"],
      },
      "t.yaml:12",
      { color: false },
    );
    expect(text).toBe(
      "t.yaml:12: cannot fit: r3 needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left\n  fix: reduce r3 vcpus to 1",
    );
  });
});
