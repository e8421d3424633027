import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { renderPicture } from "./picture.js";
import { AMD_EPYC_NPS4, SINGLE_NODE_NO_1G, buildHostFacts } from "./shapes.js";

describe("renderPicture", () => {
  it("one row per node with its NICs, VFs under their PF, long VF lists cut", () => {
    const text = stripVTControlCharacters(renderPicture(buildHostFacts(AMD_EPYC_NPS4), { color: true }));
    const rows = text.split("\n").filter((l) => /^│ \d /.test(l));
    // Adjacent numbering: node n starts with core n*16 / n*16+1.
    expect(rows.map((l) => /│ (\d+) +│ (\d+\/\d+)/.exec(l)!.slice(1, 3))).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((n) => [String(n), `${n * 16}/${n * 16 + 1}`]),
    );
    expect(text).toContain("ens1f0 41:00.0 i40e mtu 1500");
    expect(text).toContain("SR-IOV 8/64 VFs");
    expect(text).toContain("└ vf0 41:10.1 (no netdev) vfio-pci");
    expect(text).toContain("└ … 4 more VFs");
    expect(text).toContain("SMT on · svm · 1G pages");
    expect(text).toContain("1G: 32/32 free");
  });

  it("single node: NICs with numa_node -1 sit on node 0; no 1G pages said plainly", () => {
    const f = buildHostFacts(SINGLE_NODE_NO_1G);
    f.kernel.isolatedCpus = [1, 9];
    f.cpus[2]!.online = false;
    const text = stripVTControlCharacters(renderPicture(f, { color: true }));
    expect(text).toContain("no 1G pages");
    expect(text).toMatch(/│ 0 +│ 0\/8 {2}1\*\/9\* {2}2~\/10/);
    expect(text).toContain("enp1s0 01:00.0 igb");
    expect(text).not.toContain("NICs without NUMA affinity");
  });

  it("the legend names the isolated and offline CPUs in words, colour or not", () => {
    const f = buildHostFacts(SINGLE_NODE_NO_1G);
    f.kernel.isolatedCpus = [1, 9];
    f.cpus[2]!.online = false;
    const plain = renderPicture(f, { color: false });
    expect(plain).toContain(
      "legend: a/b = thread siblings of one core; * isolated (isolcpus): 1,9; ~ offline: 2\n",
    );
    expect(stripVTControlCharacters(renderPicture(f, { color: true }))).toBe(plain);
  });

  it("several nodes: a NIC with numa_node -1 gets its own row, warnings listed", () => {
    const f = buildHostFacts(AMD_EPYC_NPS4);
    f.nics[0]!.node = -1;
    f.warnings = [{ path: "/proc/mounts", message: "missing" }];
    const text = stripVTControlCharacters(renderPicture(f, { color: true }));
    expect(text).toContain("NICs without NUMA affinity");
    expect(text).toContain("1 warning(s):\n  /proc/mounts: missing");
  });

  it("a host that tells nothing about itself says so instead of an empty system line", () => {
    const f = buildHostFacts(SINGLE_NODE_NO_1G);
    f.dmi = { vendor: null, product: null };
    f.os = { ...f.os, pretty: null };
    f.kernel.release = null;
    const text = stripVTControlCharacters(renderPicture(f, { color: true }));
    expect(text).toContain("system  unknown (no DMI, os-release or kernel release)");
  });
});
