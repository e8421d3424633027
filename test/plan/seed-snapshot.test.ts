/**
 * The seed guide's tuning, end to end: the seed topology file, loaded by the real parser, planned on
 * the seed server's snapshot read by the real discovery, through the CLI as a user runs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import { checkPlanInvariants } from "../../src/plan/invariants.js";
import { planDeployment } from "../../src/plan/planner.js";
import type { Plan, PlanProblem } from "../../src/plan/types.js";
import { loadTopology } from "../../src/topology/load.js";
import { runCli as runCliCapture } from "../support/cli.js";
import { expectGolden } from "../support/golden.js";

const ROOT = "examples/hosts/seed-c240m5";
const SEED = "examples/topologies/seed-csr1kv.yaml";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCliCapture(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe("--deployed", () => {
  const dir = mkdtempSync(join(tmpdir(), "nfvplan-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps a running VM where it runs", async () => {
    const file = join(dir, "deployed.json");
    writeFileSync(
      file,
      JSON.stringify([
        {
          name: "csr1kv-1",
          node: 0,
          vcpuPins: [9, 10, 11, 12, 13, 14, 15, 16],
          emulatorCpus: [45, 46, 47, 48, 49, 50, 51, 52],
          memoryKiB: 8388608,
          pageSizeKiB: 1048576,
          vfs: ["0000:3b:10.3"],
          macs: ["52:54:00:36:95:f0", "52:54:00:2d:87:99"],
        },
      ]),
    );
    const { code, out } = await runCli(["plan", SEED, "--root", ROOT, "--deployed", file, "--json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out) as Plan;
    expect(plan.vnfs[0]).toMatchObject({ existing: true, vcpuPins: [9, 10, 11, 12, 13, 14, 15, 16] });
    const sr = plan.vnfs[0]!.interfaces[1]!;
    expect(sr.type === "sriov-pool" ? sr.vf.pci : null).toBe("0000:3b:10.3");
    expect(plan.host.cpu.isolated).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 45, 46, 47, 48, 49, 50, 51, 52]);
  });

  it("refuses a file that is not a list of running VMs, naming the option", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ name: "x" }));
    const { code, err } = await runCli(["plan", SEED, "--root", ROOT, "--deployed", file]);
    expect(code).toBe(2);
    expect(err).toContain(
      `--deployed: ${JSON.stringify(file)}; expected a JSON array of {name, node, vcpuPins`,
    );
  });
});

describe("seed topology on the seed server snapshot", () => {
  it("yields the seed's tuning exactly", async () => {
    const parsed = await loadTopology(SEED);
    const facts = await discoverHost({ root: ROOT });
    const r = planDeployment(facts, parsed.topology);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.plan.vnfs[0]!;
    expect(v.vcpuPins).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(v.emulatorCpus).toEqual([37, 38, 39, 40, 41, 42, 43, 44]);
    expect(v.memory).toEqual({ KiB: 8388608, pageSizeKiB: 1048576, pages: 8, node: 0, mode: "strict" });
    expect(r.plan.host.kernelArgs.line).toBe(
      "hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44",
    );
    expect(r.plan.host.kernelArgs.needsReboot).toBe(false);
    const sr = v.interfaces[1]!;
    expect(sr.type === "sriov-pool" ? sr.vf.pci : null).toBe("0000:3b:10.1");
    expect(r.plan.host.management?.mac).toBe("70:7d:b9:59:5b:ae");
    expect(checkPlanInvariants(facts, parsed.topology, r.plan)).toEqual([]);
  });

  it("predicts VF addresses of VFs not created yet from sriov_offset/sriov_stride", async () => {
    const parsed = await loadTopology(SEED);
    const facts = await discoverHost({ root: ROOT });
    const topo = structuredClone(parsed.topology);
    topo.host.sriov.push({ pf: "eno1", vfs: 2 });
    topo.vnfs[0]!.interfaces.push({ type: "sriov", pf: "eno1" });
    const r = planDeployment(facts, topo);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.plan.host.sriov.find((p) => p.pf === "eno1")!.vfs.map((v) => v.pci)).toEqual([
      "0000:3b:10.0",
      "0000:3b:10.2",
    ]);
    const vf = r.plan.vnfs[0]!.interfaces[2]!;
    expect(vf.type === "sriov-hostdev" ? vf.vf.pci : null).toBe("0000:3b:10.0");
  });

  it("prints the same plan as JSON through the CLI", async () => {
    const { code, out } = await runCli(["plan", SEED, "--root", ROOT, "--json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out) as Plan;
    expect(plan.vnfs[0]!.vcpuPins).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(plan.host.kernelArgs.line).toContain("isolcpus=1-8,37-44");
    const again = await runCli(["plan", SEED, "--root", ROOT, "--json"]);
    expect(again.out).toBe(out);
  });

  it("--json output equals the reviewed golden file (regenerate with UPDATE_GOLDEN=1)", async () => {
    const { out } = await runCli(["plan", SEED, "--root", ROOT, "--json"]);
    await expectGolden("test/golden/plan/seed-csr1kv.plan.json", out);
  });

  it("prints tables and a CPU map for people", async () => {
    const { code, out } = await runCli(["plan", SEED, "--root", ROOT]);
    expect(code).toBe(0);
    expect(out).toContain("0-7->1-8");
    expect(out).toContain("VF 0000:3b:10.1 of eno2 #0 via eno2_sriov_pool, MAC 52:54:00:2d:87:99");
    expect(out).toMatch(/│\s+1 csr1kv-1 vCPU0\s+│\s+37 csr1kv-1 emulator\s+│/);
  });
});

describe("infeasible topology files", () => {
  const cases: [string, string][] = [
    [
      "three-routers",
      [
        "test/fixtures/plan/three-routers.yaml:37: cannot fit: r3 needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left",
        "  fix: reduce r3 vcpus to 1",
        "1 of 3 VNFs does not fit this host (1 problem).",
        "placement: at most 2 of the 3 new VNFs fit together (proven optimal)",
        "  leaving out r3 (needs 8 cores for 8 vCPUs (thread policy isolate), 4 x 1G pages, 1 VF of eno2; binding: 1 free core on node 0) lets the other 2 fit",
        "  smallest change that makes every VNF fit: set vnfs.r3.vcpus to 1 (now 8)",
        "",
      ].join("\n"),
    ],
    [
      "short-pages",
      [
        "test/fixtures/plan/short-pages.yaml:24: cannot fit: big-2 needs 12 x 1G hugepages on node 0, 4 are left of 16 reserved",
        "  fix: reserve 8 more 1G pages on node 0: echo 24 > /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages",
        "  fix: raise host.hugepages.count to 48",
        "  fix: reduce big-2 memory to 4GiB",
        "1 of 2 VNFs does not fit this host (1 problem).",
        "placement: at most 1 of the 2 new VNFs fit together (proven optimal)",
        "  leaving out big-2 (needs 4 cores for 4 vCPUs (thread policy isolate), 12 x 1G pages, 1 VF of eno2; binding: 4 of 16 1G pages left on node 0) lets the other 1 fit",
        "  smallest change that makes every VNF fit: set host.hugepages.count to 48 (now 32)",
        "",
      ].join("\n"),
    ],
    [
      "wrong-node",
      [
        "test/fixtures/plan/wrong-node.yaml:13: cannot fit: edge is set to node 1 but its PF eno2 is on node 0",
        "  fix: set node: 0, or remove node to follow the PF",
        "test/fixtures/plan/wrong-node.yaml:26: cannot fit: core interfaces[0] MAC 70:7d:b9:59:5b:ae is already used by host NIC eno1",
        "  fix: give core interfaces[0] another MAC, or omit mac to get a generated one",
        "2 of 2 VNFs do not fit this host (2 problems).",
        "",
      ].join("\n"),
    ],
    [
      // 40 routers of 8 vCPUs / 8 GiB, 4 fit: one summary with the totals, then the per-VNF
      // problems, identical ones collapsed after the first three.
      "many-misfits",
      [
        "test/fixtures/plan/many-misfits.yaml:8: cannot fit: 36 of 40 VNFs do not fit this host: r4, r5, r6, r7, r8, r9, r10, r11 and 28 more",
        "  short: whole cores for vCPUs on nodes 0-1 (thread policy isolate): they need 288, 2 of 34 are free, 286 short",
        "  short: 1G hugepages on nodes 0-1: they need 288, 0 of 32 reserved are free, 288 short",
        "  fix: this host is too small for them: it has 34 cores for VNFs in all, at least 286 cores short; run some on another host or give them fewer vCPUs",
        "  fix: this host is too small for them: its memory holds at most 218 more 1G pages, they need 288, at least 70 short; run some on another host or give them less memory",
        "  fix: this host holds at most 4 VNFs like these (8 vCPUs, 8GiB, thread policy isolate) whatever hugepages it reserves (cores limit it); the other 36 need another host",
        ...[4, 5, 6].flatMap((i) => {
          const line = 44 + (i - 4) * 8;
          return [
            `test/fixtures/plan/many-misfits.yaml:${line}: cannot fit: r${i} needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left (no node fits it; node 0 comes closest)`,
            `  fix: for r${i} alone: reduce r${i} vcpus to 1`,
            ...(i === 6
              ? [
                  "... and 33 more VNFs with the same cpu problem as r6: r7, r8, r9, r10, r11, r12, r13, r14 and 25 more",
                ]
              : []),
            `test/fixtures/plan/many-misfits.yaml:${line + 1}: cannot fit: r${i} needs 8 x 1G hugepages on node 0, 0 are left of 16 reserved (no node fits it; node 0 comes closest)`,
            `  fix: for r${i} alone: reserve 8 more 1G pages on node 0`,
            ...(i === 6
              ? [
                  "... and 33 more VNFs with the same hugepages problem as r6: r7, r8, r9, r10, r11, r12, r13, r14 and 25 more",
                ]
              : []),
          ];
        }),
        "36 of 40 VNFs do not fit this host (72 problems).",
        "placement: at most 4 of the 40 new VNFs fit together (proven optimal)",
        "  leaving out these 36 lets the other 4 fit:",
        ...[4, 5, 6].map(
          (i) =>
            `    r${i} (needs 8 cores for 8 vCPUs (thread policy isolate), 8 x 1G pages; binding: 1 free core on node 0 and 0 of 16 1G pages left on node 0)`,
        ),
        "    ... and 33 more: r7, r8, r9, r10, r11, r12, r13, r14 and 25 more",
        "",
      ].join("\n"),
    ],
  ];
  for (const [name, expected] of cases) {
    it(`${name}.yaml exits 1 with every problem at its file:line`, async () => {
      const { code, out, err } = await runCli(["plan", `test/fixtures/plan/${name}.yaml`, "--root", ROOT]);
      expect(code).toBe(1);
      expect(out).toBe("");
      expect(err).toBe(expected);
    });
  }

  it("--json keeps every problem of many misfits, the summary first", async () => {
    const { code, out } = await runCli([
      "plan",
      "test/fixtures/plan/many-misfits.yaml",
      "--root",
      ROOT,
      "--json",
    ]);
    expect(code).toBe(1);
    const body = JSON.parse(out) as { ok: boolean; problems: (PlanProblem & { location: string })[] };
    expect(body.problems).toHaveLength(73);
    const [summary, ...own] = body.problems;
    expect(summary!.resource).toBe("capacity");
    expect(summary!.location).toBe("test/fixtures/plan/many-misfits.yaml:8");
    expect(summary!.misfits!.vnfs).toEqual(Array.from({ length: 36 }, (_, i) => `r${i + 4}`));
    expect(own.map((p) => p.location)).toEqual(
      Array.from({ length: 36 }, (_, i) => [44 + i * 8, 45 + i * 8]).flatMap((lines) =>
        lines.map((l) => `test/fixtures/plan/many-misfits.yaml:${l}`),
      ),
    );
  });

  it("--json lists the problems with their locations", async () => {
    const { code, out } = await runCli([
      "plan",
      "test/fixtures/plan/wrong-node.yaml",
      "--root",
      ROOT,
      "--json",
    ]);
    expect(code).toBe(1);
    const body = JSON.parse(out) as {
      ok: boolean;
      problems: { vnf: string; resource: string; location: string }[];
    };
    expect(body.ok).toBe(false);
    expect(body.problems.map((p) => [p.vnf, p.resource, p.location])).toEqual([
      ["edge", "node", "test/fixtures/plan/wrong-node.yaml:13"],
      ["core", "mac", "test/fixtures/plan/wrong-node.yaml:26"],
    ]);
  });
});
