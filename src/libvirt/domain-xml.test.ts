import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  networkProjectionLines,
  parseDomainXml,
  parseNetworkXml,
  projectionLines,
  toKiB,
} from "./domain-xml.js";

const seed = readFileSync(new URL("../../test/fixtures/render/seed-csr1kv-1.xml", import.meta.url), "utf8");

describe("domain XML summary", () => {
  it("reads the seed's tuned csr1kv-1: pins, hugepages, numatune, NICs", () => {
    const s = parseDomainXml(seed);
    expect(s).toMatchObject({
      name: "csr1kv-1",
      type: "kvm",
      vcpus: 8,
      memoryKiB: 8388608,
      hugepageSizeKiB: 1048576,
      locked: true,
      emulatorPin: [37, 38, 39, 40, 41, 42, 43, 44],
      numatune: { mode: "strict", nodeset: [0] },
      metadata: null,
    });
    expect(s.vcpuPins[0]).toEqual([1]);
    expect(s.vcpuPins[7]).toEqual([8]);
    expect(s.interfaces.map((i) => i.mac)).toContain("52:54:00:36:95:f0");
  });

  it("recognises nfvhost's metadata element by namespace, not by prefix", () => {
    const mine = `<domain type='qemu'><name>r1</name><metadata><x:vnf xmlns:x="https://nfvhost.dev/xmlns/1" topology="lab" vnf="r1"/></metadata><memory>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices/></domain>`;
    const other = `<domain type='qemu'><name>r1</name><metadata><nfvhost:vnf xmlns:nfvhost="https://example.com/other" topology="lab"/></metadata><memory>1024</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices/></domain>`;
    expect(parseDomainXml(mine).metadata).toEqual({ topology: "lab", vnf: "r1", digest: null });
    expect(parseDomainXml(other).metadata).toBeNull();
  });

  it("projects what nfvhost manages so libvirt's defaults do not show as drift", () => {
    const rendered = `<domain type="qemu"><name>r1</name><memory unit="KiB">131072</memory><vcpu placement="static">1</vcpu>
      <cputune><vcpupin vcpu="0" cpuset="1"/><emulatorpin cpuset="0"/></cputune><os><type>hvm</type></os><devices>
      <interface type="direct"><mac address="52:54:00:AA:00:01"/><source dev="veth0" mode="bridge"/><model type="virtio"/></interface></devices></domain>`;
    const live = `<domain type='qemu' id='7'><name>r1</name><uuid>b53e028d-afe8-4e31-996a-903a5abb773c</uuid><memory unit='MiB'>128</memory>
      <currentMemory unit='KiB'>131072</currentMemory><vcpu placement='static'>1</vcpu>
      <cputune><vcpupin vcpu='0' cpuset='1'/><emulatorpin cpuset='0'/></cputune><os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os><devices>
      <controller type='pci' index='0' model='pci-root'/>
      <interface type='direct'><mac address='52:54:00:aa:00:01'/><source dev='veth0' mode='bridge'/><target dev='macvtap3'/>
      <model type='virtio'/><alias name='net0'/><address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></interface></devices></domain>`;
    expect(projectionLines(parseDomainXml(live))).toEqual(projectionLines(parseDomainXml(rendered)));
    expect(parseDomainXml(live).interfaces[0]!.target).toBe("macvtap3");
  });

  it("converts libvirt memory units", () => {
    expect(toKiB("8", "GiB")).toBe(8388608);
    expect(toKiB("128", "M")).toBe(131072);
    expect(toKiB("1024", null)).toBe(1024);
    expect(toKiB("1", "parsecs")).toBeNull();
  });

  it("reads a network: the seed's SR-IOV pool", () => {
    const n =
      parseNetworkXml(`<network connections='1'><name>eno2_sriov_pool</name><forward mode='hostdev' managed='yes'><pf dev='eno2'/>
      <address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/></forward></network>`);
    expect(n).toEqual({
      name: "eno2_sriov_pool",
      uuid: null,
      forwardMode: "hostdev",
      managed: true,
      pf: "eno2",
      forwardDevs: [],
      bridge: null,
    });
    expect(networkProjectionLines(n)).toContain("/network/forward/pf/@dev = eno2");
  });
});
