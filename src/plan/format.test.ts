/**
 * Human output: golden files of the seed plan (reviewed; regenerate with UPDATE_GOLDEN=1), and the
 * same words with colour on or off.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectGolden as expectGoldenFile } from "../../test/support/golden.js";
import { AMD_EPYC_NPS4, SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { GiB, makeTopology, makeVnf, seedTopology } from "../../test/fixtures/plan/topology.js";
import { formatCpuMap, formatPlan, formatProblem, formatProblems, problemCountLine } from "./format.js";
import { planDeployment } from "./planner.js";
import type { Plan, PlanProblem } from "./types.js";

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

  const cores = (n: string): PlanProblem => ({
    vnf: n,
    resource: "cpu",
    node: 0,
    need: 8,
    have: 1,
    message: `${n} needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left`,
    fixes: [`for ${n} alone: reduce ${n} vcpus to 1`],
  });
  const names = (k: number) => Array.from({ length: k }, (_, i) => `r${i}`);
  const where = (p: PlanProblem) => `t.yaml:${p.vnf}`;

  it("prints five VNFs with the same problem in full", () => {
    const lines = formatProblems(names(5).map(cores), where, { color: false });
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe(
      "t.yaml:r4: cannot fit: r4 needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left\n  fix: for r4 alone: reduce r4 vcpus to 1",
    );
  });

  it("collapses more than five VNFs with the same problem after the first three", () => {
    const lines = formatProblems(names(20).map(cores), where, { color: false });
    expect(lines).toEqual([
      ...names(3).map((n) => formatProblem(cores(n), where(cores(n)), { color: false })),
      "... and 17 more VNFs with the same cpu problem as r2: r3, r4, r5, r6, r7, r8, r9, r10 and 9 more",
    ]);
  });

  it("keeps problems of another shape, and the summary, apart from the collapsed ones", () => {
    const other = {
      ...cores("big"),
      need: 12,
      message: "big needs 12 free cores on node 0 for 12 vCPUs (thread policy isolate), 1 is left",
    };
    const summary: PlanProblem = {
      vnf: null,
      resource: "capacity",
      node: null,
      need: 7,
      have: 0,
      message: "7 of 7 VNFs do not fit this host: r0, r1, r2, r3, r4, r5, big",
      fixes: ["this host is too small for them"],
      path: ["vnfs"],
      misfits: {
        vnfs: [...names(6), "big"],
        of: 7,
        shortfalls: [
          {
            resource: "cpu",
            unit: "cores",
            nodes: [0],
            threadPolicies: ["isolate"],
            need: 60,
            free: 1,
            total: 17,
            short: 59,
          },
          {
            resource: "hugepages",
            unit: "pages",
            nodes: [0],
            sizeKiB: GiB,
            need: 7,
            free: 9,
            total: 16,
            short: 0,
          },
        ],
      },
    };
    const lines = formatProblems([summary, ...names(6).map(cores), other], () => null, { color: false });
    expect(lines).toEqual([
      [
        "cannot fit: 7 of 7 VNFs do not fit this host: r0, r1, r2, r3, r4, r5, big",
        // Resources that are not short stay in --json only.
        "  short: whole cores for vCPUs on node 0 (thread policy isolate): they need 60, 1 of 17 is free, 59 short",
        "  fix: this host is too small for them",
      ].join("\n"),
      ...names(3).map((n) => formatProblem(cores(n), null, { color: false })),
      "... and 3 more VNFs with the same cpu problem as r2: r3, r4, r5",
      formatProblem(other, null, { color: false }),
    ]);
    expect(problemCountLine([summary, ...names(6).map(cores), other], 9)).toBe(
      "7 of 9 VNFs do not fit this host (7 problems)",
    );
  });

  it("counts VNFs and problems in the last line", () => {
    expect(problemCountLine([cores("r0")], 3)).toBe("1 of 3 VNFs does not fit this host (1 problem)");
    expect(problemCountLine([cores("r0"), { ...cores("r0"), resource: "hugepages" }], 1)).toBe(
      "1 of 1 VNF does not fit this host (2 problems)",
    );
    expect(problemCountLine([{ ...cores("x"), vnf: null }], 0)).toBe(
      "the topology does not fit this host (1 problem)",
    );
  });
});
