import type { DeployedVnf, VnfPlan } from "./types.js";

/** A planned VNF as it runs once applied: what the next re-plan must not move. */
export function deployedFromPlan(v: VnfPlan): DeployedVnf {
  return {
    name: v.name,
    node: v.node,
    vcpuPins: [...v.vcpuPins],
    emulatorCpus: [...v.emulatorCpus],
    memoryKiB: v.memory.KiB,
    pageSizeKiB: v.memory.pageSizeKiB,
    vfs: v.interfaces.flatMap((i) =>
      i.type === "sriov-pool" || i.type === "sriov-hostdev" ? [i.vf.pci] : [],
    ),
    macs: v.interfaces.map((i) => i.mac),
  };
}
