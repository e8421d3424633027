/**
 * A small planned VNF for unit tests of the libvirt renderers (the full seed plan lives in
 * test/fixtures/render/): 2 vCPUs on CPUs 2-3, emulator on 38-39, 2 GiB in 1 GiB pages on node 0,
 * one macvtap NIC.
 */
import type { VnfPlan } from "../../plan/types.js";

export function sampleVnf(overrides: Partial<VnfPlan> = {}): VnfPlan {
  return {
    name: "r1",
    kind: "c8000v",
    image: "/var/lib/libvirt/images/r1.qcow2",
    node: 0,
    vcpus: 2,
    threadPolicy: "isolate",
    vcpuPins: [2, 3],
    emulatorCpus: [38, 39],
    memory: { KiB: 2097152, pageSizeKiB: 1048576, pages: 2, node: 0, mode: "strict" },
    interfaces: [
      {
        index: 0,
        guestName: "GigabitEthernet1",
        mac: "52:54:00:aa:bb:01",
        model: "virtio",
        type: "macvtap",
        dev: "eno1",
        mode: "bridge",
      },
    ],
    lab: false,
    autostart: false,
    existing: false,
    ...overrides,
  };
}
