import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { parseTopology } from "../topology/load.js";
import { formatPlacementSummary } from "./format.js";
import { planDeployment } from "./planner.js";
import type { PlacementSummary } from "./types.js";

const facts = buildHostFacts(SEED_C240M5);

/** A topology file as a user writes it: three generic VNFs, the last one (or two) too many. */
function file(
  vnfs: { name: string; vcpus: number; memory: string; node?: number }[],
  count?: number,
): string {
  const lines = [
    "name: leftout",
    "host:",
    "  hugepages:",
    "    size: 1G",
    ...(count !== undefined ? [`    count: ${count}`] : []),
    "vnfs:",
  ];
  for (const v of vnfs) {
    lines.push(
      `  ${v.name}:`,
      "    kind: generic",
      `    image: /var/lib/libvirt/images/${v.name}.qcow2`,
      `    vcpus: ${v.vcpus}`,
      `    memory: ${v.memory}`,
      ...(v.node !== undefined ? [`    node: ${v.node}`] : []),
    );
  }
  return `${lines.join("\n")}\n`;
}

function summaryOf(text: string): PlacementSummary {
  const r = planDeployment(facts, parseTopology(text, "leftout.yaml").topology);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error("expected a misfit");
  return r.placement!;
}

/** The change applied to the file's own text, loaded through the validator, planned again. */
function applied(text: string, s: PlacementSummary): ReturnType<typeof planDeployment> {
  const doc = parseDocument(text);
  doc.setIn(s.smallestChange!.path, s.smallestChange!.value);
  return planDeployment(facts, parseTopology(String(doc), "leftout.yaml").topology);
}

describe("VNFs left out", () => {
  it("names the binding resource of each one and how many the others are", () => {
    // 17 free cores per node (seed host): two 16-core VNFs fit, the third does not.
    const s = summaryOf(
      file([
        { name: "a", vcpus: 16, memory: "2GiB" },
        { name: "b", vcpus: 16, memory: "2GiB" },
        { name: "c", vcpus: 16, memory: "2GiB" },
      ]),
    );
    expect(s.unplaced).toEqual(["c"]);
    expect(s.leftOut).toHaveLength(1);
    expect(s.leftOut![0]).toMatchObject({ vnf: "c", resource: "cpu", node: 0 });
    expect(s.leftOut![0]!.text).toBe(
      "leaving out c (needs 16 cores for 16 vCPUs (thread policy isolate), 2 x 1G pages; binding: 1 free core on node 0) lets the other 2 fit",
    );
    expect(formatPlacementSummary(s)).toContain("leaving out c (needs 16 cores");
  });

  it("gives the smallest change of the file's own keys for a lone misfit, and it makes every VNF fit", () => {
    const text = file([
      { name: "a", vcpus: 16, memory: "2GiB" },
      { name: "b", vcpus: 16, memory: "2GiB" },
      { name: "c", vcpus: 6, memory: "2GiB" },
    ]);
    const s = summaryOf(text);
    expect(s.unplaced).toEqual(["c"]);
    // One free core per node: 6 vCPUs prefer take 3 cores, so only fewer vCPUs help.
    expect(s.smallestChange).toEqual({
      path: ["vnfs", "c", "vcpus"],
      value: 1,
      from: 6,
      text: "smallest change that makes every VNF fit: set vnfs.c.vcpus to 1 (now 6)",
    });
    const again = applied(text, s);
    expect(again.ok).toBe(true);
  });

  it("prefers a change that costs the VNF nothing: more boot pages, or another node for a pin", () => {
    // 16 pages per node reserved (count 24 adds none); a (15 pages) and b (15) fill node 0 and 1,
    // c (4) is left out; the nodes' memory holds more, so a higher count fits it at no cost to it.
    const pages = file(
      [
        { name: "a", vcpus: 2, memory: "15GiB" },
        { name: "b", vcpus: 2, memory: "15GiB" },
        { name: "c", vcpus: 2, memory: "4GiB" },
      ],
      24,
    );
    const s = summaryOf(pages);
    expect(s.unplaced).toEqual(["c"]);
    expect(s.leftOut![0]!.resource).toBe("hugepages");
    expect(s.smallestChange).toMatchObject({ path: ["host", "hugepages", "count"], value: 38, from: 24 });
    expect(applied(pages, s).ok).toBe(true);

    // c pinned to node 0, which two 8-core VNFs fill; node 1 is empty.
    const pinned = file([
      { name: "a", vcpus: 8, memory: "2GiB", node: 0 },
      { name: "b", vcpus: 8, memory: "2GiB", node: 0 },
      { name: "c", vcpus: 4, memory: "2GiB", node: 0 },
    ]);
    const p = summaryOf(pinned);
    expect(p.unplaced).toEqual(["c"]);
    expect(p.smallestChange).toMatchObject({ path: ["vnfs", "c", "node"], value: 1 });
    expect(applied(pinned, p).ok).toBe(true);
  });

  it("names no change when none alone makes every VNF fit", () => {
    // c needs more cores and more pages than node 0 or 1 has left: no single key fixes both.
    const s = summaryOf(
      file(
        [
          { name: "a", vcpus: 16, memory: "10GiB" },
          { name: "b", vcpus: 16, memory: "10GiB" },
          { name: "c", vcpus: 4, memory: "8GiB" },
        ],
        24,
      ),
    );
    expect(s.unplaced).toEqual(["c"]);
    expect(s.leftOut![0]!.binding).toContain("free core");
    expect(s.leftOut![0]!.binding).toContain("pages left");
    expect(s.smallestChange).toBeUndefined();
  });
});

describe("the placement summary line", () => {
  const base: PlacementSummary = {
    placed: 41,
    of: 45,
    proven: false,
    bound: 43,
    method: "milp",
    unplaced: ["a", "b", "c", "d"],
  };
  it("says which limit stopped an unproven search, and the proven bound", () => {
    expect(formatPlacementSummary({ ...base, stoppedBy: "work" })).toBe(
      "placement: placed 41 of 45, at most 43 possible (search stopped at its work limit)",
    );
    expect(formatPlacementSummary({ ...base, stoppedBy: "time" })).toBe(
      "placement: placed 41 of 45, at most 43 possible (search stopped at the time limit; raise --time-limit)",
    );
  });
});
