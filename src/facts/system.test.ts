import { describe, expect, it } from "vitest";
import { pageSizeKiB } from "./cmdline.js";
import { isNetworkClass, pciOfNetdevTarget } from "./nics.js";
import { bracketed, groupBy, hugetlbfsMounts, parseCpuinfo, parseMounts, parseShellVars } from "./system.js";
import { parseMeminfo } from "./topology.js";

describe("pure parsers", () => {
  it("os-release style variables: quotes, escapes, comments", () => {
    const v = parseShellVars(
      '# c\nID=rocky\nPRETTY_NAME="Rocky \\"Blue\\" Onyx"\nVERSION=\'9.3\'\nbad line\n',
    );
    expect([...v]).toEqual([
      ["ID", "rocky"],
      ["PRETTY_NAME", 'Rocky "Blue" Onyx'],
      ["VERSION", "9.3"],
    ]);
  });

  it("/proc/mounts with octal escapes", () => {
    const m = parseMounts(
      "nodev /mnt/huge\\0401g hugetlbfs rw,pagesize=1G 0 0\nnone /dev/hugepages hugetlbfs rw 0 0\n",
    );
    expect(hugetlbfsMounts(m, pageSizeKiB)).toEqual([
      { path: "/dev/hugepages", pageSizeKiB: null },
      { path: "/mnt/huge 1g", pageSizeKiB: 1048576 },
    ]);
  });

  it("meminfo, system-wide and per node", () => {
    expect(
      parseMeminfo("MemTotal:  100 kB\nHugepagesize: 2048 kB\nHugePages_Total: 4").get("Hugepagesize"),
    ).toBe(2048);
    expect(parseMeminfo("Node 1 MemTotal:       132090828 kB").get("MemTotal")).toBe(132090828);
  });

  it("cpuinfo: first processor block", () => {
    const c = parseCpuinfo(
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7543\nflags\t\t: fpu svm pdpe1gb\n\nprocessor\t: 1\n",
    );
    expect(c.vendor).toBe("AuthenticAMD");
    expect(c.model).toBe("AMD EPYC 7543");
    expect([...c.flags!]).toEqual(["fpu", "svm", "pdpe1gb"]);
  });

  it("bracketed choice and grouping", () => {
    expect(bracketed("always defer [madvise] never")).toBe("madvise");
    expect(bracketed("madvise")).toBeNull();
    expect(
      groupBy([
        { cpu: 3, value: "b" },
        { cpu: 1, value: "a" },
        { cpu: 0, value: "b" },
      ]),
    ).toEqual({ a: [1], b: [0, 3] });
  });

  it("netdev link targets to PCI functions", () => {
    expect(pciOfNetdevTarget("../../devices/pci0000:3a/0000:3a:00.0/0000:3b:00.1/net/eno2")).toBe(
      "0000:3b:00.1",
    );
    expect(pciOfNetdevTarget("../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0")).toBe("0000:00:03.0");
    expect(pciOfNetdevTarget("../../devices/virtual/net/lo")).toBeNull();
    expect(isNetworkClass("0x020000")).toBe(true);
    expect(isNetworkClass("0x028000")).toBe(true);
    expect(isNetworkClass("0x060400")).toBe(false);
  });
});
