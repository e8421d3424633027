import { describe, expect, it } from "vitest";
import {
  ADJACENT_OFFLINE,
  AMD_EPYC_NPS4,
  SEED_C240M5,
  SINGLE_NODE_NO_1G,
  SMT_OFF,
  buildHostFacts,
} from "../facts/shapes.js";
import { GiB, makeTopology, makeVnf, seedTopology, sriovIf } from "../../test/fixtures/plan/topology.js";
import { checkPlanInvariants } from "./invariants.js";
import { planDeployment } from "./planner.js";
import type { DeployedVnf, Plan, PlanResult } from "./types.js";

function ok(r: PlanResult): Plan {
  if (!r.ok) throw new Error(`expected a plan, got:\n${r.problems.map((p) => p.message).join("\n")}`);
  return r.plan;
}

describe("seed topology on the seed host shape", () => {
  const facts = buildHostFacts(SEED_C240M5);
  const plan = ok(planDeployment(facts, seedTopology()));
  const vnf = plan.vnfs[0]!;

  it("pins vCPU0-7 to CPUs 1-8 and the emulator to their siblings 37-44", () => {
    expect(vnf.vcpuPins).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(vnf.emulatorCpus).toEqual([37, 38, 39, 40, 41, 42, 43, 44]);
    expect(vnf.node).toBe(0);
  });

  it("backs memory with 8 x 1G pages of node 0, strict", () => {
    expect(vnf.memory).toEqual({ KiB: 8 * GiB, pageSizeKiB: GiB, pages: 8, node: 0, mode: "strict" });
    expect(plan.host.hugepages[0]).toMatchObject({ node: 0, needed: 8, reserve: 16, current: 16 });
    expect(plan.host.hugepages[0]!.sysfsPath).toBe(
      "/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages",
    );
    expect(plan.host.bootHugepages).toEqual({ sizeKiB: GiB, count: 32 });
  });

  it("writes the seed's kernel line", () => {
    expect(plan.host.kernelArgs.line).toBe(
      "hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44",
    );
    expect(plan.host.cpu.isolated).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 37, 38, 39, 40, 41, 42, 43, 44]);
    // The shape boots with exactly these arguments already.
    expect(plan.host.kernelArgs.changes).toEqual([]);
    expect(plan.host.kernelArgs.needsReboot).toBe(false);
  });

  it("gives the SR-IOV interface VF 0000:3b:10.1 of eno2 from the pool", () => {
    const sr = vnf.interfaces[1]!;
    expect(sr.type).toBe("sriov-pool");
    if (sr.type !== "sriov-pool") return;
    expect(sr.vf.pci).toBe("0000:3b:10.1");
    expect(sr.mac).toBe("52:54:00:2d:87:99");
    // The VF keeps its administrative MAC (NetworkManager); the guest sees the interface MAC.
    expect(sr.vf.mac).toBe("8e:df:08:c1:d1:de");
    expect(sr.guestName).toBe("GigabitEthernet2");
    expect(plan.networks[0]).toEqual({
      name: "eno2_sriov_pool",
      type: "sriov-pool",
      pf: "eno2",
      vfPcis: ["0000:3b:10.1", "0000:3b:10.3", "0000:3b:10.5", "0000:3b:10.7"],
    });
    expect(plan.host.sriov[0]!.vfs.map((v) => v.mac)).toEqual([
      "8e:df:08:c1:d1:de",
      "5a:b9:2f:99:a6:ce",
      "46:78:69:e3:71:3d",
      "7e:a7:db:3b:1b:b3",
    ]);
    expect(plan.host.sriov[0]!.vlanLimit).toBe(64);
  });

  it("marks every CPU with its role", () => {
    const role = (cpu: number) => plan.host.cpuRoles.find((r) => r.cpu === cpu)!.role;
    expect(role(0)).toEqual({ role: "housekeeping" });
    expect(role(1)).toEqual({ role: "vcpu", vnf: "csr1kv-1", vcpu: 0 });
    expect(role(37)).toEqual({ role: "emulator", vnf: "csr1kv-1" });
    expect(plan.host.cpuRoles.find((r) => r.cpu === 1)!.siblings).toEqual([1, 37]);
    expect(plan.host.cpuRoles).toHaveLength(72);
  });

  it("copies host settings and the management MAC from the facts", () => {
    expect(plan.host.management).toEqual({
      interface: "eno1",
      address: "10.75.58.43/24",
      gateway: "10.75.58.1",
      dns: ["64.104.123.245"],
      mac: facts.nics.find((n) => n.name === "eno1")!.mac,
    });
    expect(plan.host.bridges).toEqual([{ name: "br1", ports: ["eno5"], mtu: 9216, stp: true }]);
    expect(plan.host.sysctl["net.ipv4.ip_forward"]).toBe("1");
    expect(plan.host.selinux).toBe("disabled");
  });

  it("is sound and byte-identical on a second run", () => {
    expect(checkPlanInvariants(facts, seedTopology(), plan)).toEqual([]);
    expect(JSON.stringify(ok(planDeployment(facts, seedTopology())))).toBe(JSON.stringify(plan));
  });
});

describe("kernel arguments against the running kernel", () => {
  it("lists what differs and asks for a reboot", () => {
    const facts = buildHostFacts({ ...SEED_C240M5, isolatedCpus: [1, 2, 3, 4], extraCmdline: "" });
    const plan = ok(planDeployment(facts, seedTopology()));
    expect(plan.host.kernelArgs.changes).toEqual([
      { key: "default_hugepagesz", want: "1G", have: null },
      { key: "isolcpus", want: "1-8,37-44", have: "1-4" },
    ]);
    expect(plan.host.kernelArgs.needsReboot).toBe(true);
  });

  it("uses amd_iommu=on on AMD, keeps the 8 x 32 pages reserved now, adds nohz_full/rcu_nocbs", () => {
    const facts = buildHostFacts(AMD_EPYC_NPS4);
    const topo = makeTopology(
      [makeVnf("a", { vcpus: 2 })],
      {},
      {
        cpus: { isolate: "auto", nohzFull: true, housekeepingCoresPerNode: 1 },
      },
    );
    const plan = ok(planDeployment(facts, topo));
    expect(plan.host.kernelArgs.line).toBe(
      "hugepagesz=1G hugepages=256 default_hugepagesz=1G amd_iommu=on iommu=pt isolcpus=2-5 nohz_full=2-5 rcu_nocbs=2-5",
    );
    expect(plan.host.cpu.nohzFull).toEqual([2, 3, 4, 5]);
  });

  it("removes isolcpus the plan no longer needs", () => {
    const facts = buildHostFacts(SEED_C240M5);
    const plan = ok(planDeployment(facts, makeTopology([], {}, { hugepages: { sizeKiB: GiB, count: 32 } })));
    expect(plan.host.kernelArgs.line).toBe(
      "hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt",
    );
    expect(plan.host.kernelArgs.changes).toEqual([{ key: "isolcpus", want: null, have: "1-8,37-44" }]);
  });
});

describe("thread policies", () => {
  const seed = buildHostFacts(SEED_C240M5);

  it("prefer fills sibling threads and puts the emulator on the node's housekeeping CPUs", () => {
    const plan = ok(planDeployment(seed, makeTopology([makeVnf("p", { vcpus: 4, threadPolicy: "prefer" })])));
    const v = plan.vnfs[0]!;
    expect(v.vcpuPins).toEqual([1, 37, 2, 38]);
    expect(v.emulatorCpus).toEqual([
      0,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      11,
      12,
      13,
      14,
      15,
      16,
      17,
      36,
      ...range(39, 53),
    ]);
    expect(plan.host.cpu.isolated).toEqual([1, 2, 37, 38]);
  });

  it("require behaves like prefer on SMT hosts and fails without SMT", () => {
    const plan = ok(
      planDeployment(seed, makeTopology([makeVnf("r", { vcpus: 3, threadPolicy: "require" })])),
    );
    expect(plan.vnfs[0]!.vcpuPins).toEqual([1, 37, 2]);
    expect(plan.host.cpuRoles.find((r) => r.cpu === 38)!.role).toEqual({ role: "isolated-free" });
    const r = planDeployment(
      buildHostFacts(SMT_OFF),
      makeTopology([makeVnf("r", { threadPolicy: "require" })]),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.message)).toEqual([
        "r has thread policy require, which needs SMT sibling threads, and this host has SMT off",
      ]);
    }
  });

  it("share lets two share VNFs use the siblings of one core, never a non-share one", () => {
    const topo = makeTopology([
      makeVnf("s1", { vcpus: 3, threadPolicy: "share" }),
      makeVnf("s2", { vcpus: 3, threadPolicy: "share" }),
      makeVnf("i1", { vcpus: 1 }),
    ]);
    const plan = ok(planDeployment(seed, topo));
    const pins = Object.fromEntries(plan.vnfs.map((v) => [v.name, v.vcpuPins]));
    expect(pins).toEqual({ s1: [1, 37, 2], s2: [38, 3, 39], i1: [4] });
    expect(plan.vnfs.find((v) => v.name === "i1")!.emulatorCpus).toEqual([40]);
    expect(checkPlanInvariants(seed, topo, plan)).toEqual([]);
  });

  it("isolate on an SMT-off host puts the emulator on housekeeping CPUs of the node", () => {
    const facts = buildHostFacts(SMT_OFF);
    const plan = ok(planDeployment(facts, makeTopology([makeVnf("a", { vcpus: 4 })])));
    const v = plan.vnfs[0]!;
    expect(v.vcpuPins).toEqual([1, 2, 3, 4]);
    expect(v.emulatorCpus).toEqual([0, ...range(5, 15)]);
    expect(plan.host.kernelArgs.line).toContain("isolcpus=1-4");
  });

  it("uses adjacent sibling numbering and skips offline CPUs", () => {
    const facts = buildHostFacts(ADJACENT_OFFLINE);
    const plan = ok(planDeployment(facts, makeTopology([makeVnf("a", { vcpus: 2, node: 1 })])));
    expect(plan.vnfs[0]!.vcpuPins).toEqual([26, 28]);
    expect(plan.vnfs[0]!.emulatorCpus).toEqual([27, 29]);
    expect(plan.host.cpuRoles.find((r) => r.cpu === 47)!.role).toEqual({ role: "offline" });
  });
});

describe("explicit isolation", () => {
  const seed = buildHostFacts(SEED_C240M5);

  it("is honoured and VNFs use only its CPUs", () => {
    const iso = [10, 11, 12, 13, 46, 47, 48, 49];
    const topo = makeTopology(
      [makeVnf("a", { vcpus: 4 })],
      {},
      {
        cpus: { isolate: iso, nohzFull: false, housekeepingCoresPerNode: 1 },
      },
    );
    const plan = ok(planDeployment(seed, topo));
    expect(plan.host.cpu).toMatchObject({ source: "explicit", isolated: iso });
    expect(plan.vnfs[0]!.vcpuPins).toEqual([10, 11, 12, 13]);
    expect(plan.vnfs[0]!.emulatorCpus).toEqual([46, 47, 48, 49]);
  });

  it("places on the listed CPUs when the auto placement does not fit them", () => {
    // Auto mode puts "a" on node 0 (the tighter of two alike nodes); this list isolates node 1 only.
    const iso = [19, 20, 21, 22, 55, 56, 57, 58];
    const topo = makeTopology(
      [makeVnf("a", { vcpus: 4 })],
      {},
      { cpus: { isolate: iso, nohzFull: false, housekeepingCoresPerNode: 1 } },
    );
    expect(ok(planDeployment(seed, makeTopology([makeVnf("a", { vcpus: 4 })]))).vnfs[0]!.node).toBe(0);
    const plan = ok(planDeployment(seed, topo));
    expect(plan.vnfs[0]).toMatchObject({
      node: 1,
      vcpuPins: [19, 20, 21, 22],
      emulatorCpus: [55, 56, 57, 58],
    });
  });

  it("warns once about a running VM when it also tries the auto placement", () => {
    const topo = makeTopology(
      [makeVnf("b", { vcpus: 2 })],
      {},
      { cpus: { isolate: [3, 4, 39, 40], nohzFull: false, housekeepingCoresPerNode: 1 } },
    );
    const running: DeployedVnf = {
      name: "other",
      node: 0,
      // CPU 0 stays with the host in both modes, so the auto probe meets this VM's CPUs as well.
      vcpuPins: [0],
      emulatorCpus: [36],
      memoryKiB: GiB,
      pageSizeKiB: GiB,
      vfs: [],
      macs: [],
    };
    const plan = ok(planDeployment(seed, topo, [running]));
    expect(plan.vnfs[0]!.vcpuPins).toEqual([3, 4]);
    expect(plan.warnings.filter((w) => w.startsWith("other runs on CPUs"))).toEqual([
      "other runs on CPUs 0, which the plan keeps for the host; it is kept as it runs",
    ]);
  });

  it("warns when it splits siblings and keeps the emulator off the host's threads", () => {
    const topo = makeTopology(
      [makeVnf("a", { vcpus: 2 })],
      {},
      {
        cpus: { isolate: [1, 2], nohzFull: false, housekeepingCoresPerNode: 1 },
      },
    );
    const plan = ok(planDeployment(seed, topo));
    expect(plan.vnfs[0]!.vcpuPins).toEqual([1, 2]);
    expect(plan.vnfs[0]!.emulatorCpus).not.toContain(1);
    expect(plan.warnings).toEqual([
      "host.cpus.isolate splits 2 cores from their sibling threads (1+37, 2+38); isolate siblings together",
    ]);
  });
});

describe("SR-IOV", () => {
  const amd = buildHostFacts(AMD_EPYC_NPS4);

  it("places a VNF on the node of its PF and hands out VFs in file order", () => {
    const topo = makeTopology(
      [
        makeVnf("a", { interfaces: [sriovIf("pool0"), { type: "sriov", pf: "ens1f1", vlan: 100 }] }),
        makeVnf("b", { interfaces: [sriovIf("pool0")] }),
      ],
      { networks: [{ name: "pool0", type: "sriov-pool", pf: "ens1f0" }] },
    );
    const plan = ok(planDeployment(amd, topo));
    expect(plan.vnfs.map((v) => v.node)).toEqual([2, 2]);
    const a = plan.vnfs[0]!.interfaces;
    expect(a[0]!.type).toBe("sriov-pool");
    expect(a[1]!.type).toBe("sriov-hostdev");
    if (a[0]!.type === "sriov-pool" && a[1]!.type === "sriov-hostdev") {
      expect(a[0]!.vf.index).toBe(0);
      expect(a[1]!.vf).toMatchObject({ pf: "ens1f1", index: 0, vlan: 100, trust: false, spoofchk: true });
    }
    // The explicit VF carries the interface's VLAN in the PF's VF settings; pool VFs get theirs from libvirt.
    expect(plan.host.sriov.find((p) => p.pf === "ens1f1")!.vfs[0]).toMatchObject({ vlan: 100, trust: false });
    expect(plan.host.sriov.find((p) => p.pf === "ens1f0")!.vfs[0]!.vlan).toBeUndefined();
    const b = plan.vnfs[1]!.interfaces[0]!;
    expect(b.type === "sriov-pool" && b.vf.index).toBe(1);
    expect(checkPlanInvariants(amd, topo, plan)).toEqual([]);
  });

  it("generates locally administered MACs that are stable and unique", () => {
    const topo = makeTopology([
      makeVnf("a", {
        interfaces: [
          { type: "network", network: "default" },
          { type: "network", network: "default" },
        ],
      }),
    ]);
    const p1 = ok(planDeployment(amd, topo));
    const macs = p1.vnfs[0]!.interfaces.map((i) => i.mac);
    for (const m of macs) {
      expect(m).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      expect(parseInt(m.slice(0, 2), 16) & 0x03).toBe(0x02);
    }
    expect(new Set(macs).size).toBe(2);
    expect(ok(planDeployment(amd, topo)).vnfs[0]!.interfaces.map((i) => i.mac)).toEqual(macs);
    const renamed = ok(planDeployment(amd, { ...topo, name: "other" })).vnfs[0]!.interfaces.map((i) => i.mac);
    expect(renamed).not.toEqual(macs);
  });

  it("predicts VF addresses of VFs not created yet from the PF's offset and stride", () => {
    const facts = buildHostFacts(SEED_C240M5);
    const topo = makeTopology(
      [makeVnf("a", { interfaces: [{ type: "sriov", pf: "eno2" }] })],
      {},
      {
        sriov: [{ pf: "eno2", vfs: 6 }],
      },
    );
    const plan = ok(planDeployment(facts, topo));
    expect(plan.host.sriov[0]!.vfs.map((v) => v.pci)).toEqual([
      "0000:3b:10.1",
      "0000:3b:10.3",
      "0000:3b:10.5",
      "0000:3b:10.7",
      "0000:3b:11.1",
      "0000:3b:11.3",
    ]);
  });
});

describe("deployed VMs", () => {
  const seed = buildHostFacts({ ...SEED_C240M5, hugepagesUsedPerNode: { "1048576": 8 } });
  const running: DeployedVnf = {
    name: "csr1kv-1",
    node: 0,
    vcpuPins: [1, 2, 3, 4, 5, 6, 7, 8],
    emulatorCpus: [37, 38, 39, 40, 41, 42, 43, 44],
    memoryKiB: 8 * GiB,
    pageSizeKiB: GiB,
    vfs: ["0000:3b:10.1"],
    macs: ["52:54:00:36:95:f0", "52:54:00:2d:87:99"],
  };

  it("are kept in place and new VNFs go around them", () => {
    const topo = seedTopology();
    topo.vnfs.push(
      makeVnf("csr1kv-2", {
        kind: "csr1000v",
        vcpus: 4,
        memoryKiB: 4 * GiB,
        interfaces: [sriovIf("eno2_sriov_pool")],
      }),
    );
    const plan = ok(planDeployment(seed, topo, [running]));
    const [one, two] = plan.vnfs;
    expect(one).toMatchObject({
      existing: true,
      vcpuPins: running.vcpuPins,
      emulatorCpus: running.emulatorCpus,
    });
    expect(two).toMatchObject({
      existing: false,
      node: 0,
      vcpuPins: [9, 10, 11, 12],
      emulatorCpus: [45, 46, 47, 48],
    });
    const vf = two!.interfaces[0]!;
    expect(vf.type === "sriov-pool" && vf.vf.pci).toBe("0000:3b:10.3");
    expect(plan.host.hugepages[0]).toMatchObject({ needed: 12, reserve: 16 });
    expect(checkPlanInvariants(seed, topo, plan, [running])).toEqual([]);
  });

  it("that are not in the topology still hold their CPUs", () => {
    const other = { ...running, name: "legacy" };
    const plan = ok(planDeployment(seed, makeTopology([makeVnf("a", { vcpus: 2, node: 0 })]), [other]));
    expect(plan.vnfs[0]!.vcpuPins).toEqual([9, 10]);
    expect(plan.warnings).toContain(
      "legacy runs on this host but is not in the topology; its CPUs, pages, VFs and MACs are kept",
    );
  });
});

describe("hugepages", () => {
  it("computes the boot count from the plan when the topology gives none", () => {
    const facts = buildHostFacts({ ...SINGLE_NODE_NO_1G, hugepagesPerNode: { "2048": 0 } });
    const topo = makeTopology(
      [makeVnf("a", { vcpus: 2, memoryKiB: 4 * GiB })],
      {},
      { hugepages: { sizeKiB: 2048 } },
    );
    const plan = ok(planDeployment(facts, topo));
    expect(plan.host.hugepages).toEqual([
      {
        node: 0,
        sizeKiB: 2048,
        needed: 2048,
        reserve: 2048,
        current: 0,
        sysfsPath: "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
      },
    ]);
    expect(plan.host.bootHugepages).toEqual({ sizeKiB: 2048, count: 2048 });
    expect(plan.host.kernelArgs.line).toBe(
      "hugepagesz=2M hugepages=2048 default_hugepagesz=2M intel_iommu=on iommu=pt isolcpus=1-2,9-10",
    );
  });
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

describe("purity", () => {
  function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object") {
      for (const v of Object.values(value)) deepFreeze(v);
      Object.freeze(value);
    }
    return value;
  }

  it("never writes to its inputs", () => {
    const facts = deepFreeze(buildHostFacts(SEED_C240M5));
    const topo = seedTopology();
    topo.vnfs.push(
      makeVnf("extra", { vcpus: 3, threadPolicy: "share", interfaces: [sriovIf("eno2_sriov_pool")] }),
    );
    deepFreeze(topo);
    const deployed = deepFreeze([
      {
        name: "old",
        node: 1,
        vcpuPins: [20, 21],
        emulatorCpus: [56, 57],
        memoryKiB: 2 * GiB,
        pageSizeKiB: GiB,
        vfs: [],
        macs: ["52:54:00:00:00:01"],
      },
    ]);
    const r = planDeployment(facts, topo, deployed);
    expect(r.ok).toBe(true);
  });
});

describe("priority", () => {
  it("keeps the VNF with the higher priority when not all fit, and names the others", () => {
    const facts = buildHostFacts(SEED_C240M5);
    // 17 free cores per node: two 16-core VNFs fit, a third does not.
    const topo = makeTopology([
      makeVnf("first", { vcpus: 16 }),
      makeVnf("second", { vcpus: 16 }),
      makeVnf("urgent", { vcpus: 16, priority: 10 }),
    ]);
    const r = planDeployment(facts, topo);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.placement).toMatchObject({ placed: 2, of: 3, proven: true, unplaced: ["second"] });
    expect(r.problems.map((p) => p.vnf)).toEqual(["second"]);
  });
});
