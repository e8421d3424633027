import { describe, expect, it } from "vitest";
import { discoverHost } from "../facts/discover.js";
import {
  ADJACENT_OFFLINE,
  AMD_EPYC_NPS4,
  buildHostFacts,
  SEED_C240M5,
  SINGLE_NODE_NO_1G,
  SMT_OFF,
} from "../facts/shapes.js";
import type { HostFacts } from "../facts/types.js";
import { runDoctor } from "./index.js";
import type { DoctorCheck, DoctorReport } from "./types.js";

const SEED_ROOT = "examples/hosts/seed-c240m5";

function check(report: DoctorReport, id: string): DoctorCheck {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in [${report.checks.map((x) => x.id).join(", ")}]`);
  return c;
}

function withIsolated(facts: HostFacts, cpus: number[]): HostFacts {
  const copy = structuredClone(facts);
  copy.kernel.isolatedCpus = [...cpus].sort((a, b) => a - b);
  return copy;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

describe("doctor on the seed's reference host (discovered from examples/hosts/seed-c240m5)", () => {
  it("reports IOMMU on, 32 x 1G pages (16 per node), isolcpus 1-8,37-44 sane and SMT on as a warning", async () => {
    const report = runDoctor(await discoverHost({ root: SEED_ROOT }));
    expect(check(report, "iommu.kernel").status).toBe("pass");
    expect(check(report, "iommu.kernel").evidence).toContain("intel_iommu=on");
    expect(check(report, "iommu.passthrough").status).toBe("pass");
    const reserved = check(report, "hugepages.reserved");
    expect(reserved.status).toBe("pass");
    expect(reserved.evidence).toContain("32 x 1G reserved (node0 16, node1 16)");
    expect(reserved.evidence).toContain("hugepages=32");
    expect(check(report, "hugepages.node0")).toMatchObject({ status: "pass" });
    expect(check(report, "hugepages.node1")).toMatchObject({ status: "pass" });
    expect(check(report, "hugepages.default-size").status).toBe("pass");
    expect(check(report, "cpu.isolcpus")).toMatchObject({
      status: "pass",
      evidence: "isolcpus=1-8,37-44 (16 CPUs)",
    });
    for (const id of [
      "cpu.isolcpus.online",
      "cpu.isolcpus.cpu0",
      "cpu.isolcpus.siblings",
      "cpu.isolcpus.housekeeping",
    ]) {
      expect(check(report, id).status, id).toBe("pass");
    }
    expect(check(report, "cpu.isolcpus.siblings").evidence).toContain("1/37");
    const smt = check(report, "cpu.smt");
    expect(smt.status).toBe("warn");
    expect(smt.evidence).toContain("thread_siblings_list 1,37");
    expect(smt.fix).toContain("emulatorpin");
    expect(check(report, "virt.cpu").status).toBe("pass");
    expect(check(report, "os.selinux").status).toBe("pass");
    expect(check(report, "sriov.eno2.vfs")).toMatchObject({ status: "pass" });
    expect(check(report, "sriov.eno2.vfs").evidence).toContain("4 of 64 VFs");
    expect(check(report, "sriov.eno2.mtu").status).toBe("pass");
    expect(check(report, "sriov.eno2.numa").status).toBe("pass");
    expect(check(report, "sriov.eno1.vfs").status).toBe("info");
    for (const key of [
      "ip_forward",
      "bridge-nf-call-iptables",
      "bridge-nf-call-ip6tables",
      "bridge-nf-call-arptables",
    ]) {
      const id = key === "ip_forward" ? "sysctl.net.ipv4.ip_forward" : `sysctl.net.bridge.${key}`;
      expect(check(report, id).status, id).toBe("pass");
    }
    expect(report.summary.fail).toBe(0);
    expect(report.summary.warn).toBe(1);
    // Things a snapshot cannot show are "info", never a false failure.
    expect(check(report, "virt.kvm-device").status).toBe("info");
    expect(check(report, "virt.libvirt").status).toBe("info");
  });

  it("gives the same verdicts from the synthetic SEED_C240M5 shape", () => {
    const report = runDoctor(buildHostFacts(SEED_C240M5));
    expect(check(report, "iommu.kernel").status).toBe("pass");
    expect(check(report, "hugepages.reserved").evidence).toContain("32 x 1G reserved (node0 16, node1 16)");
    expect(check(report, "cpu.isolcpus.siblings").status).toBe("pass");
    expect(check(report, "cpu.smt").status).toBe("warn");
  });

  it("summary counts every check and ids are unique and stable-shaped", async () => {
    const report = runDoctor(await discoverHost({ root: SEED_ROOT }));
    const s = report.summary;
    expect(s.pass + s.warn + s.fail + s.info).toBe(report.checks.length);
    expect(new Set(report.checks.map((c) => c.id)).size).toBe(report.checks.length);
    for (const c of report.checks) {
      expect(Object.keys(c).slice(0, 5)).toEqual(["id", "area", "title", "status", "evidence"]);
      expect(c.evidence.length).toBeGreaterThan(0);
      if (c.status === "fail" || c.status === "warn") expect(c.fix, c.id).toBeTruthy();
    }
    expect(Object.keys(report)).toEqual(["host", "summary", "checks"]);
  });
});

describe("isolcpus sanity (seed topology: siblings n/n+36, node0 0-17,36-53, node1 18-35,54-71)", () => {
  const seed = buildHostFacts(SEED_C240M5);

  it("fails when CPU 0 is isolated and offers the seed's list as the fix", () => {
    const report = runDoctor(withIsolated(seed, [...range(0, 8), ...range(36, 44)]));
    const c = check(report, "cpu.isolcpus.cpu0");
    expect(c.status).toBe("fail");
    expect(c.evidence).toContain("isolcpus=0-8,36-44 includes CPU 0");
    expect(c.fix).toContain("isolcpus=1-8,37-44");
  });

  it("fails on a split sibling pair and names both CPUs", () => {
    const report = runDoctor(withIsolated(seed, [...range(1, 8), ...range(37, 43)]));
    const c = check(report, "cpu.isolcpus.siblings");
    expect(c.status).toBe("fail");
    expect(c.evidence).toContain("CPU 8 is isolated but its sibling 44 is not (socket 0 core 11)");
    expect(c.fix).toContain("isolcpus=1-8,37-44");
    expect(report.summary.fail).toBe(1);
  });

  it("fails when a node keeps no housekeeping CPU and names the node and its CPUs", () => {
    const report = runDoctor(withIsolated(seed, [...range(18, 35), ...range(54, 71)]));
    const c = check(report, "cpu.isolcpus.housekeeping");
    expect(c.status).toBe("fail");
    expect(c.evidence).toContain("node 1: every online CPU (18-35,54-71) is isolated");
    expect(c.fix).toContain("isolcpus=19-35,55-71");
    // eno2 sits on node 0, which now has nothing isolated.
    expect(check(report, "sriov.eno2.numa").status).toBe("warn");
    expect(check(report, "sriov.eno2.numa").evidence).toContain("node 0");
  });

  it("fails when isolcpus names CPUs the host does not have", () => {
    const report = runDoctor(withIsolated(seed, [...range(1, 8), ...range(37, 44), 80, 81]));
    const c = check(report, "cpu.isolcpus.online");
    expect(c.status).toBe("fail");
    expect(c.evidence).toBe("isolcpus names CPU 80-81 but this host has CPUs 0-71");
  });

  it("warns about isolated CPUs that are offline", () => {
    const facts = withIsolated(buildHostFacts(ADJACENT_OFFLINE), [44, 45, 46, 47]);
    const c = check(runDoctor(facts), "cpu.isolcpus.online");
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("isolated CPU 46-47 offline");
    expect(c.fix).toContain("echo 1 > /sys/devices/system/cpu/cpu46/online");
  });

  it("warns with a suggested whole-core isolation when nothing is isolated", () => {
    const report = runDoctor(withIsolated(seed, []));
    const c = check(report, "cpu.isolcpus");
    expect(c.status).toBe("warn");
    // First core of each node (0/36 and 18/54) stays with the host.
    expect(c.fix).toContain("isolcpus=1-17,19-35,37-53,55-71");
    expect(report.checks.some((x) => x.id === "cpu.isolcpus.siblings")).toBe(false);
  });

  it("reports nohz_full/rcu_nocbs as info only, noting mismatches", () => {
    const facts = withIsolated(seed, [...range(1, 8), ...range(37, 44)]);
    facts.kernel.nohzFull = range(1, 8);
    facts.kernel.rcuNocbs = range(1, 8);
    const c = check(runDoctor(facts), "cpu.nohz");
    expect(c.status).toBe("info");
    expect(c.evidence).toContain("nohz_full differs from isolcpus");
  });
});

describe("host shapes", () => {
  it("AMD EPYC NPS4: AMD-V, AMD IOMMU args, AMD BIOS names, VFs on a node without isolated CPUs", () => {
    const facts = buildHostFacts(AMD_EPYC_NPS4);
    facts.kernel.iommu = {
      enabled: false,
      passthrough: false,
      evidence: [],
      acpiTables: ["IVRS"],
      groups: 0,
    };
    const report = runDoctor(facts);
    expect(check(report, "virt.cpu").evidence).toContain("svm (AMD-V)");
    expect(check(report, "iommu.firmware")).toMatchObject({
      status: "pass",
      evidence: "/sys/firmware/acpi/tables/IVRS present",
    });
    const kernel = check(report, "iommu.kernel");
    expect(kernel.status).toBe("fail");
    expect(kernel.fix).toContain("amd_iommu=on iommu=pt");
    expect(check(report, "cpu.smt").fix).toContain("SMT Control = Disabled");
    expect(check(report, "bios.intel-vt").title).toContain("SVM Mode");
    // VT-d coherency has no AMD equivalent and is not listed there.
    expect(report.checks.some((c) => c.id === "bios.vt-d-coherency")).toBe(false);
    const numa = check(report, "sriov.ens1f0.numa");
    expect(numa.status).toBe("warn");
    expect(numa.evidence).toContain("node 2 (CPUs 32-47) has no isolated CPU (no CPUs are isolated)");
    expect(check(report, "hugepages.reserved").evidence).toContain("256 x 1G reserved");
  });

  it("AMD with isolated CPUs on the NIC's node passes locality", () => {
    const facts = withIsolated(buildHostFacts(AMD_EPYC_NPS4), range(34, 47));
    const report = runDoctor(facts);
    expect(check(report, "sriov.ens1f0.numa")).toMatchObject({ status: "pass" });
    expect(check(report, "sriov.ens5f0.numa").status).toBe("warn");
    expect(check(report, "cpu.isolcpus.siblings").evidence).toContain("34/35");
  });

  it("SMT off: SMT passes and no sibling can be split", () => {
    const facts = withIsolated(buildHostFacts(SMT_OFF), range(1, 8));
    const report = runDoctor(facts);
    expect(check(report, "cpu.smt")).toMatchObject({ status: "pass" });
    expect(check(report, "cpu.smt").evidence).toContain("32 CPUs on 32 cores");
    expect(check(report, "cpu.isolcpus.siblings").evidence).toBe(
      "one thread per core: no sibling can be split",
    );
    expect(check(report, "sriov.ens2f0.mtu").status).toBe("warn");
    expect(check(report, "sriov.ens2f0.mtu").fix).toContain(
      "nmcli connection modify ens2f0 ethernet.mtu 9216",
    );
  });

  it("no 1G pages: warns on support, audits the 2M pool instead, default 2M is right", () => {
    const report = runDoctor(buildHostFacts(SINGLE_NODE_NO_1G));
    expect(check(report, "hugepages.1g-support").status).toBe("warn");
    expect(check(report, "hugepages.reserved")).toMatchObject({
      status: "pass",
      title: "2M hugepages reserved",
    });
    expect(check(report, "hugepages.reserved").evidence).toContain("4096 x 2M reserved");
    expect(check(report, "hugepages.default-size").status).toBe("pass");
    expect(check(report, "hugepages.mount").title).toContain("pagesize=2M");
  });

  it("1G-capable host with nothing reserved: warns and gives per-node runtime and boot fixes", () => {
    const facts = buildHostFacts(SEED_C240M5);
    for (const n of facts.nodes) n.hugepages["1048576"] = { total: 0, free: 0 };
    facts.kernel.hugepages = [];
    facts.kernel.defaultHugepageKiB = null;
    const report = runDoctor(facts);
    const c = check(report, "hugepages.reserved");
    expect(c.status).toBe("warn");
    expect(c.fix).toContain(
      "echo 16 > /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages",
    );
    expect(c.fix).toContain("hugepages=32");
    expect(check(report, "hugepages.default-size").status).toBe("warn");
    expect(report.checks.some((x) => x.id === "hugepages.node0")).toBe(false);
  });

  it("one node without 1G pages is a warning naming that node", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.nodes[1]!.hugepages["1048576"] = { total: 0, free: 0 };
    const c = check(runDoctor(facts), "hugepages.node1");
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("routers pinned to node 1 cannot get 1G pages");
  });

  it("kernel asked for more pages than it got", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.nodes[0]!.hugepages["1048576"] = { total: 14, free: 14 };
    const c = check(runDoctor(facts), "hugepages.reserved");
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("only 30 of the 32 pages");
  });
});

describe("virt-host-validate qemu parity", () => {
  const VHV_IDS = [
    "virt.cpu",
    "virt.kvm-device",
    "virt.kvm-access",
    "virt.vhost-net",
    "virt.tun",
    "virt.cgroup.memory",
    "virt.cgroup.cpu",
    "virt.cgroup.cpuacct",
    "virt.cgroup.cpuset",
    "virt.cgroup.devices",
    "virt.cgroup.blkio",
    "iommu.firmware",
    "iommu.kernel",
    "virt.secure-guest",
  ];

  function liveLike(): HostFacts {
    const facts = buildHostFacts(SEED_C240M5);
    facts.root = "/";
    facts.devices = { kvm: true, vhostNet: false, vfio: true, kvmAccessible: false, tun: false };
    facts.cgroups = {
      version: 2,
      controllers: ["cpu", "cpuset", "io", "pids"],
      evidence: "/sys/fs/cgroup/cgroup.controllers",
    };
    return facts;
  }

  it("covers every QEMU check of virt-host-validate", () => {
    const ids = new Set(runDoctor(liveLike()).checks.map((c) => c.id));
    for (const id of VHV_IDS) expect(ids.has(id), id).toBe(true);
  });

  it("grades devices as virt-host-validate does: kvm access and tun fail, vhost-net warns", () => {
    const report = runDoctor(liveLike());
    expect(check(report, "virt.kvm-access").status).toBe("fail");
    expect(check(report, "virt.tun")).toMatchObject({
      status: "fail",
      fix: "modprobe tun\necho tun > /etc/modules-load.d/tun.conf",
    });
    expect(check(report, "virt.vhost-net").status).toBe("warn");
    expect(check(report, "virt.vhost-net").fix).toContain("modprobe vhost_net");
  });

  it("maps cgroup v2: cpuacct via cpu, blkio via io, devices via BPF, memory missing warns", () => {
    const report = runDoctor(liveLike());
    expect(check(report, "virt.cgroup.cpuacct")).toMatchObject({ status: "pass" });
    expect(check(report, "virt.cgroup.cpuacct").evidence).toContain("v2 'cpu' controller");
    expect(check(report, "virt.cgroup.blkio").evidence).toContain("v2 'io' controller");
    expect(check(report, "virt.cgroup.devices").status).toBe("pass");
    expect(check(report, "virt.cgroup.memory").status).toBe("warn");
  });

  it("missing DMAR table fails with the BIOS fix; a live host without libvirt fails with the install fix", () => {
    const facts = liveLike();
    facts.kernel.iommu.acpiTables = [];
    facts.os = { id: "rocky", version: "9.3", pretty: null, like: ["rhel", "centos", "fedora"] };
    const report = runDoctor(facts);
    expect(check(report, "iommu.firmware")).toMatchObject({ status: "fail" });
    expect(check(report, "iommu.firmware").fix).toContain("Intel VT-d = Enabled");
    expect(check(report, "virt.libvirt")).toMatchObject({
      status: "fail",
      fix: "dnf install -y libvirt virt-install",
    });
  });

  it("no vmx/svm is a failure", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.cpu.virtualization = null;
    expect(check(runDoctor(facts), "virt.cpu").status).toBe("fail");
  });

  it("judges a snapshot's recorded devices and versions as live; says 'not recorded' only for what is", () => {
    // What discovery gives for a snapshot whose nfvhost-snapshot.json recorded a host without
    // libvirt but with QEMU, /dev/kvm and no /dev/vhost-net; /dev/net/tun not recorded.
    const facts = buildHostFacts(SEED_C240M5);
    facts.root = "/tmp/bug-report.tar.gz";
    facts.qemu = { version: "8.2.2", evidence: "qemu-system-x86_64 --version: QEMU emulator version 8.2.2" };
    facts.devices = { kvm: true, vhostNet: false, vfio: true, kvmAccessible: true, tun: null };
    facts.notRecorded = ["devices.tun"];
    const report = runDoctor(facts);
    expect(check(report, "virt.libvirt")).toMatchObject({ status: "fail" });
    expect(check(report, "virt.libvirt").fix).toContain("install -y libvirt");
    expect(check(report, "virt.qemu")).toMatchObject({ status: "pass" });
    expect(check(report, "virt.kvm-device").status).toBe("pass");
    expect(check(report, "virt.kvm-access").status).toBe("pass");
    expect(check(report, "virt.vhost-net").status).toBe("warn");
    expect(check(report, "virt.tun")).toMatchObject({ status: "info" });
    expect(check(report, "virt.tun").evidence).toMatch(/^not recorded: .*nfvhost-snapshot\.json/);
    // The same facts without the record of libvirt: unknown, never a false failure.
    facts.notRecorded.push("libvirt");
    expect(check(runDoctor(facts), "virt.libvirt")).toMatchObject({ status: "info" });
    expect(check(runDoctor(facts), "virt.libvirt").evidence).toMatch(/^not recorded in this snapshot/);
  });
});

describe("OS services, sysctl, power", () => {
  it("SELinux enforcing on EL9 gets the seed sed plus selinux=0; firewalld active gets the seed's stop/disable and warning", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.os = { id: "rhel", version: "9.4", pretty: null, like: ["fedora"] };
    facts.selinux = { configured: "enforcing", current: "enforcing" };
    facts.firewalld = {
      installed: true,
      enabled: true,
      active: true,
      evidence: "systemctl is-active firewalld: active",
    };
    const report = runDoctor(facts);
    const se = check(report, "os.selinux");
    expect(se.status).toBe("warn");
    expect(se.fix).toContain("sed -i 's/SELINUX=enforcing/SELINUX=disabled/g' /etc/selinux/config");
    expect(se.fix).toContain("grubby --update-kernel=ALL --args=selinux=0");
    const fw = check(report, "os.firewalld");
    expect(fw.status).toBe("warn");
    expect(fw.fix).toContain("systemctl stop firewalld\nsystemctl disable firewalld");
    expect(fw.fix).toContain("switch");
  });

  it("wrong sysctl values warn with an /etc/sysctl.d file and sysctl --system", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.sysctl = { "net.ipv4.ip_forward": "0", "net.bridge.bridge-nf-call-iptables": "1" };
    const report = runDoctor(facts);
    const fwd = check(report, "sysctl.net.ipv4.ip_forward");
    expect(fwd.status).toBe("warn");
    expect(fwd.fix).toBe("echo 'net.ipv4.ip_forward = 1' >> /etc/sysctl.d/90-nfvhost.conf\nsysctl --system");
    expect(check(report, "sysctl.net.bridge.bridge-nf-call-iptables").status).toBe("warn");
    expect(check(report, "sysctl.net.bridge.bridge-nf-call-arptables").status).toBe("info");
  });

  it("governor and C-states: warn when visible and wrong, pass when right, info when invisible", () => {
    const facts = buildHostFacts(SEED_C240M5);
    expect(check(runDoctor(facts), "power.governor").status).toBe("info");
    facts.governors = { powersave: range(0, 71) };
    facts.cstates = [{ cpus: range(0, 71), states: ["POLL", "C1", "C1E", "C6"] }];
    let report = runDoctor(facts);
    expect(check(report, "power.governor").status).toBe("warn");
    expect(check(report, "power.governor").evidence).toContain("isolated CPU 1-8,37-44 not on performance");
    expect(check(report, "power.cstates").status).toBe("warn");
    expect(check(report, "power.cstates").evidence).toContain("C1E, C6 enabled");
    facts.governors = { performance: range(0, 71) };
    facts.cstates = [{ cpus: range(0, 71), states: ["POLL", "C1"] }];
    report = runDoctor(facts);
    expect(check(report, "power.governor").status).toBe("pass");
    expect(check(report, "power.cstates").status).toBe("pass");
  });

  it("THP always is info with the madvise advice", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.thp = { enabled: "always", defrag: null };
    const c = check(runDoctor(facts), "memory.thp");
    expect(c.status).toBe("info");
    expect(c.fix).toContain("echo madvise > /sys/kernel/mm/transparent_hugepage/enabled");
  });

  it("lists the whole seed BIOS table: what Linux sees checked, the rest unverifiable info", () => {
    const report = runDoctor(buildHostFacts(SEED_C240M5));
    const bios = report.checks.filter((c) => c.area === "bios");
    expect(bios).toHaveLength(19);
    const checked = ["bios.enabled-cores", "bios.execute-disable", "bios.turbo-boost", "bios.c6", "bios.c1e"];
    for (const c of bios.filter((x) => !checked.includes(x.id))) {
      expect(c.status).toBe("info");
      expect(c.evidence).toMatch(/^UNVERIFIABLE from Linux/);
    }
    expect(check(report, "bios.execute-disable").status).toBe("pass");
    expect(check(report, "bios.hyper-threading").title).toBe(
      "[manual] Intel Hyper-Threading Technology = Disabled",
    );
    expect(check(report, "bios.p-state-coordination").title).toContain("HW_ALL");
  });
});

describe("doctor on this live machine", () => {
  it("runs without error and reports every area", async () => {
    const report = runDoctor(await discoverHost());
    expect(report.checks.length).toBeGreaterThan(40);
    for (const area of ["virtualization", "iommu", "hugepages", "cpu", "power", "os", "sysctl", "bios"]) {
      expect(
        report.checks.some((c) => c.area === area),
        area,
      ).toBe(true);
    }
    // This machine runs libvirt and QEMU (CI starts libvirtd), so their versions are seen.
    expect(check(report, "virt.libvirt").status).toBe("pass");
    expect(check(report, "virt.qemu").status).toBe("pass");
  });
});

describe("docs/doctor.md", () => {
  it("documents every check id doctor can emit", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync("docs/doctor.md", "utf8");
    const reports = [
      runDoctor(await discoverHost({ root: SEED_ROOT })),
      runDoctor(await discoverHost()),
      ...[SEED_C240M5, AMD_EPYC_NPS4, SMT_OFF, ADJACENT_OFFLINE, SINGLE_NODE_NO_1G].map((s) =>
        runDoctor(withIsolated(buildHostFacts(s), [1])),
      ),
    ];
    const ids = new Set(
      reports.flatMap((r) =>
        r.checks.map((c) =>
          c.id.replace(/^hugepages\.node\d+$/, "hugepages.node<N>").replace(/^sriov\.[^.]+\./, "sriov.<pf>."),
        ),
      ),
    );
    expect(ids.size).toBeGreaterThan(50);
    for (const id of ids) expect(doc, id).toContain(`\`${id}\``);
  });
});

describe("SELinux states", () => {
  it("disabled in the config but still loaded: reboot pending", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.selinux = { configured: "disabled", current: "enforcing" };
    expect(check(runDoctor(facts), "os.selinux")).toMatchObject({ status: "warn", fix: "reboot" });
    facts.selinux = { configured: "disabled", current: "permissive" };
    expect(check(runDoctor(facts), "os.selinux")).toMatchObject({ status: "info", fix: "reboot" });
    facts.selinux = { configured: "disabled", current: null };
    expect(check(runDoctor(facts), "os.selinux").status).toBe("pass");
  });
});

describe("locked guest memory", () => {
  it("warns when RLIMIT_MEMLOCK is capped and CAP_SYS_RESOURCE is missing (this CI container's case)", () => {
    const facts = buildHostFacts(SEED_C240M5);
    facts.memlock = {
      hardKiB: 8192,
      capSysResource: false,
      evidence: "/proc/self/limits, /proc/self/status CapEff",
    };
    const c = check(runDoctor(facts), "virt.memlock");
    expect(c.status).toBe("warn");
    expect(c.evidence).toContain("RLIMIT_MEMLOCK hard 8192 KiB, CAP_SYS_RESOURCE absent");
    expect(c.fix).toContain("LimitMEMLOCK=infinity");
    facts.memlock = { hardKiB: null, capSysResource: false, evidence: "x" };
    expect(check(runDoctor(facts), "virt.memlock").status).toBe("pass");
    facts.memlock = { hardKiB: 8192, capSysResource: true, evidence: "x" };
    expect(check(runDoctor(facts), "virt.memlock").status).toBe("pass");
    delete facts.memlock;
    expect(check(runDoctor(facts), "virt.memlock").status).toBe("info");
  });
});

describe("isolcpus with nothing valid left", () => {
  it("isolating only CPU 0 fails and the fix removes isolcpus altogether", () => {
    const facts = buildHostFacts(SMT_OFF);
    facts.os = { id: "almalinux", version: "9.2", pretty: null, like: ["rhel", "centos", "fedora"] };
    const c = check(runDoctor(withIsolated(facts, [0])), "cpu.isolcpus.cpu0");
    expect(c.status).toBe("fail");
    expect(c.fix).toBe('grubby --update-kernel=ALL --remove-args="isolcpus"\nreboot');
  });
});
