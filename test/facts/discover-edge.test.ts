/**
 * Hand-written edge cases (test/fixtures/hosts/edge-small, described in its README) and broken
 * roots: discovery reads what exists, warns by path about the rest, and never crashes.
 */
import { cpSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { discoverHost } from "../../src/facts/discover.js";
import { ADJACENT_OFFLINE, SINGLE_NODE_NO_1G, buildHostFacts } from "../../src/facts/shapes.js";
import { writeSnapshotTree } from "../../src/facts/write-tree.js";
import { NfvError } from "../../src/util/errors.js";

const EDGE = "test/fixtures/hosts/edge-small";
const tmp = scratchDir("nfvhost-edge-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("edge-small fixture", async () => {
  const f = await discoverHost({ root: EDGE });

  it("never assumes a CPU numbering: adjacent siblings, sparse cores, offline CPU without topology", () => {
    expect(f.cpus.map((c) => [c.id, c.core, c.siblings, c.online])).toEqual([
      [0, 0, [0, 1], true],
      [1, 0, [0, 1], true],
      [2, 4, [2, 3], true],
      [3, 4, [3], true], // garbage sibling list: only itself, with a warning
      [4, 9, [4], true],
      [5, -1, [5], false],
    ]);
    expect(f.cpus.every((c) => c.node === 0 && c.socket === 0)).toBe(true);
    expect(f.cpu.smt).toBe(true);
  });

  it("a kernel without NUMA directories still has one node 0 from /proc/meminfo and the global pools", () => {
    expect(f.nodes).toEqual([
      {
        id: 0,
        cpus: [0, 1, 2, 3, 4, 5],
        memoryKiB: 8000000,
        distances: [10],
        hugepages: { "2048": { total: 512, free: 500 } },
      },
    ]);
  });

  it("isolcpus flags, N in a CPU list, and init arguments after -- ignored", () => {
    expect(f.kernel.isolatedCpus).toEqual([2, 3, 4]);
    expect(f.kernel.isolcpusFlags).toEqual(["managed_irq", "domain"]);
    expect(f.kernel.nohzFull).toEqual([2, 3, 4]);
    expect(f.kernel.rcuNocbs).toEqual([2, 3, 4, 5]);
  });

  it("mixed hugepage arguments in order, and the default size the kernel really uses", () => {
    expect(f.kernel.hugepages).toEqual([
      { sizeKiB: 2048, count: 512 },
      { sizeKiB: 1048576, count: 4 },
    ]);
    // The cmdline asks 1G default, but without pdpe1gb the kernel stays at 2M (meminfo says so).
    expect(f.kernel.defaultHugepageKiB).toBe(2048);
    expect(f.cpu.pages1G).toBe(false);
  });

  it("IOMMU from the command line, the IOMMU unit and the DMAR table", () => {
    expect(f.kernel.iommu).toEqual({
      enabled: true,
      passthrough: true,
      evidence: [
        "intel_iommu=on,sm_on",
        "iommu=pt",
        "/sys/class/iommu/dmar0",
        "/sys/firmware/acpi/tables/DMAR",
      ],
      acpiTables: ["DMAR"],
      groups: null,
    });
  });

  it("NICs: node -1 kept, MAC lower-cased, VFs without netdev or driver, virtio netdev under virtio0/, no host bridge", () => {
    expect(f.nics.map((n) => [n.pci, n.name, n.driver, n.node, n.mac ?? null])).toEqual([
      ["0000:00:03.0", "eth0", "virtio-pci", -1, "02:00:00:00:00:01"],
      ["0000:01:00.0", "enp1s0", "igb", -1, "52:54:00:ab:cd:ef"],
      ["0000:01:10.0", null, "vfio-pci", -1, null],
      ["0000:01:10.4", null, null, -1, null],
    ]);
    const pf = f.nics[1]!;
    expect(pf.sriov).toEqual({
      totalVfs: 7,
      numVfs: 2,
      vfs: [
        { index: 0, pci: "0000:01:10.0", name: null, mac: null, driver: "vfio-pci", device: "0x1520" },
        { index: 1, pci: "0000:01:10.4", name: null, mac: null, driver: null, device: "0x1520" },
      ],
    });
    expect(f.nics[2]!.physfn).toBe("0000:01:00.0");
    expect(pf.mtu).toBe(9000);
    expect(pf.operstate).toBe("down");
  });

  it("system facts: OS, SELinux config vs now, firewalld, THP, mounts, cgroups, cpufreq, cpuidle, DMI", () => {
    expect(f.hostname).toBe("edge-small");
    expect(f.os).toEqual({
      id: "rocky",
      version: "9.3",
      pretty: "Rocky Linux 9.3 (Blue Onyx)",
      like: ["rhel", "centos", "fedora"],
    });
    expect(f.selinux).toEqual({ configured: "enforcing", current: "permissive" });
    expect(f.firewalld).toMatchObject({ installed: true, enabled: true, active: null });
    expect(f.thp).toEqual({ enabled: "never", defrag: "always" });
    expect(f.sysctl).toEqual({ "net.ipv4.ip_forward": "1" });
    expect(f.hugetlbfsMounts).toEqual([
      { path: "/dev/hugepages", pageSizeKiB: 2048 },
      { path: "/mnt/huge 1g", pageSizeKiB: 1048576 },
    ]);
    expect(f.cgroups).toEqual({
      version: 2,
      controllers: ["cpu", "cpuset", "hugetlb", "io", "memory", "pids"],
      evidence: "/sys/fs/cgroup/cgroup.controllers",
    });
    expect(f.governors).toEqual({ performance: [0, 1], powersave: [2, 3, 4] });
    expect(f.cstates).toEqual([
      { cpus: [0, 1], states: ["POLL", "C1", "C6"] },
      { cpus: [2, 3, 4], states: ["POLL", "C1"] },
    ]);
    expect(f.dmi).toEqual({ vendor: "Supermicro", product: null });
    // proc/self is a real symlink here (the fixture mixes both link forms).
    expect(f.memlock).toEqual({
      hardKiB: null,
      capSysResource: true,
      evidence:
        "/proc/self/limits: Max locked memory soft 65536 hard unlimited; /proc/self/status CapEff 000001ffffffffff",
    });
  });

  it("warns by path about the garbage and the missing file, nothing else", () => {
    expect(f.warnings).toEqual([
      {
        path: "/sys/devices/system/cpu/cpu3/topology/thread_siblings_list",
        message: 'cannot parse "banana": expected a CPU list such as "0-3,8"',
        kind: "garbage",
      },
      { path: "/proc/sys/kernel/osrelease", message: "missing", kind: "missing" },
    ]);
  });
});

describe("damaged trees", () => {
  it("garbage in node, PCI and THP files becomes warnings naming each path", async () => {
    const dir = path.join(tmp, "garbage");
    writeSnapshotTree(buildHostFacts(SINGLE_NODE_NO_1G), dir);
    writeFileSync(path.join(dir, "sys/devices/system/node/node0/cpulist"), "banana\n");
    writeFileSync(path.join(dir, "sys/devices/system/node/node0/distance"), "ten\n");
    writeFileSync(path.join(dir, "sys/devices/pci0000:01/0000:01:00.0/numa_node"), "x\n");
    writeFileSync(path.join(dir, "sys/devices/pci0000:01/0000:01:00.0/net/enp1s0/address"), "not-a-mac\n");
    writeFileSync(path.join(dir, "sys/kernel/mm/transparent_hugepage/enabled"), "???\n");
    writeFileSync(
      path.join(dir, "proc/cmdline"),
      "isolcpus=domain,pear hugepagesz=3X hugepages=8 hugepages=1:x\n",
    );
    rmSync(path.join(dir, "proc/cpuinfo"));
    const f = await discoverHost({ root: dir });
    expect(f.warnings.map((w) => w.path).sort()).toEqual([
      "/proc/cmdline",
      "/proc/cmdline",
      "/proc/cmdline",
      "/proc/cpuinfo",
      "/sys/bus/pci/devices/0000:01:00.0/numa_node",
      "/sys/class/net/enp1s0/address",
      "/sys/devices/system/node/node0/cpulist",
      "/sys/devices/system/node/node0/distance",
      "/sys/kernel/mm/transparent_hugepage/enabled",
    ]);
    expect(f.warnings.filter((w) => w.path === "/proc/cmdline").map((w) => w.message)).toEqual([
      'isolcpus: unknown flag "pear" (the kernel knows nohz, domain, managed_irq)',
      "hugepagesz=3X: not a huge page size of x86-64 (2M, 1G); the hugepages= after it is ignored",
      "hugepages=1:x: expected a count or NODE:COUNT pairs",
    ]);
    const kinds = Object.fromEntries(f.warnings.map((w) => [w.path, w.kind]));
    expect(kinds).toMatchObject({
      "/proc/cmdline": "kernel-arg",
      "/proc/cpuinfo": "missing",
      "/sys/devices/system/node/node0/cpulist": "garbage",
      "/sys/class/net/enp1s0/address": "garbage",
    });
    // Still a usable picture: CPUs from their own directories, the node from their links.
    expect(f.nodes[0]!.cpus).toHaveLength(16);
    expect(f.nics[0]!.node).toBe(-1);
    expect(f.kernel.hugepages).toEqual([]);
    expect(f.cpu.vendor).toBeNull();
  });

  it("a CPU without its nodeM link is placed by the node cpulists, else on node 0", async () => {
    const dir = path.join(tmp, "no-node-links");
    const expected = buildHostFacts(ADJACENT_OFFLINE);
    writeSnapshotTree(expected, dir);
    rmSync(path.join(dir, "sys/devices/system/cpu/cpu30/node1"));
    // cpu47 is offline: gone from node1/cpulist (as on x86) and now without a link either.
    rmSync(path.join(dir, "sys/devices/system/cpu/cpu47/node1"));
    const f = await discoverHost({ root: dir });
    expect(f.cpus[30]!.node).toBe(1);
    expect(f.cpus[47]).toMatchObject({ node: 0, online: false });
    expect(f.nodes[1]!.cpus).not.toContain(47);
    expect(f.warnings).toEqual([]);
  });

  it("an unusable root is an NfvError with exit code 2 naming the root", async () => {
    await expect(discoverHost({ root: path.join(tmp, "nope") })).rejects.toThrow(
      /host root .*nope does not exist/,
    );
    const noSys = path.join(tmp, "no-sys");
    cpSync(path.join(EDGE, "proc"), path.join(noSys, "proc"), { recursive: true });
    const err = await discoverHost({ root: noSys }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvError);
    expect((err as NfvError).exitCode).toBe(2);
    expect((err as NfvError).message).toMatch(/has no sys\/ directory/);
    const file = path.join(tmp, "plain-file");
    writeFileSync(file, "x");
    await expect(discoverHost({ root: file })).rejects.toThrow(/is not a directory or a \.tar\.gz snapshot/);
    const badTar = path.join(tmp, "broken.tar.gz");
    writeFileSync(badTar, "not gzip");
    await expect(discoverHost({ root: badTar })).rejects.toThrow(/snapshot archive .*broken\.tar\.gz/);
  });
});
