/**
 * Properties of fleet placement on random fleets of real host shapes: the inventory's host order
 * does not change how many VNFs are placed; running VNFs never change host (nor CPUs); anti-affinity
 * is never violated (nor affinity); every plan passes the independent checker; and the count is the
 * optimum an independent MILP (bench/fleet-milp.ts) proves.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ADJACENT_OFFLINE,
  AMD_EPYC_NPS4,
  SEED_C240M5,
  SMT_OFF,
  type HostShape,
} from "../../src/facts/shapes.js";
import { checkFleetPlan } from "../../src/fleet/check.js";
import { planFleet, searchInputs } from "../../src/fleet/plan.js";
import type { FleetTopology, HostInput } from "../../src/fleet/types.js";
import { fleetCase } from "../../bench/fleet.js";
import { solveFleet } from "../../bench/fleet-milp.js";
import { deployedFromPlan } from "../../src/plan/deployed.js";
import { fleetOf, hostInputs, type HostDef } from "./fixtures.js";

const SHAPES: HostShape[] = [SEED_C240M5, AMD_EPYC_NPS4, SMT_OFF, ADJACENT_OFFLINE];
const SITES = ["fra1", "ams1", "par1"];

const hostArb = fc.record({
  shape: fc.integer({ min: 0, max: SHAPES.length - 1 }),
  site: fc.integer({ min: 0, max: 2 }),
  rack: fc.integer({ min: 0, max: 3 }),
});
const vnfArb = fc.record({
  vcpus: fc.integer({ min: 1, max: 12 }),
  gib: fc.integer({ min: 1, max: 24 }),
  policy: fc.constantFrom("isolate", "prefer", "require"),
  pin: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 5 }),
  site: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 6 }),
  priority: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 4 }),
});
const fleetArb = fc.record({
  hosts: fc.array(hostArb, { minLength: 2, maxLength: 5 }),
  vnfs: fc.array(vnfArb, { minLength: 4, maxLength: 40 }),
  pairs: fc.array(fc.record({ a: fc.nat(), b: fc.nat(), key: fc.constantFrom("host", "site", "rack") }), {
    maxLength: 4,
  }),
  together: fc.array(fc.record({ a: fc.nat(), b: fc.nat() }), { maxLength: 2 }),
});
type FleetCase = fc.Arbitrary<unknown> extends never ? never : ReturnType<typeof fleetArb.generate>["value"];

function build(c: FleetCase): { defs: HostDef[]; fleet: Record<string, unknown> } {
  const defs: HostDef[] = c.hosts.map((h, i) => ({
    name: `h${i}`,
    shape: SHAPES[h.shape]!,
    labels: { site: SITES[h.site]!, rack: `r${h.rack}` },
  }));
  const vnfs: Record<string, unknown> = {};
  c.vnfs.forEach((v, i) => {
    vnfs[`v${String(i).padStart(2, "0")}`] = {
      kind: "generic",
      image: `/i/v${i}.qcow2`,
      vcpus: v.vcpus,
      memory: `${v.gib}GiB`,
      "thread-policy": v.policy,
      ...(v.pin !== null && v.pin < defs.length ? { host: `h${v.pin}` } : {}),
      ...(v.site !== null ? { hosts: { site: SITES[v.site] } } : {}),
      ...(v.priority !== null ? { priority: v.priority } : {}),
    };
  });
  const names = Object.keys(vnfs);
  const groups: Record<string, unknown> = {};
  const used = new Set<string>();
  c.pairs.forEach((p, i) => {
    const a = names[p.a % names.length]!;
    const b = names[p.b % names.length]!;
    if (a === b || used.has(a) || used.has(b)) return;
    used.add(a).add(b);
    groups[`pair-${i}`] = { vnfs: [a, b], "anti-affinity": p.key };
  });
  c.together.forEach((p, i) => {
    const a = names[p.a % names.length]!;
    const b = names[p.b % names.length]!;
    if (a === b || used.has(a) || used.has(b)) return;
    used.add(a).add(b);
    groups[`with-${i}`] = { vnfs: [a, b], affinity: "host" };
  });
  return { defs, fleet: { name: "prop", vnfs, ...(Object.keys(groups).length ? { groups } : {}) } };
}

const placed = (p: ReturnType<typeof planFleet>) => Object.keys(p.assignment).length;

/** Anti-affinity and affinity read straight from the assignment and the inventory's labels. */
function groupBreaks(
  plan: ReturnType<typeof planFleet>,
  fleet: FleetTopology,
  inputs: HostInput[],
): string[] {
  const labels = new Map(inputs.map((i) => [i.host.name, i.host.labels]));
  const out: string[] = [];
  for (const g of fleet.groups) {
    const at = g.vnfs.flatMap((n) => (plan.assignment[n] !== undefined ? [plan.assignment[n]] : []));
    if (g.affinity && new Set(at).size > 1) out.push(`${g.name} split over ${at.join(", ")}`);
    if (g.antiAffinity) {
      const key = g.antiAffinity;
      const values = at.map((h) => (key === "host" ? h : (labels.get(h)?.[key] ?? h)));
      if (new Set(values).size < values.length) out.push(`${g.name} shares ${key}: ${at.join(", ")}`);
    }
  }
  return out;
}

describe("fleet placement properties", () => {
  it("every plan passes the checker (anti-affinity, pins, selectors, per-host invariants); host order does not change the count", () => {
    fc.assert(
      fc.property(fleetArb, fc.integer({ min: 0, max: 1000 }), (c, seed) => {
        const { defs, fleet: raw } = build(c);
        const fleet = fleetOf(raw);
        const inputs = hostInputs(defs);
        const plan = planFleet(inputs, fleet, "inv");
        expect(checkFleetPlan(plan, fleet, inputs)).toEqual([]);
        expect(groupBreaks(plan, fleet, inputs)).toEqual([]);
        // The same inventory in another order.
        const shuffled = [...inputs]
          .map((x, i) => ({ x, k: (i * 7919 + seed) % 101 }))
          .sort((a, b) => a.k - b.k)
          .map((y) => y.x);
        const again = planFleet(shuffled, fleet, "inv");
        expect(placed(again)).toBe(placed(plan));
        expect(again.assignment).toEqual(plan.assignment);
      }),
      { numRuns: 40, seed: 1313 },
    );
  }, 240_000);

  it("running VNFs stay on their host and CPUs when more VNFs arrive", () => {
    fc.assert(
      fc.property(fleetArb, fc.array(vnfArb, { minLength: 1, maxLength: 12 }), (c, more) => {
        const { defs, fleet: raw } = build(c);
        const first = planFleet(hostInputs(defs), fleetOf(raw), "inv");
        // What the first plan placed now runs: each host's applied plan is its deployed list.
        const running = defs.map((d) => ({
          ...d,
          deployed: first.hosts.find((h) => h.host === d.name)?.plan.vnfs.map(deployedFromPlan) ?? [],
        }));
        const vnfs = { ...(raw.vnfs as Record<string, unknown>) };
        more.forEach((v, i) => {
          vnfs[`n${i}`] = {
            kind: "generic",
            image: `/i/n${i}.qcow2`,
            vcpus: v.vcpus,
            memory: `${v.gib}GiB`,
            "thread-policy": v.policy,
          };
        });
        const fleet = fleetOf({ ...raw, vnfs });
        const inputs = hostInputs(running);
        const second = planFleet(inputs, fleet, "inv");
        expect(checkFleetPlan(second, fleet, inputs)).toEqual([]);
        for (const [vnf, host] of Object.entries(first.assignment)) expect(second.assignment[vnf]).toBe(host);
        expect(groupBreaks(second, fleet, inputs)).toEqual([]);
      }),
      { numRuns: 25, seed: 1314 },
    );
  }, 240_000);

  it("large fleets (> 64 hosts, the first-fit path) keep every rule and place every VNF that fits", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const { inputs, fleet } = fleetCase(seed, 80, 400, { rules: true, maxVcpus: 4, maxGiB: 4 });
        const plan = planFleet(inputs, fleet, "inv");
        expect(checkFleetPlan(plan, fleet, inputs)).toEqual([]);
        expect(groupBreaks(plan, fleet, inputs)).toEqual([]);
        expect(placed(plan)).toBe(400);
        const shuffled = [...inputs].reverse();
        expect(planFleet(shuffled, fleet, "inv").assignment).toEqual(plan.assignment);
      }),
      { numRuns: 4, seed: 1316 },
    );
  }, 240_000);

  it("places as many VNFs as the independent MILP proves possible (priority 0 fleets)", async () => {
    await fc.assert(
      fc.asyncProperty(fleetArb, async (c) => {
        const { defs, fleet: raw } = build({ ...c, vnfs: c.vnfs.map((v) => ({ ...v, priority: null })) });
        const fleet = fleetOf(raw);
        const inputs = hostInputs(defs);
        const plan = planFleet(inputs, fleet, "inv");
        const milp = await solveFleet(...searchInputs(inputs, fleet), 30);
        fc.pre(milp.status === "Optimal" && !plan.warnings.some((w) => /time limit/.test(w)));
        expect(placed(plan)).toBe(milp.optimum);
      }),
      { numRuns: 25, seed: 1315 },
    );
  }, 400_000);
});
