/**
 * Generated cases over every host shape: whatever the topology, a plan obeys the invariants, is
 * deterministic, never moves running VMs, and is found whenever a packing exists.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HostShape } from "../facts/shapes.js";
import { HOST_SHAPES, buildHostFacts } from "../facts/shapes.js";
import type { HostFacts } from "../facts/types.js";
import type { InterfaceSpec, ThreadPolicy, Topology, VnfSpec } from "../topology/types.js";
import { GiB, makeTopology, makeVnf } from "../../test/fixtures/plan/topology.js";
import { checkPlanInvariants } from "./invariants.js";
import { planDeployment } from "./planner.js";
import type { DeployedVnf, Plan } from "./types.js";
import { deployedFromPlan } from "./deployed.js";

interface VnfGen {
  vcpus: number;
  gib: number;
  policy: ThreadPolicy;
  sriovPf: number | null;
  node: number | null;
  givenMac: boolean;
}

const vnfGen = fc.record({
  vcpus: fc.integer({ min: 1, max: 8 }),
  gib: fc.integer({ min: 1, max: 8 }),
  policy: fc.constantFrom<ThreadPolicy>("isolate", "isolate", "prefer", "require", "share"),
  sriovPf: fc.option(fc.nat({ max: 5 }), { freq: 3 }),
  node: fc.option(fc.nat({ max: 7 }), { freq: 6 }),
  givenMac: fc.boolean(),
});

const caseGen = fc.record({
  shape: fc.constantFrom(...HOST_SHAPES),
  vnfs: fc.array(vnfGen, { minLength: 1, maxLength: 20 }),
});

/**
 * Generation stays random (new cases every run); a failure prints its seed and path, and
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run src/plan/planner.property.test.ts` replays it.
 */
const replay: { seed?: number; path?: string } = process.env.FC_SEED
  ? { seed: Number(process.env.FC_SEED), ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}) }
  : {};

function nodeCount(shape: HostShape): number {
  return shape.sockets * shape.nodesPerSocket;
}

function sriovPfs(shape: HostShape): string[] {
  return shape.nics.filter((n) => n.totalVfs !== undefined).map((n) => n.name);
}

function topologyFor(shape: HostShape, gens: VnfGen[], prefix = "v"): Topology {
  const pfs = sriovPfs(shape);
  const sizeKiB = shape.pages1G ? GiB : 2048;
  const vnfs: VnfSpec[] = gens.map((g, i) => {
    const interfaces: InterfaceSpec[] = [
      {
        type: "network",
        network: "default",
        ...(g.givenMac
          ? { mac: `52:54:00:aa:${prefix.charCodeAt(0).toString(16)}:${i.toString(16).padStart(2, "0")}` }
          : {}),
      },
    ];
    if (g.sriovPf !== null && pfs.length > 0)
      interfaces.push({ type: "sriov", network: `pool-${pfs[g.sriovPf % pfs.length]}` });
    return makeVnf(`${prefix}${i}`, {
      vcpus: g.vcpus,
      memoryKiB: g.gib * GiB,
      threadPolicy: g.policy,
      interfaces,
      ...(g.node !== null ? { node: g.node % nodeCount(shape) } : {}),
    });
  });
  return makeTopology(
    vnfs,
    {
      name: `prop-${shape.name}`,
      networks: pfs.map((pf) => ({ name: `pool-${pf}`, type: "sriov-pool" as const, pf })),
    },
    {
      hugepages: { sizeKiB },
      sriov: shape.nics
        .filter((n) => n.totalVfs !== undefined)
        .map((n) => ({ pf: n.name, vfs: Math.min(n.totalVfs!, 8) })),
    },
  );
}

function checkResult(facts: HostFacts, topology: Topology, deployed: DeployedVnf[] = []): void {
  const r = planDeployment(facts, topology, deployed);
  if (r.ok) {
    expect(checkPlanInvariants(facts, topology, r.plan, deployed)).toEqual([]);
    expect(r.plan.vnfs.map((v) => v.name)).toEqual(topology.vnfs.map((v) => v.name));
  } else {
    expect(r.problems.length).toBeGreaterThan(0);
    const names = new Set(topology.vnfs.map((v) => v.name));
    for (const p of r.problems) {
      expect(p.message.length).toBeGreaterThan(0);
      if (p.vnf !== null) expect(names.has(p.vnf)).toBe(true);
    }
  }
}

/** Plans `topo` in auto mode, then with the auto isolcpus written out: both must pin alike. */
function expectExplicitLikeAuto(facts: HostFacts, topo: Topology): Plan {
  const auto = planDeployment(facts, topo);
  if (!auto.ok) throw new Error(`auto plan failed: ${auto.problems.map((p) => p.message).join("; ")}`);
  const explicit = structuredClone(topo);
  explicit.host.cpus.isolate = [...auto.plan.host.cpu.isolated];
  const r = planDeployment(facts, explicit);
  expect(r.ok).toBe(true);
  if (!r.ok) return auto.plan;
  expect(r.plan.host.cpu.source).toBe("explicit");
  expect(r.plan.host.cpu.isolated).toEqual(auto.plan.host.cpu.isolated);
  expect(r.plan.vnfs.map((v) => [v.name, v.node, v.vcpuPins])).toEqual(
    auto.plan.vnfs.map((v) => [v.name, v.node, v.vcpuPins]),
  );
  expect(checkPlanInvariants(facts, explicit, r.plan)).toEqual([]);
  return auto.plan;
}

describe("planner properties", () => {
  it("every plan obeys the invariants; every failure names real VNFs", () => {
    fc.assert(
      fc.property(caseGen, ({ shape, vnfs }) => {
        checkResult(buildHostFacts(shape), topologyFor(shape, vnfs));
      }),
      { numRuns: 300, ...replay },
    );
  });

  it("is deterministic: the same input gives byte-identical JSON", () => {
    fc.assert(
      fc.property(caseGen, ({ shape, vnfs }) => {
        const facts = buildHostFacts(shape);
        const a = JSON.stringify(planDeployment(facts, topologyFor(shape, vnfs)));
        const b = JSON.stringify(planDeployment(structuredClone(facts), topologyFor(shape, vnfs)));
        expect(a).toBe(b);
      }),
      { numRuns: 150, ...replay },
    );
  });

  it("whether everything fits does not depend on the order of the file", () => {
    fc.assert(
      fc.property(caseGen, fc.integer(), ({ shape, vnfs }, seed) => {
        const facts = buildHostFacts(shape);
        const topo = topologyFor(shape, vnfs);
        const shuffled = { ...topo, vnfs: shuffle(topo.vnfs, seed) };
        expect(planDeployment(facts, shuffled).ok).toBe(planDeployment(facts, topo).ok);
      }),
      { numRuns: 150, ...replay },
    );
  });

  it("never moves deployed VMs and places new VNFs around them", () => {
    fc.assert(
      fc.property(caseGen, fc.array(vnfGen, { minLength: 1, maxLength: 6 }), ({ shape, vnfs }, more) => {
        const facts = buildHostFacts(shape);
        const first = topologyFor(shape, vnfs);
        const r1 = planDeployment(facts, first);
        fc.pre(r1.ok);
        if (!r1.ok) return;
        const deployed = r1.plan.vnfs.map(deployedFromPlan);
        const grown = { ...first, vnfs: [...first.vnfs, ...topologyFor(shape, more, "n").vnfs] };
        const r2 = planDeployment(facts, grown, deployed);
        if (r2.ok) {
          for (const d of deployed) {
            const v = r2.plan.vnfs.find((p) => p.name === d.name)!;
            expect(v).toMatchObject({
              existing: true,
              node: d.node,
              vcpuPins: d.vcpuPins,
              memory: { node: d.node },
            });
            // The emulator may only be re-pinned live away from CPUs the new VNFs take, with a warning.
            if (v.emulatorCpus.join() !== d.emulatorCpus.join()) {
              expect(r2.plan.warnings.some((w) => w.startsWith(`${d.name} keeps its vCPUs and memory`))).toBe(
                true,
              );
            }
            expect(v.interfaces.map((i) => i.mac)).toEqual(d.macs);
          }
          expect(checkPlanInvariants(facts, grown, r2.plan, deployed)).toEqual([]);
        } else {
          // Only the new VNFs can be the ones that do not fit.
          for (const p of r2.problems) if (p.vnf !== null) expect(p.vnf.startsWith("n")).toBe(true);
        }
      }),
      { numRuns: 150, ...replay },
    );
  });

  it("an explicit isolcpus equal to the auto one is accepted and yields the same pinning", () => {
    fc.assert(
      fc.property(caseGen, ({ shape, vnfs }) => {
        const facts = buildHostFacts(shape);
        const topo = topologyFor(shape, vnfs);
        const auto = planDeployment(facts, topo);
        fc.pre(auto.ok && auto.plan.host.cpu.isolated.length > 0);
        expectExplicitLikeAuto(facts, topo);
      }),
      { numRuns: 150, ...replay },
    );
  });

  // Seed 1045985228 of the property above: node 0 takes all but one 2-vCPU VNF. Auto mode sends
  // the last of the three alike VNFs (v2) to node 1; the explicit list, which leaves node 1 a
  // single core, made best fit send the first one (v0) there instead.
  it("an explicit isolcpus equal to the auto one keeps alike VNFs on their nodes (seed-c240m5 case)", () => {
    const shape = HOST_SHAPES.find((s) => s.name === "seed-c240m5")!;
    const iso = (vcpus: number, gib: number, policy: ThreadPolicy = "isolate"): VnfGen => ({
      vcpus,
      gib,
      policy,
      sriovPf: null,
      node: null,
      givenMac: false,
    });
    const facts = buildHostFacts(shape);
    const topo = topologyFor(shape, [
      iso(2, 1),
      iso(2, 1),
      iso(2, 1),
      iso(1, 5),
      iso(7, 1),
      iso(7, 1, "prefer"),
    ]);
    const auto = expectExplicitLikeAuto(facts, topo);
    expect(auto.vnfs.map((v) => [v.name, v.node, v.vcpuPins])).toEqual([
      ["v0", 0, [1, 2]],
      ["v1", 0, [3, 4]],
      ["v2", 1, [19, 20]],
      ["v3", 0, [5]],
      ["v4", 0, [6, 7, 8, 9, 10, 11, 12]],
      ["v5", 0, [13, 49, 14, 50, 15, 51, 16]],
    ]);
  });

  // Seed 1946768779 (a 3,000-run stress of the property): adjacent sibling numbering, an offline
  // thread, two VNFs pinned to node 1.
  it("an explicit isolcpus equal to the auto one keeps the placement (adjacent-offline case)", () => {
    const shape = HOST_SHAPES.find((s) => s.name === "adjacent-offline")!;
    const iso = (vcpus: number, gib: number, node: number | null = null): VnfGen => ({
      vcpus,
      gib,
      policy: "isolate",
      sriovPf: null,
      node,
      givenMac: false,
    });
    const facts = buildHostFacts(shape);
    const topo = topologyFor(shape, [iso(4, 1), iso(1, 1), iso(3, 4), iso(2, 1, 7), iso(2, 1, 3)]);
    const auto = expectExplicitLikeAuto(facts, topo);
    expect(auto.vnfs.map((v) => [v.name, v.node, v.vcpuPins])).toEqual([
      ["v0", 0, [2, 4, 6, 8]],
      ["v1", 1, [26]],
      ["v2", 1, [28, 30, 32]],
      ["v3", 1, [34, 36]],
      ["v4", 1, [38, 40]],
    ]);
  });

  it("finds a packing whenever one exists (isolate VNFs against an exhaustive oracle)", () => {
    const small = fc.record({
      shape: fc.constantFrom(...HOST_SHAPES),
      // Few distinct sizes, so identical VNFs (which the search treats as interchangeable) are common.
      vnfs: fc.array(
        fc.oneof(
          fc.record({ vcpus: fc.integer({ min: 1, max: 9 }), gib: fc.integer({ min: 1, max: 12 }) }),
          fc.record({ vcpus: fc.constantFrom(2, 3, 4, 7), gib: fc.constantFrom(1, 4) }),
        ),
        { minLength: 1, maxLength: 7 },
      ),
    });
    fc.assert(
      fc.property(small, ({ shape, vnfs }) => {
        const facts = buildHostFacts(shape);
        const gens = vnfs.map((v) => ({
          ...v,
          policy: "isolate" as const,
          sriovPf: null,
          node: null,
          givenMac: false,
        }));
        const topo = topologyFor(shape, gens);
        topo.host.hugepages.count = 16 * nodeCount(shape) * (shape.pages1G ? 1 : 512);
        const exists = packingExists(facts, topo);
        expect(planDeployment(facts, topo).ok).toBe(exists);
      }),
      { numRuns: 400, ...replay },
    );
  });
});

/** Exhaustive: every assignment of VNFs to nodes, checked against whole cores and pages per node. */
function packingExists(facts: HostFacts, topo: Topology): boolean {
  const size = topo.host.hugepages.sizeKiB;
  const nodes = facts.nodes.map((n, i) => {
    const cores = new Set(
      facts.cpus.filter((c) => c.node === n.id && c.online).map((c) => c.siblings.join(",")),
    );
    const share =
      Math.floor(topo.host.hugepages.count! / facts.nodes.length) +
      (i < topo.host.hugepages.count! % facts.nodes.length ? 1 : 0);
    const pages = Math.min(
      Math.max(share, n.hugepages[String(size)]?.total ?? 0),
      Math.floor(n.memoryKiB / size),
    );
    return { cores: cores.size - 1, pages };
  });
  const vnfs = topo.vnfs.map((v) => ({ cores: v.vcpus, pages: Math.ceil(v.memoryKiB / size) }));
  const go = (i: number): boolean => {
    if (i === vnfs.length) return true;
    for (const n of nodes) {
      if (n.cores >= vnfs[i]!.cores && n.pages >= vnfs[i]!.pages) {
        n.cores -= vnfs[i]!.cores;
        n.pages -= vnfs[i]!.pages;
        const ok = go(i + 1);
        n.cores += vnfs[i]!.cores;
        n.pages += vnfs[i]!.pages;
        if (ok) return true;
      }
    }
    return false;
  };
  return go(0);
}

function shuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
