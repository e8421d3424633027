/**
 * Host shapes this machine does not have (AMD NPS4, SMT off, adjacent siblings with offline CPUs,
 * one node without 1G pages, VFs on vfio-pci) written as sysfs trees from synthetic facts: discovery
 * must read each one back exactly, with real symlinks and with the link-as-file convention.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { discoverHost } from "../../src/facts/discover.js";
import {
  ADJACENT_OFFLINE,
  AMD_EPYC_NPS4,
  HOST_SHAPES,
  SEED_C240M5,
  buildHostFacts,
  type HostShape,
} from "../../src/facts/shapes.js";
import type { HostFacts } from "../../src/facts/types.js";
import { writeSnapshotTree } from "../../src/facts/write-tree.js";

const tmp = scratchDir("nfvhost-shapes-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function topology(f: HostFacts) {
  return {
    cpus: f.cpus,
    nodes: f.nodes,
    nics: f.nics,
    isolatedCpus: f.kernel.isolatedCpus,
    hugepages: f.kernel.hugepages,
    defaultHugepageKiB: f.kernel.defaultHugepageKiB,
    cpu: f.cpu,
  };
}

/** Intel Sub-NUMA Clustering: two nodes per socket, split sibling numbering, one thread offline. */
const INTEL_SNC2_HALF_OFFLINE: HostShape = {
  ...SEED_C240M5,
  name: "intel-snc2-half-offline",
  nodesPerSocket: 2,
  coresPerNode: 9,
  offlineCpus: [41],
  isolatedCpus: [2, 3, 38, 39],
  nics: [
    {
      name: "ens801f0",
      pci: "0000:b1:00.0",
      node: 3,
      driver: "ice",
      device: "0x159b",
      totalVfs: 128,
      numVfs: 3,
    },
  ],
};

describe.each([...HOST_SHAPES, INTEL_SNC2_HALF_OFFLINE].map((s) => [s.name, s] as const))(
  "shape %s",
  (name, shape) => {
    const expected = buildHostFacts(shape);
    for (const links of ["symlink", "file"] as const) {
      it(`reads back equal on the topology fields (links as ${links})`, async () => {
        const dir = path.join(tmp, `${name}-${links}`);
        writeSnapshotTree(expected, dir, { links, offlineTopology: "keep" });
        const facts = await discoverHost({ root: dir });
        expect(topology(facts)).toEqual(topology(expected));
        expect(facts.kernel.iommu).toMatchObject({ enabled: true, passthrough: true });
        expect(facts.kernel.cmdline).toBe(expected.kernel.cmdline);
        expect(facts.warnings).toEqual([]);
      });
    }
  },
);

describe("shape details that matter to the planner", () => {
  it("AMD NPS4: 8 nodes on 2 sockets, adjacent siblings, VFs on vfio-pci without netdevs", async () => {
    const dir = path.join(tmp, "amd-details");
    writeSnapshotTree(buildHostFacts(AMD_EPYC_NPS4), dir);
    const f = await discoverHost({ root: dir });
    expect(f.nodes).toHaveLength(8);
    expect(new Set(f.cpus.map((c) => c.socket))).toEqual(new Set([0, 1]));
    expect(f.cpus[0]!.siblings).toEqual([0, 1]);
    expect(f.nodes[0]!.distances).toEqual([10, 12, 12, 12, 32, 32, 32, 32]);
    const pf = f.nics.find((n) => n.name === "ens1f1")!;
    expect(pf.sriov!.vfs.every((v) => v.name === null && v.mac === null && v.driver === "vfio-pci")).toBe(
      true,
    );
    expect(f.cpu).toMatchObject({ vendor: "AuthenticAMD", virtualization: "svm", smt: true });
  });

  it("SNC2 with one thread of a core offline: its sibling stands alone, SMT still on", async () => {
    const dir = path.join(tmp, "snc2-details");
    writeSnapshotTree(buildHostFacts(INTEL_SNC2_HALF_OFFLINE), dir);
    const f = await discoverHost({ root: dir });
    expect(f.nodes.map((n) => n.distances[0])).toEqual([10, 12, 32, 32]);
    expect(f.cpus[5]!.siblings).toEqual([5]);
    expect(f.cpus[41]).toMatchObject({ online: false, node: 0, socket: 0, core: -1 });
    expect(f.cpu.smt).toBe(true);
    expect(f.nics.filter((n) => n.physfn === "0000:b1:00.0")).toHaveLength(3);
  });

  it("offline CPUs without a topology directory (as current kernels do) keep node, socket and online=false", async () => {
    const dir = path.join(tmp, "offline-drop");
    const expected = buildHostFacts(ADJACENT_OFFLINE);
    writeSnapshotTree(expected, dir, { offlineTopology: "drop" });
    const f = await discoverHost({ root: dir });
    const off = f.cpus.filter((c) => !c.online);
    expect(off.map((c) => c.id)).toEqual([46, 47]);
    // Socket is inferred from the node; the core id is gone with the topology directory.
    expect(off.map((c) => [c.socket, c.node, c.core, c.siblings])).toEqual([
      [1, 1, -1, [46]],
      [1, 1, -1, [47]],
    ]);
    // Node 1 still lists them although its cpulist (x86) no longer does.
    expect(f.nodes[1]!.cpus).toContain(47);
    expect(f.cpus.filter((c) => c.online)).toEqual(expected.cpus.filter((c) => c.online));
    expect(f.warnings).toEqual([]);
  });
});
