import { describe, expect, it } from "vitest";
import { SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { parseTopology } from "../topology/load.js";
import { planDeployment } from "./planner.js";

const facts = buildHostFacts(SEED_C240M5);

function topology(pf: string, ifacePf: string) {
  return parseTopology(
    [
      "name: pci-pf",
      "host:",
      "  sriov:",
      `    - pf: ${pf}`,
      "      vfs: 4",
      "networks:",
      "  pool:",
      "    type: sriov-pool",
      `    pf: ${pf}`,
      "vnfs:",
      "  r1:",
      "    kind: csr1000v",
      "    image: /var/lib/libvirt/images/r1.qcow2",
      "    vcpus: 2",
      "    memory: 4GiB",
      "    interfaces:",
      "      - type: sriov",
      "        network: pool",
      "      - type: sriov",
      `        pf: ${ifacePf}`,
    ].join("\n"),
    "pci-pf.yaml",
  ).topology;
}

describe("PFs written as PCI addresses", () => {
  it("plan exactly like the same PF written by name", () => {
    const byName = planDeployment(facts, topology("eno2", "eno2"));
    const byPci = planDeployment(facts, topology("0000:3b:00.1", "3b:00.1"));
    expect(byName.ok).toBe(true);
    expect(byPci).toEqual(byName);
    if (!byPci.ok) return;
    expect(byPci.plan.vnfs[0]!.interfaces.map((i) => ("vf" in i ? i.vf.pci : null))).toEqual([
      "0000:3b:10.1",
      "0000:3b:10.3",
    ]);
  });

  it("report a PCI address the host does not have, never skip it", () => {
    const result = planDeployment(facts, topology("0000:d8:00.1", "0000:d8:00.1"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.message).join("\n")).toContain("0000:d8:00.1");
  });
});
