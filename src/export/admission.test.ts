import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { admissionProblems, quantityBytes } from "./admission.js";
import type { K8sObject } from "./k8s-model.js";

function objects(example: string): K8sObject[] {
  const text = readFileSync(
    new URL(`../../test/golden/export/${example}.kubevirt.txt`, import.meta.url),
    "utf8",
  );
  return text
    .split(/^=== /m)
    .slice(1)
    .filter((p) => /^\S+\.yaml /.test(p))
    .map((p) => parse(p.split("\n").slice(1).join("\n"), { version: "1.1" }) as K8sObject)
    .filter((o) => (o.kind as string) !== "KubeletConfiguration");
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function withVm(example: string, name: string, change: (vm: Any) => void): string[] {
  const objs = objects(example).map((o) => structuredClone(o));
  const vm = objs.find((o) => o.kind === "VirtualMachine" && o.metadata.name === name) as Any;
  change(vm);
  return admissionProblems(objs);
}

describe("admission rules", () => {
  it("every example's export passes", () => {
    for (const ex of [
      "seed-csr1kv",
      "multi-vnf-sriov",
      "generic-qcow2",
      "amd-epyc-routers",
      "c8000v-autonomous",
    ]) {
      expect(admissionProblems(objects(ex)), ex).toEqual([]);
    }
  });

  it("isolateEmulatorThread needs dedicated CPUs", () => {
    const p = withVm(
      "seed-csr1kv",
      "csr1kv-1",
      (vm) => delete vm.spec.template.spec.domain.cpu.dedicatedCpuPlacement,
    );
    expect(p).toContain(
      "VirtualMachine csr1kv-1: spec.template.spec.domain.cpu.isolateEmulatorThread: true needs dedicatedCpuPlacement: true (KubeVirt rejects it otherwise)",
    );
  });

  it("NUMA passthrough needs dedicated CPUs and hugepages", () => {
    const p = withVm("seed-csr1kv", "csr1kv-1", (vm) => delete vm.spec.template.spec.domain.memory.hugepages);
    expect(p).toEqual([
      "VirtualMachine csr1kv-1: spec.template.spec.domain.cpu.numa.guestMappingPassthrough needs domain.memory.hugepages",
    ]);
  });

  it("memory a multiple of the page size", () => {
    const p = withVm(
      "seed-csr1kv",
      "csr1kv-1",
      (vm) => (vm.spec.template.spec.domain.memory.guest = "8704Mi"),
    );
    expect(p).toEqual([
      "VirtualMachine csr1kv-1: spec.template.spec.domain.memory.guest: 8704Mi is not a multiple of the hugepage size 1Gi",
    ]);
  });

  it("sockets x cores x threads = the planned vCPUs", () => {
    const p = withVm("seed-csr1kv", "csr1kv-1", (vm) => (vm.spec.template.spec.domain.cpu.threads = 2));
    expect(p).toEqual([
      "VirtualMachine csr1kv-1: spec.template.spec.domain.cpu: sockets x cores x threads = 1 x 8 x 2 = 16, the plan has 8 vCPUs",
    ]);
  });

  it("every network has an interface, every interface a network", () => {
    const p = withVm("seed-csr1kv", "csr1kv-1", (vm) =>
      vm.spec.template.spec.domain.devices.interfaces.pop(),
    );
    expect(p).toEqual([
      "VirtualMachine csr1kv-1: spec.template.spec.networks: network gi2 has no interface of that name",
    ]);
  });

  it("an SR-IOV VM is never live-migrated, and its networks exist", () => {
    const p = withVm("seed-csr1kv", "csr1kv-1", (vm) => {
      delete vm.spec.template.spec.evictionStrategy;
      vm.spec.template.spec.networks[0].multus.networkName = "nfv/missing";
    });
    expect(p).toEqual([
      "VirtualMachine csr1kv-1: spec.template.spec.evictionStrategy: an SR-IOV VM needs None (live migration unplugs the VF)",
      "VirtualMachine csr1kv-1: network gi1 names nfv/missing, which the export does not define",
    ]);
  });

  it("PerformanceProfile: reserved and isolated CPUs do not overlap", () => {
    const objs = objects("seed-csr1kv").map((o) => structuredClone(o));
    const pp = objs.find((o) => o.kind === "PerformanceProfile") as Any;
    pp.spec.cpu.reserved = "0-1";
    expect(admissionProblems(objs)).toEqual([
      "PerformanceProfile seed-csr1kv: spec.cpu: CPUs 1 are both reserved and isolated",
    ]);
  });

  it("reads quantities as KubeVirt does", () => {
    expect(quantityBytes("8Gi")).toBe(8 * 2 ** 30);
    expect(quantityBytes("2Mi")).toBe(2 * 2 ** 20);
    expect(quantityBytes("1G")).toBe(1e9);
    expect(quantityBytes("eight")).toBeNull();
  });
});
