import { describe, expect, it } from "vitest";
import { planKernelArgs } from "./kernelArgs.js";

const base = {
  vendor: "intel" as const,
  pageSizeKiB: 1048576,
  bootPages: 32,
  isolated: [1, 2, 3, 37, 38, 39],
  nohzFull: false,
};

describe("kernel arguments against /proc/cmdline", () => {
  it("compares by meaning: page sizes, CPU lists, isolcpus flags", () => {
    const plan = planKernelArgs({
      ...base,
      cmdline:
        "ro quiet hugepagesz=2M hugepages=512 hugepagesz=1048576K hugepages=32 default_hugepagesz=1024M intel_iommu=on iommu=pt isolcpus=domain,managed_irq,1-3,37,38,39",
    });
    expect(plan.line).toBe(
      "hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-3,37-39",
    );
    expect(plan.changes).toEqual([]);
    expect(plan.needsReboot).toBe(false);
  });

  it("reads hugepages= of the matching hugepagesz= only", () => {
    const plan = planKernelArgs({
      ...base,
      cmdline: "hugepagesz=1G hugepages=16 hugepagesz=2M hugepages=32",
    });
    expect(plan.changes).toContainEqual({ key: "hugepages", want: "32", have: "16" });
  });

  it("lists missing and different arguments, and isolation to drop", () => {
    const plan = planKernelArgs({
      ...base,
      isolated: [],
      cmdline: "ro amd_iommu=on nohz_full=4-7",
    });
    expect(plan.changes).toEqual([
      { key: "hugepagesz", want: "1G", have: null },
      { key: "hugepages", want: "32", have: null },
      { key: "default_hugepagesz", want: "1G", have: null },
      { key: "intel_iommu", want: "on", have: null },
      { key: "iommu", want: "pt", have: null },
      { key: "nohz_full", want: null, have: "4-7" },
    ]);
    expect(plan.needsReboot).toBe(true);
  });

  it("leaves the hugepage arguments out when the plan reserves none at boot", () => {
    const plan = planKernelArgs({ ...base, bootPages: 0, isolated: [], cmdline: "" });
    expect(plan.line).toBe("intel_iommu=on iommu=pt");
  });
});
