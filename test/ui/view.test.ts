import { describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import { AMD_EPYC_NPS4, buildHostFacts } from "../../src/facts/shapes.js";
import { planDeployment } from "../../src/plan/planner.js";
import type { Plan } from "../../src/plan/types.js";
import { loadTopology } from "../../src/topology/load.js";
import { buildHostView, type ThreadView } from "../../src/ui/view.js";

async function seedView() {
  const facts = await discoverHost({ root: "examples/hosts/seed-c240m5" });
  const parsed = await loadTopology("examples/topologies/seed-csr1kv.yaml");
  const result = planDeployment(facts, parsed.topology);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return { facts, plan: result.plan as Plan };
}

function threads(view: ReturnType<typeof buildHostView>): Map<number, ThreadView> {
  const out = new Map<number, ThreadView>();
  for (const s of view.sockets)
    for (const n of s.nodes) for (const c of n.cores) for (const t of c.threads) out.set(t.cpu, t);
  return out;
}

describe("dashboard view model", () => {
  it("draws the seed deployment on the reference host: roles, siblings side by side, the VF held", async () => {
    const { facts, plan } = await seedView();
    const view = buildHostView(facts, plan, [{ name: "csr1kv-1", state: "running" }]);
    const byCpu = threads(view);
    expect(byCpu.size).toBe(72);
    for (let i = 0; i < 8; i++) {
      expect(byCpu.get(1 + i)).toMatchObject({ role: "vcpu", vnf: "csr1kv-1", vcpu: i });
      expect(byCpu.get(37 + i)).toMatchObject({ role: "emulator", vnf: "csr1kv-1" });
    }
    expect(byCpu.get(0)?.role).toBe("housekeeping");
    expect(byCpu.get(9)?.role).toBe("housekeeping");
    // Each core holds its two hyper-threads, e.g. core of CPU 1 is {1, 37}.
    const node0 = view.sockets[0]!.nodes[0]!;
    expect(node0.cores.find((c) => c.threads[0]!.cpu === 1)!.threads.map((t) => t.cpu)).toEqual([1, 37]);
    expect(view.sockets.map((s) => s.nodes.map((n) => n.id))).toEqual([[0], [1]]);
    const eno2 = node0.nics.find((n) => n.name === "eno2")!;
    expect(eno2.vfs.map((v) => [v.pci, v.heldBy])).toEqual([
      ["0000:3b:10.1", "csr1kv-1"],
      ["0000:3b:10.3", null],
      ["0000:3b:10.5", null],
      ["0000:3b:10.7", null],
    ]);
    expect(node0.hugepages.find((p) => p.sizeKiB === 1048576)).toMatchObject({
      total: 16,
      free: 16,
      planned: 8,
    });
    expect(view.vnfs[0]).toMatchObject({ name: "csr1kv-1", state: "running", node: 0, emulator: "37-44" });
    // The reference host already runs the seed's kernel line, pages and VFs: only the VM is new.
    expect(buildHostView(facts, plan, []).changes).toEqual(["csr1kv-1: define and start on node 0"]);
  });

  it("without a plan shows the host's own isolcpus and lists domains it does not know", async () => {
    const facts = await discoverHost({ root: "examples/hosts/seed-c240m5" });
    const view = buildHostView(facts, null, [{ name: "someone-elses-vm", state: "shut off" }]);
    const byCpu = threads(view);
    expect(byCpu.get(1)?.role).toBe("isolated-free");
    expect(byCpu.get(44)?.role).toBe("isolated-free");
    expect(byCpu.get(45)?.role).toBe("housekeeping");
    expect(view.vnfs).toEqual([
      expect.objectContaining({ name: "someone-elses-vm", kind: null, node: null }),
    ]);
  });

  it("says what applying a plan would change: reboot arguments, pages, VFs, VMs", async () => {
    const { facts, plan } = await seedView();
    const bare = {
      ...facts,
      kernel: { ...facts.kernel, cmdline: "BOOT_IMAGE=/vmlinuz ro quiet" },
      nodes: facts.nodes.map((n) => ({
        ...n,
        hugepages: { ...n.hugepages, "1048576": { total: 0, free: 0 } },
      })),
      nics: facts.nics.map((n) => (n.sriov ? { ...n, sriov: { ...n.sriov, numVfs: 0 } } : n)),
    };
    const replanned = planDeployment(
      bare,
      (await loadTopology("examples/topologies/seed-csr1kv.yaml")).topology,
    );
    if (!replanned.ok) throw new Error(JSON.stringify(replanned.problems));
    const changes = buildHostView(bare, replanned.plan, [{ name: "csr1kv-1", state: "shut off" }]).changes;
    expect(changes).toContain("kernel argument isolcpus: (absent) → 1-8,37-44 (needs a reboot)");
    expect(changes).toContain("node 0: reserve 8 x 1G hugepages (now 0)");
    expect(changes.some((c) => c.startsWith("node 1:"))).toBe(false);
    expect(changes).toContain("eno2: create 4 VFs (now 0)");
    expect(changes).toContain("csr1kv-1: start (now shut off)");
    expect(plan.vnfs).toHaveLength(1);
  });

  it("groups a 4-node-per-socket AMD host by socket then node, adjacent siblings together", () => {
    const facts = buildHostFacts(AMD_EPYC_NPS4);
    const view = buildHostView(facts, null);
    expect(view.sockets.map((s) => s.nodes.map((n) => n.id))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(view.sockets[0]!.nodes[0]!.cores[0]!.threads.map((t) => t.cpu)).toEqual([0, 1]);
    const nics = view.sockets[0]!.nodes[2]!.nics.map((n) => n.name);
    expect(nics).toEqual(["ens1f0", "ens1f1"]);
  });
});
