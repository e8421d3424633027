/**
 * Sysfs as real kernels write it (issue 15, section 1): each layout below is a tree written the way
 * that kernel writes it (src/facts/write-tree.ts KernelLayout), with the facts discovery must give.
 * The layouts were found in util-linux's lscpu test dumps (scripts/check-real-hosts.ts checks
 * discovery against those dumps themselves; they stay out of the repository).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { discoverHost } from "../../src/facts/discover.js";
import {
  AMD_EPYC_NPS4,
  AMD_OPTERON_6328,
  SEED_C240M5,
  SMT_OFF,
  buildHostFacts,
  type HostShape,
} from "../../src/facts/shapes.js";
import { parseCpuMask } from "../../src/facts/topology.js";
import type { HostFacts } from "../../src/facts/types.js";
import { type KernelLayout, formatCpuMask, writeSnapshotTree } from "../../src/facts/write-tree.js";
import { planDeployment } from "../../src/plan/planner.js";
import { GiB, makeTopology, makeVnf } from "../fixtures/plan/topology.js";

const tmp = scratchDir("nfvhost-kernels-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
async function written(
  shape: HostShape,
  kernel: KernelLayout,
): Promise<{ expected: HostFacts; facts: HostFacts; dir: string }> {
  const expected = buildHostFacts(shape);
  const dir = path.join(tmp, `${shape.name}-${n++}`);
  writeSnapshotTree(expected, dir, { kernel });
  return { expected, facts: await discoverHost({ root: dir }), dir };
}

const garbage = (f: HostFacts) => f.warnings.filter((w) => w.kind === "garbage");
const topo = (f: HostFacts) => ({ cpus: f.cpus, nodes: f.nodes });
const coresPerSocket = (f: HostFacts, socket: number) =>
  new Set(f.cpus.filter((c) => c.socket === socket).map((c) => c.core)).size;

describe("hex CPU masks", () => {
  it("reads 32-bit words, most significant first, and writes them back", () => {
    expect(parseCpuMask("0000,22222222,22222222")).toEqual(Array.from({ length: 16 }, (_, i) => 1 + 4 * i));
    expect(parseCpuMask("00000000,0000003f")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parseCpuMask("0040")).toEqual([6]);
    expect(parseCpuMask("banana")).toBeNull();
    expect(formatCpuMask([0, 37, 63], 2)).toBe("80000020,00000001");
  });
});

describe("NUMA membership without nodeN/cpulist and without cpuN/nodeM links (older kernels)", () => {
  it("nodeN/cpumap (hex mask) alone places every CPU in its node", async () => {
    const { expected, facts } = await written(SEED_C240M5, { nodes: "cpumap" });
    expect(topo(facts)).toEqual(topo(expected));
    // Before: every CPU landed in node 0.
    expect(facts.cpus.find((c) => c.id === 18)!.node).toBe(1);
    expect(facts.nodes.map((nd) => nd.cpus.length)).toEqual([36, 36]);
    expect(garbage(facts)).toEqual([]);
  });

  it("nodeN/cpuM links alone place every CPU in its node", async () => {
    const { expected, facts } = await written(AMD_EPYC_NPS4, { nodes: "cpu-links" });
    expect(topo(facts)).toEqual(topo(expected));
    expect(facts.cpus.find((c) => c.id === 127)!.node).toBe(7);
    expect(facts.nodes).toHaveLength(8);
  });
});

describe("SMT siblings only as the hex mask thread_siblings (2.6-era kernels)", () => {
  it("keeps the siblings", async () => {
    const { expected, facts } = await written(SEED_C240M5, { siblings: "mask" });
    expect(topo(facts)).toEqual(topo(expected));
    expect(facts.cpus.find((c) => c.id === 1)!.siblings).toEqual([1, 37]);
    expect(facts.cpu.smt).toBe(true);
    expect(facts.warnings.filter((w) => w.path.includes("/topology/"))).toEqual([]);
  });
});

describe("physical_package_id that does not tell packages apart", () => {
  it("-1 (POWER, s390x, sparc64, ia64): sockets from the package masks", async () => {
    const { expected, facts } = await written(SEED_C240M5, { packageId: "-1" });
    expect(topo(facts)).toEqual(topo(expected));
    expect(new Set(facts.cpus.map((c) => c.socket))).toEqual(new Set([0, 1]));
    expect(coresPerSocket(facts, 0)).toBe(18);
  });

  it("0 on every CPU while core_siblings says two packages: the masks win", async () => {
    const { expected, facts } = await written(SMT_OFF, { packageId: "0", siblings: "mask" });
    expect(topo(facts)).toEqual(topo(expected));
    expect(facts.cpus.find((c) => c.id === 16)!.socket).toBe(1);
  });
});

describe("core_id repeating within a package (multi-die chips)", () => {
  it("cores per socket are not halved: cores numbered by (die_id, core_id)", async () => {
    const { expected, facts, dir } = await written(AMD_EPYC_NPS4, { diesPerPackage: 2 });
    // The tree really repeats core_id: cpu0 and the first CPU of die 1 both say 0.
    const coreId = (cpu: number) =>
      readFileSync(path.join(dir, `sys/devices/system/cpu/cpu${cpu}/topology/core_id`), "utf8").trim();
    expect(coreId(0)).toBe("0");
    expect(coreId(32)).toBe("0");
    expect(topo(facts)).toEqual(topo(expected));
    expect(coresPerSocket(facts, 0)).toBe(32);
  });
});

describe("AMD family 15h compute units", () => {
  it("are reported by the kernel as thread siblings, discovered as separate cores", async () => {
    const { expected, facts, dir } = await written(AMD_OPTERON_6328, {});
    expect(
      readFileSync(path.join(dir, "sys/devices/system/cpu/cpu0/topology/thread_siblings_list"), "utf8"),
    ).toBe("0-1\n");
    expect(topo(facts)).toEqual(topo(expected));
    expect(facts.cpus[0]).toMatchObject({ id: 0, siblings: [0], computeUnit: [0, 1] });
    expect(facts.cpus[1]).toMatchObject({ id: 1, siblings: [1], computeUnit: [0, 1] });
    expect(facts.cpu).toMatchObject({ smt: false, family: 21 });
    expect(coresPerSocket(facts, 0)).toBe(8);
  });

  it("the planner places one vCPU per compute-unit core (3 isolated vCPUs fit a 4-core node)", async () => {
    const { facts } = await written(AMD_OPTERON_6328, {});
    const topology = makeTopology([makeVnf("r1", { vcpus: 3, memoryKiB: 2 * GiB, threadPolicy: "isolate" })]);
    const r = planDeployment(facts, topology);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.plan.vnfs[0]!;
    const nodeCpus = facts.nodes.find((nd) => nd.id === v.node)!.cpus;
    expect(v.vcpuPins).toHaveLength(3);
    expect(new Set(v.vcpuPins).size).toBe(3);
    for (const c of v.vcpuPins) expect(nodeCpus).toContain(c);
    // Had the pairs been SMT siblings, a node would hold 2 cores, 1 kept for the host: no fit.
    const asSmt = structuredClone(facts);
    for (const c of asSmt.cpus) c.siblings = c.computeUnit!;
    expect(planDeployment(asSmt, topology).ok).toBe(false);
  });

  it("'require' (SMT cores only) does not take compute-unit pairs for SMT siblings", async () => {
    const { facts } = await written(AMD_OPTERON_6328, {});
    const r = planDeployment(
      facts,
      makeTopology([makeVnf("r1", { vcpus: 2, memoryKiB: 2 * GiB, threadPolicy: "require" })]),
    );
    expect(r.ok).toBe(false);
  });
});

describe("files that look like garbage but are real kernel output", () => {
  it("a trailing NUL in *_list and mask files (Linux 5.15-rc1)", async () => {
    const { expected, facts, dir } = await written(SEED_C240M5, { trailingNul: true });
    expect(readFileSync(path.join(dir, "sys/devices/system/cpu/cpu1/topology/thread_siblings_list"))).toEqual(
      Buffer.from("1,37\n\u0000"),
    );
    expect(topo(facts)).toEqual(topo(expected));
    expect(garbage(facts)).toEqual([]);
  });

  it("a trailing NUL in node cpumap files too", async () => {
    const { expected, facts } = await written(SEED_C240M5, { trailingNul: true, nodes: "cpumap" });
    expect(topo(facts)).toEqual(topo(expected));
    expect(garbage(facts)).toEqual([]);
  });

  it("/proc/cpuinfo of s390x (one header, 'processor N: version = ...' lines)", async () => {
    const shape: HostShape = { ...SMT_OFF, name: "s390x", sockets: 1, coresPerNode: 3, nics: [] };
    const { facts } = await written(shape, { cpuinfo: "s390x", packageId: "-1" });
    expect(garbage(facts)).toEqual([]);
    expect(facts.cpus.map((c) => c.socket)).toEqual([0, 0, 0]);
    expect(facts.cpu.nx).toBeNull();
  });

  it("/proc/cpuinfo of sparc64 ('cpu :', 'ncpus active :', no per-CPU blocks)", async () => {
    const shape: HostShape = { ...SMT_OFF, name: "sparc64", sockets: 1, coresPerNode: 2, nics: [] };
    const expected = buildHostFacts(shape);
    expected.cpu.model = "TI UltraSparc II  (BlackBird)";
    const dir = path.join(tmp, "sparc64");
    writeSnapshotTree(expected, dir, { kernel: { cpuinfo: "sparc64", packageId: "-1" } });
    const facts = await discoverHost({ root: dir });
    expect(garbage(facts)).toEqual([]);
    expect(facts.cpu.model).toBe("TI UltraSparc II  (BlackBird)");
  });

  it("real garbage in a mask file is still a warning naming the path", async () => {
    const { dir } = await written(SMT_OFF, { siblings: "mask" });
    writeFileSync(path.join(dir, "sys/devices/system/cpu/cpu3/topology/thread_siblings"), "zz,top\n");
    const facts = await discoverHost({ root: dir });
    expect(garbage(facts).map((w) => w.path)).toEqual([
      "/sys/devices/system/cpu/cpu3/topology/thread_siblings",
    ]);
    expect(facts.cpus.find((c) => c.id === 3)!.siblings).toEqual([3]);
  });
});
