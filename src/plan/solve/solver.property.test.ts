/**
 * The placement solver against an exhaustive oracle: on small random problems (one or two hosts,
 * nodes with 1- or 2-thread cores, shared threads, pages, VFs per PF, VLAN budgets, pins,
 * priorities), every answer passes the capacity check, and its objective (priorities first, then
 * count, then file order) equals the best of every possible assignment.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAnswer, solvePlacement } from "./index.js";
import { objectiveWeights } from "./milp.js";
import type { PlacementProblem, SolverHost, SolverVnf, ThreadPolicy } from "./types.js";

const PAGE = 1048576;

const nodeGen = fc.record({
  threads: fc.constantFrom(1, 2),
  cores: fc.integer({ min: 0, max: 5 }),
  shared: fc.integer({ min: 0, max: 2 }),
  pages: fc.integer({ min: 0, max: 8 }),
});
const vnfGen = fc.record({
  vcpus: fc.integer({ min: 1, max: 6 }),
  policy: fc.constantFrom<ThreadPolicy>("isolate", "prefer", "require", "share"),
  pages: fc.integer({ min: 0, max: 4 }),
  vfs: fc.integer({ min: 0, max: 2 }),
  vlan: fc.integer({ min: 1, max: 3 }),
  pin: fc.option(fc.integer({ min: 0, max: 1 }), { freq: 4 }),
  host: fc.option(fc.integer({ min: 0, max: 1 }), { freq: 4 }),
  priority: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 2 }),
});
const problemGen = fc.record({
  hosts: fc.array(
    fc.record({
      nodes: fc.array(nodeGen, { minLength: 1, maxLength: 2 }),
      pfVfs: fc.integer({ min: 0, max: 4 }),
      pfNode: fc.option(fc.integer({ min: 0, max: 1 }), { freq: 3 }),
      vlanBudget: fc.option(fc.integer({ min: 1, max: 2 }), { freq: 2 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  vnfs: fc.array(vnfGen, { minLength: 1, maxLength: 6 }),
});

type ProblemDraw = typeof problemGen extends fc.Arbitrary<infer T> ? T : never;

function build(g: ProblemDraw): PlacementProblem {
  const hosts: SolverHost[] = g.hosts.map((h, hi) => ({
    id: `h${hi}`,
    nodes: h.nodes.map((n, ni) => ({
      id: ni,
      freeCores: Array.from({ length: n.cores }, () => n.threads),
      sharedThreadsFree: n.shared,
      pagesFree: { [String(PAGE)]: n.pages },
    })),
    pfs: [
      {
        name: "pf0",
        node: h.pfNode !== null && h.pfNode < h.nodes.length ? h.pfNode : null,
        vfsFree: h.pfVfs,
        vlanBudget: h.vlanBudget,
        vlansInUse: [],
      },
    ],
  }));
  const vnfs: SolverVnf[] = g.vnfs.map((v, i) => ({
    name: `v${i}`,
    vcpus: v.vcpus,
    threadPolicy: v.policy,
    pageSizeKiB: PAGE,
    pages: v.pages,
    vfs: v.vfs > 0 ? [{ pf: "pf0", count: v.vfs, vlans: [v.vlan] }] : [],
    ...(v.pin !== null ? { node: v.pin } : {}),
    ...(v.host !== null && v.host < hosts.length ? { hosts: [`h${v.host}`] } : {}),
    ...(v.priority !== null ? { priority: v.priority } : {}),
  }));
  return { hosts, vnfs };
}

/** Does a set of (vnf -> host/node) choices fit? Written from the rules, not from the solver. */
function fits(p: PlacementProblem, choice: ({ host: number; node: number } | null)[]): boolean {
  for (const [hi, h] of p.hosts.entries()) {
    for (const n of h.nodes) {
      const here = p.vnfs.filter((_, i) => choice[i]?.host === hi && choice[i]?.node === n.id);
      const t = n.freeCores[0] ?? 1;
      let cores = 0;
      let shareThreads = 0;
      for (const v of here) {
        if (v.threadPolicy === "share") shareThreads += v.vcpus;
        else if (v.threadPolicy === "isolate") cores += v.vcpus;
        else if (v.threadPolicy === "require" && t < 2) return false;
        else cores += Math.ceil(v.vcpus / t);
      }
      cores += Math.ceil(Math.max(0, shareThreads - n.sharedThreadsFree) / t);
      if (cores > n.freeCores.length) return false;
      if (here.reduce((a, v) => a + v.pages, 0) > (n.pagesFree[String(PAGE)] ?? 0)) return false;
    }
    for (const pf of h.pfs) {
      const users = p.vnfs.filter((v, i) => choice[i]?.host === hi && v.vfs.length > 0);
      if (users.some((v) => pf.node !== null && choice[p.vnfs.indexOf(v)]!.node !== pf.node)) return false;
      if (users.reduce((a, v) => a + v.vfs[0]!.count, 0) > pf.vfsFree) return false;
      const vlans = new Set(users.flatMap((v) => v.vfs[0]!.vlans));
      if (pf.vlanBudget !== null && vlans.size > pf.vlanBudget) return false;
    }
  }
  return p.vnfs.every((v, i) => {
    const c = choice[i];
    if (!c) return true;
    return (v.node === undefined || v.node === c.node) && (!v.hosts || v.hosts.includes(p.hosts[c.host]!.id));
  });
}

/** The best objective over every assignment (each VNF: left out, or any node of any host). */
function oracle(p: PlacementProblem): number {
  const { weights } = objectiveWeights(p.vnfs);
  const options: ({ host: number; node: number } | null)[] = [null];
  p.hosts.forEach((h, hi) => h.nodes.forEach((n) => options.push({ host: hi, node: n.id })));
  let best = 0;
  const choice: ({ host: number; node: number } | null)[] = [];
  const walk = (i: number, value: number): void => {
    if (i === p.vnfs.length) {
      if (value > best && fits(p, choice)) best = value;
      return;
    }
    for (const o of options) {
      choice[i] = o;
      walk(i + 1, value + (o ? weights[i]! : 0));
    }
    choice.length = i;
  };
  walk(0, 0);
  return best;
}

describe("placement solver", () => {
  it("equals an exhaustive oracle on small random problems, and every answer fits", () => {
    let leftOut = 0;
    fc.assert(
      fc.property(problemGen, fc.boolean(), (g, exactOnly) => {
        const p = build(g);
        const a = solvePlacement(p, { exactOnly });
        expect(checkAnswer(p, a.placements)).toEqual([]);
        const { weights } = objectiveWeights(p.vnfs);
        const placed = new Set(a.placements.map((x) => x.vnf));
        const value = p.vnfs.reduce((s, v, i) => s + (placed.has(v.name) ? weights[i]! : 0), 0);
        expect(a.proven).toBe(true);
        expect(value).toBe(oracle(p));
        if (a.unplaced.length > 0) leftOut++;
      }),
      { numRuns: 150, seed: 10 },
    );
    // The generator must exercise both outcomes.
    expect(leftOut).toBeGreaterThan(10);
  }, 120_000);

  it("stopped at once by its work limit, answers from the local search: sound, never above the optimum, the same every time", () => {
    let belowOptimum = 0;
    fc.assert(
      fc.property(problemGen, (g) => {
        const p = build(g);
        const a = solvePlacement(p, { nodeLimit: 0 });
        expect(checkAnswer(p, a.placements)).toEqual([]);
        const { weights } = objectiveWeights(p.vnfs);
        const placed = new Set(a.placements.map((x) => x.vnf));
        const value = p.vnfs.reduce((s, v, i) => s + (placed.has(v.name) ? weights[i]! : 0), 0);
        const best = oracle(p);
        expect(value).toBeLessThanOrEqual(best);
        if (a.proven) expect(value).toBe(best);
        else {
          expect(a.stoppedBy).toBe("work");
          expect(a.bound).toBeGreaterThanOrEqual(a.placements.length);
        }
        if (value < best) belowOptimum++;
        // A work limit, unlike a clock, gives the same answer on every run.
        const again = solvePlacement(p, { nodeLimit: 0 });
        expect(again.placements).toEqual(a.placements);
      }),
      { numRuns: 100, seed: 12 },
    );
    // The local search alone is close: below the optimum on few of these instances.
    expect(belowOptimum).toBeLessThan(10);
  }, 120_000);

  it("raising the priority of a VNF it places never leaves that VNF out", () => {
    fc.assert(
      fc.property(problemGen, fc.nat(), (g, pickIndex) => {
        const p = build(g);
        const a = solvePlacement(p);
        if (a.placements.length === 0) return;
        const chosen = a.placements[pickIndex % a.placements.length]!.vnf;
        const top = Math.max(0, ...p.vnfs.map((v) => v.priority ?? 0)) + 1;
        const raised = {
          ...p,
          vnfs: p.vnfs.map((v) => (v.name === chosen ? { ...v, priority: top } : v)),
        };
        const b = solvePlacement(raised);
        expect(b.placements.map((x) => x.vnf)).toContain(chosen);
        // ...and a VNF that fits alone, raised above all others, is always placed.
        const lone = p.vnfs.find((v) => solvePlacement({ ...p, vnfs: [v] }).placements.length === 1);
        if (!lone) return;
        const first = solvePlacement({
          ...p,
          vnfs: p.vnfs.map((v) => (v.name === lone.name ? { ...v, priority: top } : v)),
        });
        expect(first.placements.map((x) => x.vnf)).toContain(lone.name);
      }),
      { numRuns: 100, seed: 13 },
    );
  }, 120_000);

  it("keeps a higher priority over any number of lower ones, and file order on ties", () => {
    const host: SolverHost = {
      id: "h",
      nodes: [{ id: 0, freeCores: [2, 2, 2, 2], sharedThreadsFree: 0, pagesFree: { [String(PAGE)]: 10 } }],
      pfs: [],
    };
    const small = (name: string, priority?: number): SolverVnf => ({
      name,
      vcpus: 2,
      threadPolicy: "isolate",
      pageSizeKiB: PAGE,
      pages: 1,
      vfs: [],
      ...(priority !== undefined ? { priority } : {}),
    });
    const big: SolverVnf = { ...small("big", 5), vcpus: 4 };
    const a = solvePlacement({ hosts: [host], vnfs: [small("a"), small("b"), big] });
    expect(a.placements.map((x) => x.vnf)).toEqual(["big"]);
    expect(a.proven).toBe(true);
    // Without priorities: two fit, the first two in the file.
    const b = solvePlacement({ hosts: [host], vnfs: [small("a"), small("b"), small("c")] });
    expect(b.unplaced).toEqual(["c"]);
  });

  it("never reports a set that fits as a misfit: exact packings place every VNF", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 4,
        }),
        (perNode) => {
          // Each node holds exactly its own list of VNF sizes (isolate): a packing of all exists.
          const nodes = perNode.map((sizes, id) => ({
            id,
            freeCores: Array.from({ length: sizes.reduce((a, b) => a + b, 0) }, () => 2),
            sharedThreadsFree: 0,
            pagesFree: { [String(PAGE)]: sizes.length },
          }));
          const vnfs = perNode
            .flat()
            .map((vcpus, i) => ({
              name: `v${i}`,
              vcpus,
              threadPolicy: "isolate" as const,
              pageSizeKiB: PAGE,
              pages: 1,
              vfs: [],
            }))
            .reverse();
          const a = solvePlacement({ hosts: [{ id: "h", nodes, pfs: [] }], vnfs });
          expect(a.unplaced).toEqual([]);
        },
      ),
      { numRuns: 100, seed: 11 },
    );
  });
});
