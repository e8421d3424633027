import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NfvError } from "../util/errors.js";
import type { DomainXml, NetworkXml } from "./model.js";
import { domainToXml, networkToXml, parseDomainXml, parseNetworkXml } from "./xml.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SEED_XML = readFileSync(join(REPO, "test/fixtures/render/seed-csr1kv-1.xml"), "utf8");

/** Uses every element and attribute the model has, so build and parse must agree on all of them. */
const everything: DomainXml = {
  type: "kvm",
  name: "r1",
  uuid: "59581018-6387-49df-ab09-2bcf40fc12ba",
  description: "edge router",
  metadata: { topology: "lab", vnf: "r1", digest: "sha256:abc" },
  memoryKiB: 4194304,
  currentMemoryKiB: 4194304,
  memoryBacking: {
    hugepages: { pages: [{ sizeKiB: 1048576, nodeset: "0" }] },
    locked: true,
    nosharepages: true,
  },
  vcpu: { count: 4, placement: "static", cpuset: "2-5", current: 4 },
  cputune: {
    vcpupins: [
      { vcpu: 0, cpuset: "2" },
      { vcpu: 1, cpuset: "3" },
    ],
    emulatorpin: { cpuset: "38-39" },
  },
  numatune: {
    memory: { mode: "strict", nodeset: "0" },
    memnodes: [{ cellid: 0, mode: "strict", nodeset: "0" }],
  },
  os: {
    type: { arch: "x86_64", machine: "pc", value: "hvm" },
    boots: ["hd", "cdrom"],
    kernel: "/k",
    initrd: "/i",
    cmdline: "console=ttyS0",
  },
  features: { acpi: true, apic: true, pae: true },
  cpu: {
    mode: "custom",
    check: "partial",
    match: "exact",
    model: { name: "Skylake-Server-IBRS", fallback: "forbid" },
    topology: { sockets: 1, dies: 1, cores: 2, threads: 2 },
    features: [{ policy: "require", name: "pdpe1gb" }],
  },
  clock: {
    offset: "utc",
    timers: [
      { name: "rtc", tickpolicy: "catchup" },
      { name: "pit", tickpolicy: "delay" },
      { name: "hpet", present: false },
    ],
  },
  onPoweroff: "destroy",
  onReboot: "restart",
  onCrash: "coredump-destroy",
  pm: { suspendToMem: false, suspendToDisk: true },
  devices: {
    emulator: "/usr/bin/qemu-system-x86_64",
    disks: [
      {
        type: "file",
        device: "disk",
        driver: { name: "qemu", type: "qcow2", cache: "none", io: "native" },
        source: "/var/lib/libvirt/images/r1.qcow2",
        target: { dev: "vda", bus: "virtio" },
        alias: "virtio-disk0",
        address: { type: "pci", domain: 0, bus: 0, slot: 7, function: 0 },
      },
      {
        type: "block",
        device: "cdrom",
        driver: { name: "qemu", type: "raw" },
        source: "/dev/sr0",
        target: { dev: "hdc", bus: "ide" },
        readonly: true,
        address: { type: "drive", controller: 0, bus: 1, target: 0, unit: 0 },
      },
    ],
    controllers: [
      { type: "usb", index: 0, model: "none" },
      {
        type: "virtio-serial",
        index: 0,
        address: { type: "pci", domain: 0, bus: 0, slot: 5, function: 0, multifunction: true },
      },
    ],
    interfaces: [
      {
        type: "direct",
        mac: "52:54:00:36:95:f0",
        source: { dev: "eno1", mode: "bridge" },
        target: "macvtap0",
        model: "virtio",
        alias: "net0",
      },
      {
        type: "network",
        mac: "52:54:00:2d:87:99",
        source: { network: "pool", portgroup: "pg" },
        vlanTags: [10, 20],
        model: "virtio",
        driver: { name: "vhost", queues: 4 },
        mtu: 9000,
      },
      { type: "bridge", source: { bridge: "br1" }, model: "e1000e" },
      {
        type: "hostdev",
        managed: true,
        mac: "52:54:00:2d:87:9a",
        driver: { name: "vfio" },
        source: { address: { type: "pci", domain: 0, bus: 0x3b, slot: 0x10, function: 1 } },
        vlanTags: [100],
        address: { type: "other", addressType: "ccw", attrs: { bus: "0" } },
      },
    ],
    serials: [
      {
        type: "pty",
        sourcePath: "/dev/pts/3",
        log: { file: "/tmp/s.log", append: true },
        target: { type: "isa-serial", port: 0, model: "isa-serial" },
        alias: "serial0",
      },
    ],
    consoles: [{ type: "pty", target: { type: "serial", port: 0 } }],
    inputs: [{ type: "mouse", bus: "ps2" }],
    graphics: [{ type: "vnc", autoport: true }],
    videos: [{ model: "vga" }],
    memballoon: { model: "none" },
    rngs: [
      {
        model: "virtio",
        backend: { model: "random", device: "/dev/urandom" },
        address: { type: "pci", domain: 0, bus: 0, slot: 9, function: 0 },
      },
    ],
  },
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

describe("domain XML builder and parser", () => {
  it("parse(build(model)) gives the model back, for every element the model has", () => {
    expect(parseDomainXml(domainToXml(everything))).toEqual(everything);
  });

  it("builds attributes libvirt's way: hex PCI, yes/no, on/off", () => {
    const xml = domainToXml(everything);
    expect(xml).toContain('<address type="pci" domain="0x0000" bus="0x3b" slot="0x10" function="0x1"/>');
    expect(xml).toContain(
      '<address type="pci" domain="0x0000" bus="0x00" slot="0x05" function="0x0" multifunction="on"/>',
    );
    expect(xml).toContain('<timer name="hpet" present="no"/>');
    expect(xml).toContain('<suspend-to-mem enabled="no"/>');
    expect(xml).toContain('<log file="/tmp/s.log" append="on"/>');
    expect(xml).toContain('<vlan trunk="yes">');
    expect(xml.startsWith("<domain")).toBe(true);
    expect(xml.endsWith("</domain>\n")).toBe(true);
  });

  it("escapes what would otherwise become markup", () => {
    const xml = domainToXml({
      ...everything,
      description: "a < b & 'c'",
      devices: {
        ...everything.devices,
        disks: [{ ...everything.devices.disks[0]!, source: '/x/"q".qcow2' }],
      },
    });
    expect(xml).toContain("a &lt; b &amp; 'c'");
    expect(parseDomainXml(xml).description).toBe("a < b & 'c'");
    expect(parseDomainXml(xml).devices.disks[0]?.source).toBe('/x/"q".qcow2');
  });

  it("reads the seed guide's tuned domain", () => {
    const d = parseDomainXml(SEED_XML);
    expect(d.name).toBe("csr1kv-1");
    expect(d.memoryKiB).toBe(8388608);
    expect(d.memoryBacking).toEqual({
      hugepages: { pages: [{ sizeKiB: 1048576 }] },
      locked: true,
      nosharepages: true,
    });
    expect(d.cputune?.vcpupins.map((p) => p.cpuset)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8"]);
    expect(d.cputune?.emulatorpin).toEqual({ cpuset: "37-44" });
    expect(d.os.type.machine).toBe("pc-i440fx-rhel7.0.0");
    expect(d.devices.emulator).toBe("/usr/libexec/qemu-kvm");
    expect(d.devices.interfaces.map((i) => [i.type, i.mac, i.address])).toEqual([
      ["direct", "52:54:00:36:95:f0", { type: "pci", domain: 0, bus: 0, slot: 3, function: 0 }],
      ["network", "52:54:00:2d:87:99", { type: "pci", domain: 0, bus: 0, slot: 4, function: 0 }],
    ]);
    // What nfvhost leaves out on purpose is still visible, so verify can say "not headless".
    expect(d.devices.graphics).toEqual([{ type: "spice", autoport: true }]);
    expect(d.devices.videos).toEqual([{ model: "qxl" }]);
    expect(d.devices.inputs).toContainEqual({ type: "tablet", bus: "usb" });
    expect(d.devices.controllers.filter((c) => c.type === "usb").map((c) => c.model)).toEqual([
      "ich9-ehci1",
      "ich9-uhci1",
      "ich9-uhci2",
      "ich9-uhci3",
    ]);
  });

  it("reads the running form of a pool NIC (type hostdev, as the seed's dumpxml shows)", () => {
    const d = parseDomainXml(
      `<domain type='kvm'><name>x</name><memory>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices>
       <interface type='hostdev' managed='yes'><mac address='52:54:00:2D:87:99'/><driver name='vfio'/>
       <source><address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/></source>
       <model type='virtio'/><alias name='hostdev0'/><address type='pci' domain='0x0000' bus='0x00' slot='0x0f' function='0x0'/></interface>
       <interface type='user'><mac address='52:54:00:00:00:09'/></interface></devices></domain>`,
    );
    expect(d.devices.interfaces).toEqual([
      {
        type: "hostdev",
        managed: true,
        mac: "52:54:00:2d:87:99",
        driver: { name: "vfio" },
        source: { address: { type: "pci", domain: 0, bus: 0x3b, slot: 0x10, function: 1 } },
        model: "virtio",
        alias: "hostdev0",
        address: { type: "pci", domain: 0, bus: 0, slot: 0x0f, function: 0 },
      },
    ]);
  });

  it("converts libvirt's size units to KiB", () => {
    const d = parseDomainXml(
      `<domain type='qemu'><name>x</name><memory unit='GiB'>8</memory><currentMemory unit='MiB'>512</currentMemory>
       <memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>
       <vcpu>1</vcpu><os><type>hvm</type></os><devices/></domain>`,
    );
    expect(d.memoryKiB).toBe(8388608);
    expect(d.currentMemoryKiB).toBe(524288);
    expect(d.memoryBacking?.hugepages?.pages).toEqual([{ sizeKiB: 2048 }]);
  });

  it("says what is wrong with XML it cannot read", () => {
    // xmlbuilder2's reader forgives a mistyped end tag, but not a cut-off document.
    expect(nfvError(() => parseDomainXml("<domain type='kvm'><name>x</name")).message).toMatch(
      /well-formed XML/,
    );
    expect(nfvError(() => parseDomainXml("<network><name>x</name></network>")).message).toMatch(
      /"network"; expected a <domain> root element/,
    );
    expect(nfvError(() => parseDomainXml("<domain type='xen'><name>x</name></domain>")).message).toMatch(
      /domain type kvm or qemu/,
    );
    expect(
      nfvError(() =>
        parseDomainXml(
          "<domain type='kvm'><name>x</name><vcpu>1</vcpu><os><type>hvm</type></os><devices/></domain>",
        ),
      ).message,
    ).toMatch(/\/domain; expected a <memory> element/);
    expect(
      nfvError(() =>
        parseDomainXml(
          "<domain type='kvm'><name>x</name><memory unit='parsecs'>1</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices/></domain>",
        ),
      ).message,
    ).toMatch(/\/domain\/memory.*"parsecs"/);
    expect(
      nfvError(() =>
        parseDomainXml(
          "<domain type='kvm'><name>x</name><memory>1</memory><vcpu>many</vcpu><os><type>hvm</type></os><devices/></domain>",
        ),
      ).message,
    ).toMatch(/\/domain\/vcpu.*"many"/);
  });
});

describe("network XML builder and parser", () => {
  it("reads the seed's running SR-IOV pool (net-dumpxml with its four VFs)", () => {
    const live = `<network connections='1'><name>eno2_sriov_pool</name><uuid>e0842451-0137-4255-8783-305ca27f082d</uuid>
      <forward mode='hostdev' managed='yes'><pf dev='eno2'/>
      <address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/><address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x3'/>
      <address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x5'/><address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x7'/>
      </forward></network>`;
    const n = parseNetworkXml(live);
    expect(n.connections).toBe(1);
    expect(n.forward?.pf).toBe("eno2");
    expect(n.forward?.managed).toBe(true);
    expect(n.forward?.addresses.map((a) => a.function)).toEqual([1, 3, 5, 7]);
    expect(parseNetworkXml(networkToXml(n))).toEqual(n);
  });

  it("round-trips a bridge network with STP and MTU", () => {
    const n: NetworkXml = {
      name: "net-br1",
      uuid: "e0842451-0137-4255-8783-305ca27f082d",
      forward: { mode: "bridge", interfaces: [], addresses: [] },
      bridge: { name: "br1", stp: false, delay: 0 },
      mtu: 9216,
    };
    expect(parseNetworkXml(networkToXml(n))).toEqual(n);
  });

  it("refuses a file that is not a network", () => {
    expect(() => parseNetworkXml("<domain type='kvm'/>")).toThrow(/a <network> root element/);
  });
});
