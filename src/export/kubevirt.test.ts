import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exampleInput } from "../../test/export/inputs.js";
import { quantityBytes } from "./admission.js";
import { exportKubevirt, KUBEVIRT_DEFAULTS, quantityKiB } from "./kubevirt.js";

describe("KubeVirt export details", () => {
  it("quantities are exact", () => {
    expect(quantityKiB(8 * 1024 * 1024)).toBe("8Gi");
    expect(quantityKiB(3072 * 1024)).toBe("3Gi");
    expect(quantityKiB(1536 * 1024)).toBe("1536Mi");
    expect(quantityKiB(1000)).toBe("1000Ki");
  });

  it("the kubelet snippet's Static memory manager numbers add up (reservedMemory = systemReserved + eviction)", async () => {
    const r = exportKubevirt(await exampleInput("seed-csr1kv"), KUBEVIRT_DEFAULTS);
    const k = parse(r.files.find((f) => f.path.endsWith("kubelet-config.yaml"))!.content);
    const reserved = k.reservedMemory.reduce(
      (s: number, r: { limits: { memory: string } }) => s + quantityBytes(r.limits.memory)!,
      0,
    );
    expect(reserved).toBe(
      quantityBytes(k.systemReserved.memory)! + quantityBytes(k.evictionHard["memory.available"])!,
    );
    expect(k.reservedSystemCPUs).toBe("0,9-36,45-71");
  });

  it("writes on/off quoted, so Kubernetes' YAML 1.1 parser keeps them strings", async () => {
    const r = exportKubevirt(await exampleInput("seed-csr1kv"), KUBEVIRT_DEFAULTS);
    const net = r.files.find((f) => f.path.startsWith("networks/nfvhost-eno2"))!.content;
    expect(net).toContain('trust: "on"');
    expect(parse(net, { version: "1.1" }).spec.trust).toBe("on");
  });

  it("refuses a VNF name that is not a Kubernetes name, suggesting one", async () => {
    const input = await exampleInput("seed-csr1kv");
    input.hosts[0]!.plan.vnfs[0]!.name = "CSR_1";
    expect(() => exportKubevirt(input, KUBEVIRT_DEFAULTS)).toThrow(
      /vnfs\.CSR_1.*fix: rename the VNF \(e\.g\. "csr-1"\)/,
    );
  });
});

describe("whole cores on SMT nodes", () => {
  it("an odd count of dedicated vCPUs gets the emulator's CPU to complete the last core", async () => {
    const input = await exampleInput("multi-vnf-sriov");
    const vnf = input.hosts[0]!.plan.vnfs.find((v) => v.name === "csr-b")!; // require, emulator on housekeeping
    const vmOf = () =>
      parse(exportKubevirt(input, KUBEVIRT_DEFAULTS).files.find((f) => f.path === "vms/csr-b.yaml")!.content);
    expect(vmOf().spec.template.spec.domain.cpu.isolateEmulatorThread).toBeUndefined();
    vnf.vcpus = 3;
    vnf.vcpuPins = [6, 42, 7];
    const cpu = vmOf().spec.template.spec.domain.cpu;
    expect(cpu).toMatchObject({
      cores: 3,
      threads: 1,
      dedicatedCpuPlacement: true,
      isolateEmulatorThread: true,
    });
    expect(vmOf().spec.template.metadata.annotations).toHaveProperty([
      "alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity",
    ]);
  });
});
