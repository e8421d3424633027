import { describe, expect, it } from "vitest";
import {
  memparse,
  parseHugepageArgs,
  parseIommuArgs,
  parseIsolcpus,
  parseKernelCmdline,
  tokenizeCmdline,
} from "./cmdline.js";

function huge(cmdline: string) {
  const problems: string[] = [];
  return { ...parseHugepageArgs(tokenizeCmdline(cmdline), problems), problems };
}

describe("tokenizeCmdline", () => {
  it("splits like the kernel: quotes group spaces, -- ends kernel arguments", () => {
    expect(tokenizeCmdline(' ro  "console=ttyS0 n8" a=b=c -- isolcpus=9')).toEqual([
      { key: "ro", value: null },
      { key: "console", value: "ttyS0 n8" },
      { key: "a", value: "b=c" },
    ]);
  });
});

describe("memparse / page sizes", () => {
  it.each([
    ["1G", 2 ** 30],
    ["1g", 2 ** 30],
    ["1024M", 2 ** 30],
    ["2M", 2 ** 21],
    ["2048k", 2 ** 21],
    ["1073741824", 2 ** 30],
    ["0x200000", 2 ** 21],
  ])("%s", (text, bytes) => expect(memparse(text)).toBe(bytes));
  it("rejects non-sizes", () => {
    expect(memparse("1GB")).toBeNull();
    expect(memparse("big")).toBeNull();
  });
});

describe("hugepage arguments", () => {
  it("seed form", () => {
    expect(huge("hugepagesz=1G hugepages=32 default_hugepagesz=1G")).toEqual({
      hugepages: [{ sizeKiB: 1048576, count: 32 }],
      defaultKiB: 1048576,
      problems: [],
    });
  });
  it("mixed sizes in command-line order, every spelling of 1G", () => {
    const expected = [
      { sizeKiB: 2048, count: 512 },
      { sizeKiB: 1048576, count: 4 },
    ];
    for (const g of ["1G", "1g", "1024M", "1048576K"]) {
      expect(
        huge(`hugepagesz=2M hugepages=512 hugepagesz=${g} hugepages=4 default_hugepagesz=1G`).hugepages,
      ).toEqual(expected);
    }
  });
  it("hugepages= before any hugepagesz= counts for the default size, wherever default_hugepagesz= is", () => {
    expect(huge("hugepages=8 default_hugepagesz=1G").hugepages).toEqual([{ sizeKiB: 1048576, count: 8 }]);
    expect(huge("default_hugepagesz=1G hugepages=8").hugepages).toEqual([{ sizeKiB: 1048576, count: 8 }]);
    expect(huge("hugepages=1024").hugepages).toEqual([{ sizeKiB: 2048, count: 1024 }]);
  });
  it("per-node form NODE:COUNT", () => {
    expect(huge("hugepagesz=1G hugepages=0:2,1:3").hugepages).toEqual([
      { sizeKiB: 1048576, count: 5, perNode: { "0": 2, "1": 3 } },
    ]);
  });
  it("repeats and invalid sizes are ignored as the kernel ignores them, with a problem noted", () => {
    const r = huge(
      "hugepagesz=1G hugepages=4 hugepages=8 hugepagesz=1G hugepages=16 hugepagesz=3M hugepages=2",
    );
    expect(r.hugepages).toEqual([{ sizeKiB: 1048576, count: 4 }]);
    expect(r.problems).toHaveLength(3);
  });
});

describe("isolcpus", () => {
  it("flags before the list, list with commas", () => {
    const p: string[] = [];
    expect(parseIsolcpus("managed_irq,domain,4-47", 63, p)).toEqual({
      cpus: Array.from({ length: 44 }, (_, i) => i + 4),
      flags: ["managed_irq", "domain"],
    });
    expect(parseIsolcpus("nohz,1-2,5", 7, p)).toEqual({ cpus: [1, 2, 5], flags: ["nohz"] });
    expect(parseIsolcpus("2-N", 5, p)).toEqual({ cpus: [2, 3, 4, 5], flags: [] });
    expect(p).toEqual([]);
  });
  it("garbage is a problem, not a crash", () => {
    const p: string[] = [];
    expect(parseIsolcpus("1-x", 7, p).cpus).toEqual([]);
    expect(p).toEqual(['isolcpus=1-x: "1-x" is not a CPU list']);
  });
  it("the last isolcpus= wins; nohz_full and rcu_nocbs read", () => {
    const k = parseKernelCmdline("isolcpus=1 isolcpus=2-3 nohz_full=2-3 rcu_nocbs=all", 3, []);
    expect([k.isolatedCpus, k.nohzFull, k.rcuNocbs]).toEqual([
      [2, 3],
      [2, 3],
      [0, 1, 2, 3],
    ]);
  });
});

describe("IOMMU arguments", () => {
  it("on, passthrough, off", () => {
    expect(parseIommuArgs(tokenizeCmdline("intel_iommu=on iommu=pt"))).toEqual({
      requested: true,
      passthrough: true,
      evidence: ["intel_iommu=on", "iommu=pt"],
    });
    expect(parseIommuArgs(tokenizeCmdline("intel_iommu=on,sm_on")).requested).toBe(true);
    expect(parseIommuArgs(tokenizeCmdline("amd_iommu=off")).requested).toBe(false);
    expect(parseIommuArgs(tokenizeCmdline("iommu.passthrough=1")).passthrough).toBe(true);
    expect(parseIommuArgs(tokenizeCmdline("quiet"))).toEqual({
      requested: null,
      passthrough: false,
      evidence: [],
    });
  });
});
