import { describe, expect, it } from "vitest";
import type { VfPlan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { buildDomain, pciAddressOf, renderDomainXml, type DomainContext } from "./domain.js";
import { sampleVnf } from "./testing.js";

const kvm: DomainContext = { accel: "kvm", lockedMemory: true };
const vf: VfPlan = {
  pf: "eno2",
  pfPci: "0000:3b:00.1",
  index: 0,
  pci: "0000:3b:10.1",
  name: null,
  mac: "8e:df:08:c1:d1:de",
  trust: true,
  spoofchk: true,
};

function nfvError(fn: () => unknown): NfvError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NfvError) return e;
    throw e;
  }
  throw new Error("expected an NfvError");
}

describe("buildDomain tuning", () => {
  it("carries the plan's pins, memory and node as the seed writes them", () => {
    const d = buildDomain(sampleVnf(), kvm);
    expect(d.type).toBe("kvm");
    expect(d.memoryKiB).toBe(2097152);
    expect(d.currentMemoryKiB).toBe(2097152);
    expect(d.memoryBacking).toEqual({
      hugepages: { pages: [{ sizeKiB: 1048576 }] },
      locked: true,
      nosharepages: true,
    });
    expect(d.vcpu).toEqual({ placement: "static", count: 2 });
    expect(d.cputune).toEqual({
      vcpupins: [
        { vcpu: 0, cpuset: "2" },
        { vcpu: 1, cpuset: "3" },
      ],
      emulatorpin: { cpuset: "38-39" },
    });
    expect(d.numatune).toEqual({ memory: { mode: "strict", nodeset: "0" } });
    expect(d.cpu).toEqual({ mode: "host-passthrough", check: "none" });
    expect(d.devices.memballoon).toEqual({ model: "none" });
    expect(d.devices.graphics).toEqual([]);
    expect(d.devices.controllers).toEqual([{ type: "usb", index: 0, model: "none" }]);
  });

  it("formats non-contiguous emulator CPUs as a cpuset and leaves emulatorpin out when none", () => {
    expect(buildDomain(sampleVnf({ emulatorCpus: [37, 39, 40] }), kvm).cputune?.emulatorpin).toEqual({
      cpuset: "37,39-40",
    });
    expect(buildDomain(sampleVnf({ emulatorCpus: [] }), kvm).cputune?.emulatorpin).toBeUndefined();
  });

  it("uses a CPU model TCG can emulate for lab domains", () => {
    const d = buildDomain(sampleVnf(), { accel: "qemu", lockedMemory: false });
    expect(d.type).toBe("qemu");
    expect(d.cpu).toEqual({ mode: "maximum", check: "none" });
    expect(d.memoryBacking?.locked).toBeUndefined();
  });

  it("has no <hugepages> for 4 KiB pages", () => {
    const d = buildDomain(
      sampleVnf({ memory: { KiB: 1048576, pageSizeKiB: 4, pages: 262144, node: 1, mode: "strict" } }),
      kvm,
    );
    expect(d.memoryBacking).toEqual({ locked: true, nosharepages: true });
    expect(d.numatune?.memory?.nodeset).toBe("1");
  });

  it("attaches the day-0 ISO as an IDE cdrom on i440fx and a SATA one on q35", () => {
    const iso = "/var/lib/nfvhost/day0/r1.iso";
    expect(buildDomain(sampleVnf(), { ...kvm, day0IsoPath: iso }).devices.disks[1]).toEqual({
      type: "file",
      device: "cdrom",
      driver: { name: "qemu", type: "raw" },
      source: iso,
      target: { dev: "hdc", bus: "ide" },
      readonly: true,
    });
    const q35 = buildDomain(sampleVnf(), { ...kvm, machine: "pc-q35-7.2", day0IsoPath: iso });
    expect(q35.devices.disks[1]?.target).toEqual({ dev: "sda", bus: "sata" });
    expect(q35.os.type.machine).toBe("pc-q35-7.2");
    expect(buildDomain(sampleVnf(), kvm).devices.disks).toHaveLength(1);
  });

  it("boots a kernel directly from the context, else from the plan", () => {
    const fromCtx = buildDomain(sampleVnf(), {
      ...kvm,
      kernel: "/k/vmlinuz",
      initrd: "/k/initrd",
      cmdline: "console=ttyS0",
    });
    expect([fromCtx.os.kernel, fromCtx.os.initrd, fromCtx.os.cmdline]).toEqual([
      "/k/vmlinuz",
      "/k/initrd",
      "console=ttyS0",
    ]);
    const fromPlan = buildDomain(sampleVnf({ boot: { kernel: "/p/vmlinuz", cmdline: "quiet" } }), kvm);
    expect([fromPlan.os.kernel, fromPlan.os.initrd, fromPlan.os.cmdline]).toEqual([
      "/p/vmlinuz",
      undefined,
      "quiet",
    ]);
    expect(buildDomain(sampleVnf(), kvm).os.kernel).toBeUndefined();
  });

  it("logs the serial console to a file when asked, on serial and console alike", () => {
    const d = buildDomain(sampleVnf(), { ...kvm, serialLogPath: "/tmp/r1.log" });
    expect(d.devices.serials[0]?.log).toEqual({ file: "/tmp/r1.log", append: false });
    expect(d.devices.consoles[0]?.log).toEqual({ file: "/tmp/r1.log", append: false });
  });

  it("marks the domain with nfvhost metadata when the topology is known", () => {
    expect(buildDomain(sampleVnf(), { ...kvm, topology: "lab" }).metadata).toEqual({
      topology: "lab",
      vnf: "r1",
    });
    expect(renderDomainXml(sampleVnf(), { ...kvm, topology: "lab" })).toContain(
      '<nfvhost:vnf xmlns:nfvhost="https://nfvhost.dev/xmlns/1" topology="lab" vnf="r1"/>',
    );
  });
});

describe("buildDomain interfaces, in plan order", () => {
  it("renders every interface kind with its MAC (normalised) and model", () => {
    const d = buildDomain(
      sampleVnf({
        kind: "generic",
        interfaces: [
          {
            index: 0,
            guestName: "Gi1",
            mac: "52:54:00:AA:BB:01",
            model: "virtio",
            type: "macvtap",
            dev: "eno1",
            mode: "vepa",
          },
          {
            index: 1,
            guestName: "Gi2",
            mac: "52:54:00:aa:bb:02",
            model: "virtio",
            type: "sriov-pool",
            network: "eno2_sriov_pool",
            vf,
          },
          {
            index: 2,
            guestName: "Gi3",
            mac: "5254.00aa.bb03",
            model: "virtio",
            type: "sriov-hostdev",
            vf: { ...vf, vlan: 10 },
          },
          {
            index: 3,
            guestName: "Gi4",
            mac: "52:54:00:aa:bb:04",
            model: "e1000e",
            type: "bridge",
            bridge: "br1",
          },
          {
            index: 4,
            guestName: "Gi5",
            mac: "52:54:00:aa:bb:05",
            model: "virtio",
            type: "bridge",
            bridge: "br1",
            network: "net-br1",
          },
          {
            index: 5,
            guestName: "Gi6",
            mac: "52:54:00:aa:bb:06",
            model: "vmxnet3",
            type: "network",
            network: "default",
          },
        ],
      }),
      kvm,
    );
    expect(d.devices.interfaces).toEqual([
      { type: "direct", mac: "52:54:00:aa:bb:01", source: { dev: "eno1", mode: "vepa" }, model: "virtio" },
      {
        type: "network",
        mac: "52:54:00:aa:bb:02",
        source: { network: "eno2_sriov_pool" },
        vlanTags: undefined,
        model: "virtio",
      },
      {
        type: "hostdev",
        managed: true,
        mac: "52:54:00:aa:bb:03",
        driver: { name: "vfio" },
        source: { address: { type: "pci", domain: 0, bus: 0x3b, slot: 0x10, function: 1 } },
        vlanTags: [10],
      },
      { type: "bridge", mac: "52:54:00:aa:bb:04", source: { bridge: "br1" }, model: "e1000e" },
      { type: "network", mac: "52:54:00:aa:bb:05", source: { network: "net-br1" }, model: "virtio" },
      { type: "network", mac: "52:54:00:aa:bb:06", source: { network: "default" }, model: "vmxnet3" },
    ]);
  });

  it("reads short and long PCI addresses", () => {
    expect(pciAddressOf("3b:10.7")).toEqual({ type: "pci", domain: 0, bus: 0x3b, slot: 0x10, function: 7 });
    expect(pciAddressOf("0001:AF:1f.0")).toEqual({
      type: "pci",
      domain: 1,
      bus: 0xaf,
      slot: 0x1f,
      function: 0,
    });
  });
});

describe("buildDomain refuses what libvirt or the host would choke on", () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "a domain name with '/'",
      () => buildDomain(sampleVnf({ name: "r1/../x" }), kvm),
      /vnfs\.r1\/\.\.\/x\.name/,
    ],
    [
      "an interface name over 15 characters",
      () =>
        buildDomain(
          sampleVnf({
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "52:54:00:aa:bb:01",
                model: "virtio",
                type: "macvtap",
                dev: "eno1-much-too-long",
                mode: "bridge",
              },
            ],
          }),
          kvm,
        ),
      /interfaces\[0\]\.dev/,
    ],
    [
      "a multicast MAC",
      () =>
        buildDomain(
          sampleVnf({
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "01:00:5e:00:00:01",
                model: "virtio",
                type: "macvtap",
                dev: "eno1",
                mode: "bridge",
              },
            ],
          }),
          kvm,
        ),
      /multicast/,
    ],
    [
      "a bad VF PCI address",
      () =>
        buildDomain(
          sampleVnf({
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "52:54:00:aa:bb:01",
                model: "virtio",
                type: "sriov-hostdev",
                vf: { ...vf, pci: "3b:10" },
              },
            ],
          }),
          kvm,
        ),
      /PCI address/,
    ],
    [
      "a VLAN out of range",
      () =>
        buildDomain(
          sampleVnf({
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "52:54:00:aa:bb:01",
                model: "virtio",
                type: "sriov-hostdev",
                vf: { ...vf, vlan: 4095 },
              },
            ],
          }),
          kvm,
        ),
      /interfaces\[0\]\.vlan/,
    ],
    [
      "an unknown NIC model",
      () =>
        buildDomain(
          sampleVnf({
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "52:54:00:aa:bb:01",
                model: "virtoi",
                type: "macvtap",
                dev: "eno1",
                mode: "bridge",
              },
            ],
          }),
          kvm,
        ),
      /interfaces\[0\]\.model.*"virtoi"; expected a NIC model Cisco Catalyst 8000V supports: virtio, vmxnet3/,
    ],
    [
      "a NIC model the kind does not support (CSR 1000v: virtio only)",
      () =>
        buildDomain(
          sampleVnf({
            kind: "csr1000v",
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "52:54:00:aa:bb:01",
                model: "vmxnet3",
                type: "macvtap",
                dev: "eno1",
                mode: "bridge",
              },
            ],
          }),
          kvm,
        ),
      /"vmxnet3"; expected a NIC model Cisco CSR 1000v supports: virtio/,
    ],
    [
      "a bridge name with a space",
      () =>
        buildDomain(
          sampleVnf({
            interfaces: [
              {
                index: 0,
                guestName: "Gi1",
                mac: "52:54:00:aa:bb:01",
                model: "virtio",
                type: "bridge",
                bridge: "br 1",
              },
            ],
          }),
          kvm,
        ),
      /bridge/,
    ],
    ["fewer pins than vCPUs", () => buildDomain(sampleVnf({ vcpuPins: [2] }), kvm), /vcpuPins/],
    [
      "memory that is not whole pages",
      () =>
        buildDomain(
          sampleVnf({ memory: { KiB: 1572864, pageSizeKiB: 1048576, pages: 1, node: 0, mode: "strict" } }),
          kvm,
        ),
      /whole number of pages/,
    ],
    [
      "a relative image path",
      () => buildDomain(sampleVnf({ image: "images/r1.qcow2" }), kvm),
      /vnfs\.r1\.image/,
    ],
    [
      "an image path with ..",
      () => buildDomain(sampleVnf({ image: "/var/lib/../../etc/shadow" }), kvm),
      /vnfs\.r1\.image/,
    ],
    ["a bad UUID", () => buildDomain(sampleVnf(), { ...kvm, uuid: "not-a-uuid" }), /vnfs\.r1\.uuid/],
    [
      "a machine type with a quote",
      () => buildDomain(sampleVnf(), { ...kvm, machine: "pc'" }),
      /vnfs\.r1\.machine/,
    ],
    ["a relative day-0 ISO", () => buildDomain(sampleVnf(), { ...kvm, day0IsoPath: "day0.iso" }), /day0 ISO/],
    [
      "a kernel command line with a newline",
      () => buildDomain(sampleVnf(), { ...kvm, kernel: "/k", cmdline: "a\nb" }),
      /boot\.cmdline/,
    ],
  ];
  for (const [what, fn, message] of cases) {
    it(what, () => {
      expect(nfvError(fn).message).toMatch(message);
    });
  }
});
