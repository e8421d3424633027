/**
 * The degradation report: one test per kind of line, on the example deployments where the plan
 * makes that guarantee, for both engines; and the line format scripts may rely on.
 */
import { describe, expect, it } from "vitest";
import { degradations, formatDegradation } from "../../src/export/degradation.js";
import { extraSpecs } from "../../src/export/openstack.js";
import type { Degradation, DegradationKind, Engine, ExportInput } from "../../src/export/types.js";
import { exampleHost, exampleInput, EXPORT_ENV } from "./inputs.js";

const ENGINES: Engine[] = ["kubevirt", "openstack"];
const LINE = /^(\S+): nfvhost guarantees (.+); (KubeVirt|OpenStack) gives (.+); fix: (.+)$/;

function find(ds: Degradation[], kind: DegradationKind, path: string): Degradation | undefined {
  return ds.find((d) => d.kind === kind && d.path === path);
}

async function lines(name: string, engine: Engine): Promise<Degradation[]> {
  return degradations(engine, await exampleInput(name));
}

describe("line format", () => {
  it("PATH: nfvhost guarantees X; ENGINE gives Y; fix: Z, for every line of every example", async () => {
    for (const name of [
      "seed-csr1kv",
      "multi-vnf-sriov",
      "generic-qcow2",
      "amd-epyc-routers",
      "c8000v-autonomous",
    ]) {
      for (const engine of ENGINES) {
        for (const d of await lines(name, engine)) {
          const m = LINE.exec(formatDegradation(d));
          expect(m, formatDegradation(d)).not.toBeNull();
          expect(m![1]).toBe(d.path);
          expect(m![3]).toBe(engine === "kubevirt" ? "KubeVirt" : "OpenStack");
          expect(d.gives).not.toBe("");
          expect(d.fix).not.toBe("");
        }
      }
    }
  });

  it("is stable: the same input gives the same lines in the same order", async () => {
    const a = (await lines("multi-vnf-sriov", "kubevirt")).map(formatDegradation);
    const b = (await lines("multi-vnf-sriov", "kubevirt")).map(formatDegradation);
    expect(a).toEqual(b);
  });
});

describe.each(ENGINES)("%s", (engine) => {
  it("cpu-pinning: the exact host CPUs of every vCPU and the emulator threads", async () => {
    const d = find(await lines("seed-csr1kv", engine), "cpu-pinning", "vnfs.csr1kv-1.vcpus");
    expect(d?.guarantees).toContain("0->1,1->2,2->3,3->4,4->5,5->6,6->7,7->8");
    expect(d?.guarantees).toContain("emulator threads on 37-44");
    expect(d?.gives).toMatch(engine === "kubevirt" ? /static CPU manager/ : /cpu_dedicated_set/);
  });

  it("thread-isolate: only for thread-policy isolate, with what the engine costs instead", async () => {
    const ds = await lines("multi-vnf-sriov", engine);
    const d = find(ds, "thread-isolate", "vnfs.csr-a.thread-policy");
    expect(d?.guarantees).toContain("emulator threads on those cores' sibling threads (38-41)");
    expect(d?.gives).toMatch(engine === "kubevirt" ? /1-2 more CPUs/ : /without SMT/);
    expect(find(ds, "thread-isolate", "vnfs.csr-b.thread-policy")).toBeUndefined(); // require
  });

  it("numa-node: the node nfvhost chose", async () => {
    const d = find(await lines("amd-epyc-routers", engine), "numa-node", "vnfs.edge-2.node");
    const host = await exampleHost("amd-epyc-routers");
    const node = host.plan.vnfs.find((v) => v.name === "edge-2")!.node;
    expect(d?.guarantees).toMatch(
      new RegExp(`^NUMA node ${node} for vCPUs, memory \\(strict, 1 GiB pages\\) and VFs$`),
    );
    expect(d?.gives).toMatch(/picks which/);
  });

  it("exact-vf: an explicit VF (pf: with its index), not a VF from a pool", async () => {
    const ds = await lines("multi-vnf-sriov", engine);
    expect(find(ds, "exact-vf", "vnfs.csr-a.interfaces[2].pf")?.guarantees).toBe(
      "VF 0 of eno1 (0000:3b:10.0)",
    );
    expect(find(ds, "exact-vf", "vnfs.csr-a.interfaces[1].pf")).toBeUndefined(); // eno2-pool
    expect(find(ds, "exact-vf", "vnfs.csr-a.interfaces[2].pf")?.fix).toMatch(
      engine === "kubevirt" ? /"eno1#0-0"/ : /"address": "0000:3b:10.0"/,
    );
  });

  it("vf-admin-mac: the admin MAC of VF n, as the seed sets them", async () => {
    const d = find(await lines("seed-csr1kv", engine), "vf-admin-mac", "host.sriov.eno2.macs");
    expect(d?.guarantees).toBe(
      "admin MACs of eno2's VFs: VF 0 8e:df:08:c1:d1:de, VF 1 5a:b9:2f:99:a6:ce, VF 2 46:78:69:e3:71:3d, VF 3 7e:a7:db:3b:1b:b3",
    );
  });

  it("vlan-budget: the driver's VLAN limit per PF where the plan uses VLANs", async () => {
    const ds = await lines("multi-vnf-sriov", engine);
    expect(find(ds, "vlan-budget", "host.sriov.eno1")?.guarantees).toBe(
      "at most 64 VLANs on eno1 (ixgbe limit), checked when planning; this plan uses 2",
    );
    expect(find(await lines("seed-csr1kv", engine), "vlan-budget", "host.sriov.eno2")).toBeUndefined(); // no VLANs
  });

  it("host-tuning: what the engine does not manage on the host", async () => {
    const ds = await lines("seed-csr1kv", engine);
    expect(find(ds, "host-tuning", "host.sysctl.net.ipv4.ip_forward")?.guarantees).toBe(
      "sysctl net.ipv4.ip_forward=1",
    );
    expect(find(ds, "host-tuning", "host.bridges.br1")?.guarantees).toBe(
      "Linux bridge br1 with ports eno5, MTU 9216",
    );
    // The PerformanceProfile sets kernel arguments and pages; Nova sets neither.
    const kernel = find(ds, "host-tuning", "host.cpus");
    if (engine === "kubevirt") expect(kernel).toBeUndefined();
    else expect(kernel?.guarantees).toContain("isolcpus=1-8,37-44");
  });

  it("lab-emulation and direct-boot: a lab VNF with a kernel on the host", async () => {
    const ds = await lines("generic-qcow2", engine);
    expect(find(ds, "lab-emulation", "vnfs.tiny-lab.lab")).toBeDefined();
    expect(find(ds, "direct-boot", "vnfs.tiny-lab.boot")?.guarantees).toBe(
      "direct kernel boot from /var/lib/nfvhost/lab/vmlinuz on the host",
    );
    expect(find(ds, "lab-emulation", "vnfs.fw-1.lab")).toBeUndefined();
  });
});

describe("locked-memory", () => {
  it("KubeVirt loses <locked/>; OpenStack keeps it with hw:locked_memory", async () => {
    expect(
      find(await lines("seed-csr1kv", "kubevirt"), "locked-memory", "vnfs.csr1kv-1.memory")?.guarantees,
    ).toBe("guest memory locked in RAM (<locked/>), never swapped");
    expect((await lines("seed-csr1kv", "openstack")).some((d) => d.kind === "locked-memory")).toBe(false);
    const host = await exampleHost("seed-csr1kv");
    expect(extraSpecs(host.plan.vnfs[0]!, host.plan, true)["hw:locked_memory"]).toBe("true");
  });
});

describe("thread policy on OpenStack", () => {
  it("isolate becomes require on an SMT host (Nova's isolate excludes SMT hosts), stays isolate without SMT", async () => {
    const host = await exampleHost("seed-csr1kv");
    const vnf = host.plan.vnfs[0]!;
    expect(extraSpecs(vnf, host.plan, true)["hw:cpu_thread_policy"]).toBe("require");
    expect(extraSpecs(vnf, host.plan, false)["hw:cpu_thread_policy"]).toBe("isolate");
    expect(extraSpecs(vnf, host.plan, true)["hw:emulator_threads_policy"]).toBe("isolate");
  });
});

describe("fleet paths", () => {
  it("host lines name the host when the deployment has several", async () => {
    const a = await exampleHost("seed-csr1kv", "edge-a");
    const b = await exampleHost("multi-vnf-sriov", "edge-b");
    const input: ExportInput = { name: "fleet", hosts: [a, b], env: EXPORT_ENV, saltSeed: "t" };
    const ds = degradations("kubevirt", input);
    expect(find(ds, "vf-admin-mac", "hosts.edge-a.sriov.eno2.macs")).toBeDefined();
    expect(find(ds, "vlan-budget", "hosts.edge-b.sriov.eno1")).toBeDefined();
    expect(ds.some((d) => d.path.startsWith("host."))).toBe(false);
  });
});
