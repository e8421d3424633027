/**
 * scripts/check-real-hosts.ts compares discovery with lscpu's expected output. Its parser and
 * comparison on a small excerpt of lscpu's format (the dumps themselves stay out of the repository).
 */
import { describe, expect, it } from "vitest";
import { compare, parseLscpu } from "../../scripts/check-real-hosts.js";
import { SMT_OFF, buildHostFacts } from "../../src/facts/shapes.js";

// Two sockets of two cores, no SMT; node lists in lscpu's stride form.
const LSCPU = `CPU(s):              4
On-line CPU(s) list: 0-3
Thread(s) per core:  1
Core(s) per socket:  2
Socket(s):           2
NUMA node(s):        2
NUMA node0 CPU(s):   0-1
NUMA node1 CPU(s):   2-3

# The following is the parsable format, which can be fed to other
# programs. Each different item in every column has an unique ID
# starting usually from zero.
# CPU,Core,Socket,Node,,L1d
0,0,0,0,,0
1,1,0,0,,1
2,2,1,1,,2
3,3,1,1,,3

# The following is the parsable format, which can be fed to other
# programs. Each different item in every column has an unique ID
# starting usually from zero.
# CPU,Core,Socket,Node,,L1d
0,0,0,0,,0
1,1,0,0,,1
2,0,1,1,,2
3,1,1,1,,3
`;

describe("check-real-hosts", () => {
  const facts = buildHostFacts({ ...SMT_OFF, coresPerNode: 2, sparseCoreIds: false });

  it("reads lscpu's summary and both parsable sections", () => {
    const l = parseLscpu(LSCPU);
    expect(l.summary.get("NUMA node1 CPU(s)")).toBe("2-3");
    expect(l.logical).toHaveLength(4);
    expect(l.physical[2]).toMatchObject({ cpu: 2, core: "0", socket: "1", node: "1" });
  });

  it("matches every fact of a host that is what lscpu says", () => {
    const checks = compare(facts, parseLscpu(LSCPU));
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    // count, online, node count, two node lists, threads per core; socket, core, siblings, node per CPU
    expect(checks.length).toBe(6 + 4 * 4);
  });

  it("names a CPU discovery put on the wrong socket", () => {
    const wrong = structuredClone(facts);
    wrong.cpus[2]!.socket = 0;
    const bad = compare(wrong, parseLscpu(LSCPU)).filter((c) => !c.ok);
    expect(bad.map((c) => c.fact)).toContain("cpu2 socket mates");
    expect(bad.find((c) => c.fact === "cpu2 socket mates")).toMatchObject({ ours: "0-2", lscpu: "2-3" });
  });
});
