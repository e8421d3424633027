/**
 * Every host shape with topologies of 1 to 20 VNFs. One-vCPU VNFs make the expected outcome easy to
 * compute independently: isolate/prefer/require take a whole core each, share VNFs pack onto the
 * sibling threads of cores of their own, and each node keeps one core for the host.
 */
import { describe, expect, it } from "vitest";
import { HOST_SHAPES, buildHostFacts } from "../facts/shapes.js";
import type { ThreadPolicy, Topology } from "../topology/types.js";
import { GiB, makeTopology, makeVnf } from "../../test/fixtures/plan/topology.js";
import { checkPlanInvariants } from "./invariants.js";
import { planDeployment } from "./planner.js";

const POLICIES: ThreadPolicy[] = ["isolate", "share", "prefer", "share", "require"];

for (const shape of HOST_SHAPES) {
  describe(`host shape ${shape.name}`, () => {
    const facts = buildHostFacts(shape);
    const smt = shape.threadsPerCore > 1;
    const pf = shape.nics.find((n) => (n.numVfs ?? 0) > 0);
    const usable = facts.nodes
      .map(
        (n) =>
          new Set(facts.cpus.filter((c) => c.node === n.id && c.online).map((c) => c.siblings.join(",")))
            .size - 1,
      )
      .reduce((a, b) => a + b, 0);

    for (let count = 1; count <= 20; count++) {
      it(`${count} VNF(s)`, () => {
        const policies = Array.from({ length: count }, (_, i) => {
          const p = POLICIES[i % POLICIES.length]!;
          return p === "require" && !smt ? "isolate" : p;
        });
        const topo: Topology = makeTopology(
          policies.map((threadPolicy, i) =>
            makeVnf(`vnf${i}`, {
              vcpus: 1,
              memoryKiB: GiB,
              threadPolicy,
              interfaces: i === 0 && pf ? [{ type: "sriov", pf: pf.name }] : [],
            }),
          ),
          { name: `${shape.name}-${count}` },
          { hugepages: { sizeKiB: shape.pages1G ? GiB : 2048 } },
        );
        const shares = policies.filter((p) => p === "share").length;
        const coresNeeded = count - shares + Math.ceil(shares / shape.threadsPerCore);
        const r = planDeployment(facts, topo);
        expect(r.ok).toBe(coresNeeded <= usable);
        if (r.ok) {
          expect(checkPlanInvariants(facts, topo, r.plan)).toEqual([]);
          if (pf)
            expect(r.plan.vnfs[0]!.node).toBe(
              facts.nics.find((n) => n.name === pf.name)!.node < 0 ? 0 : pf.node,
            );
          const isolated = new Set(r.plan.host.cpu.isolated);
          for (const v of r.plan.vnfs) for (const c of v.vcpuPins) expect(isolated.has(c)).toBe(true);
        } else {
          const own = r.problems.filter((p) => p.resource !== "capacity");
          expect(own.every((p) => p.vnf !== null && p.resource === "cpu")).toBe(true);
          // Two or more misfits: one summary whose core/CPU need is what they ask for together.
          const summary = r.problems.filter((p) => p.resource === "capacity");
          expect(summary).toHaveLength(own.length >= 2 ? 1 : 0);
          if (summary[0]) {
            const misfits = new Set(own.map((p) => p.vnf));
            const wanted = topo.vnfs.filter((v) => misfits.has(v.name));
            const cpuNeed = summary[0].misfits!.shortfalls.filter(
              (sf) => sf.resource === "cpu" && sf.nodes.length === facts.nodes.length,
            );
            expect(cpuNeed.reduce((t, sf) => t + sf.need, 0)).toBe(wanted.length);
          }
        }
      });
    }
  });
}
