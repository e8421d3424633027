/**
 * The CPU map's legend reads without colour (issue 15, section 5): in plain text it says which
 * CPUs are housekeeping, VNF vCPUs, emulator threads, isolated free and offline.
 */
import { describe, expect, it } from "vitest";
import { ADJACENT_OFFLINE, SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { makeTopology, makeVnf, seedTopology } from "../../test/fixtures/plan/topology.js";
import { formatCpuMap } from "./format.js";
import { planDeployment } from "./planner.js";

function cpuMap(
  facts: ReturnType<typeof buildHostFacts>,
  topo: ReturnType<typeof seedTopology>,
  color: boolean,
) {
  const r = planDeployment(facts, topo);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("\n"));
  return formatCpuMap(r.plan, { color });
}

describe("CPU map legend without colour", () => {
  it("names the CPUs of every role on the seed host", () => {
    const text = cpuMap(buildHostFacts(SEED_C240M5), seedTopology(), false);
    expect(text).not.toContain("\u001b[");
    const legend = text.slice(text.indexOf("legend:"));
    expect(legend).toBe(
      [
        "legend:",
        "  host           housekeeping (the host's own work): CPU 0,9-36,45-71",
        "  VNF vCPUn      vCPU n of that VNF, pinned here: CPU 1-8",
        "  VNF emulator   that VNF's emulator threads: CPU 37-44",
        "  isolated free  isolated, no VNF on it yet: none",
        "  offline        offline CPU: none",
      ].join("\n"),
    );
  });

  it("lists offline CPUs and isolated CPUs no VNF uses", () => {
    const facts = buildHostFacts({ ...ADJACENT_OFFLINE, isolatedCpus: [2, 3, 4, 5, 6, 7] });
    const topo = makeTopology(
      [makeVnf("r1", { vcpus: 2 })],
      {},
      {
        cpus: { isolate: [2, 3, 4, 5, 6, 7], nohzFull: false, housekeepingCoresPerNode: 1 },
      },
    );
    const legend = cpuMap(facts, topo, false).split("legend:")[1]!;
    expect(legend).toMatch(/offline CPU: CPU 46-47$/m);
    expect(legend).toMatch(/isolated, no VNF on it yet: CPU \d/);
  });

  it("colour adds escape codes around the role names only", () => {
    const plain = cpuMap(buildHostFacts(SEED_C240M5), seedTopology(), false);
    const coloured = cpuMap(buildHostFacts(SEED_C240M5), seedTopology(), true);
    expect(coloured).toContain("\u001b[");
    const esc = String.fromCharCode(27);
    expect(coloured.replace(new RegExp(`${esc}\\[[0-9;]*m`, "g"), "")).toBe(plain);
  });
});
