import { describe, expect, it } from "vitest";
import type { LiveDomain } from "../libvirt/deployed.js";
import { parseDomainXml } from "../libvirt/domain-xml.js";
import { parseDomiflist } from "../libvirt/parse.js";
import { captureCommandLine, captureTarget, positiveInt, tcpdumpArgs } from "./operate.js";

// The guide's csr1kv-1 while running: macvtap on eno1, a VF from the pool (shown as hostdev), a bridge NIC.
const live = `<domain type='kvm' id='6'><name>csr1kv-1</name><memory unit='KiB'>8388608</memory><vcpu>8</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices>
<interface type='direct'><mac address='52:54:00:36:95:f0'/><source dev='eno1' mode='bridge'/><target dev='macvtap0'/><model type='virtio'/></interface>
<interface type='hostdev' managed='yes'><mac address='52:54:00:2d:87:99'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/></source></interface>
<interface type='bridge'><mac address='52:54:00:69:93:23'/><source bridge='br1'/><target dev='vnet5'/><model type='virtio'/></interface>
</devices></domain>`;
const iflist = parseDomiflist(` Interface   Type      Source    Model    MAC
-------------------------------------------------------------
 macvtap0    direct    eno1      virtio   52:54:00:36:95:f0
 -           hostdev   -         -        52:54:00:2d:87:99
 vnet5       bridge    br1       virtio   52:54:00:69:93:23
`);

function domain(state = "running"): LiveDomain {
  const s = parseDomainXml(live);
  return { name: s.name, state, summary: s, config: s, configXml: live, managed: true };
}

// The guest names the applied plan gave csr1kv-1's vNICs (IOS-XE).
const iosxe = ["GigabitEthernet1", "GigabitEthernet2", "GigabitEthernet3"];

describe("capture target", () => {
  it("finds the host device by guest name, index, MAC or device", () => {
    expect(captureTarget(domain(), iflist, "GigabitEthernet1", iosxe)).toEqual({
      device: "macvtap0",
      mac: "52:54:00:36:95:f0",
      type: "direct",
    });
    expect(captureTarget(domain(), iflist, "3").device).toBe("vnet5");
    expect(captureTarget(domain(), iflist, "52:54:00:69:93:23").device).toBe("vnet5");
    expect(captureTarget(domain(), iflist, "vnet5").device).toBe("vnet5");
  });

  it("says clearly that an SR-IOV VF cannot be captured on the host", () => {
    expect(() => captureTarget(domain(), iflist, "GigabitEthernet2", iosxe)).toThrow(
      /SR-IOV VF 0000:3b:10.1.*cannot be captured on the host: the VM owns it through vfio-pci/,
    );
  });

  it("names the interfaces there are when IFACE does not match, and refuses a stopped domain", () => {
    expect(() => captureTarget(domain(), iflist, "GigabitEthernet9", iosxe)).toThrow(
      /GigabitEthernet1 \(52:54:00:36:95:f0, macvtap0\)/,
    );
    const off = domain("shut off");
    off.summary = { ...off.summary, interfaces: off.summary.interfaces.map((i) => ({ ...i, target: null })) };
    expect(() => captureTarget(off, [], "GigabitEthernet1", iosxe)).toThrow(/virsh start csr1kv-1/);
  });

  it("a generic VNF's vNICs go by the names plan gave them (eth0, eth1), not IOS-XE's", () => {
    const generic = ["eth0", "eth1", "eth2"];
    expect(captureTarget(domain(), iflist, "eth2", generic).device).toBe("vnet5");
    expect(captureTarget(domain(), iflist, "ETH0", generic).device).toBe("macvtap0");
    expect(() => captureTarget(domain(), iflist, "GigabitEthernet1", generic)).toThrow(/one of eth0 \(/);
    // Without an applied plan (a domain nfvhost did not apply) the 1-based index still works.
    expect(captureTarget(domain(), iflist, "1").device).toBe("macvtap0");
  });

  it("builds tcpdump's argument array (never a shell string)", () => {
    expect(
      tcpdumpArgs("vnet5", { write: "/tmp/x.pcap", count: 10, filter: ["icmp", "and", "host", "1.2.3.4"] }),
    ).toEqual([
      "-i",
      "vnet5",
      "-nn",
      "-e",
      "-w",
      "/tmp/x.pcap",
      "-c",
      "10",
      "icmp",
      "and",
      "host",
      "1.2.3.4",
    ]);
  });

  it("bounds a capture by time with timeout -s INT (tcpdump prints its counts), keeping the argument array", () => {
    expect(captureCommandLine("macvtap3", { count: 3 })).toEqual({
      program: "tcpdump",
      args: ["-i", "macvtap3", "-nn", "-e", "-c", "3"],
    });
    expect(captureCommandLine("macvtap3", { durationSeconds: 10, filter: ["udp", "port", "9"] })).toEqual({
      program: "timeout",
      args: [
        "--preserve-status",
        "-s",
        "INT",
        "10",
        "tcpdump",
        "-i",
        "macvtap3",
        "-nn",
        "-e",
        "udp",
        "port",
        "9",
      ],
    });
  });

  it("accepts only whole numbers from 1 for --count and --duration", () => {
    expect(positiveInt(undefined, "--count")).toBeUndefined();
    expect(positiveInt("5", "--count")).toBe(5);
    for (const bad of ["0", "-1", "2.5", "1e3", "ten", ""])
      expect(() => positiveInt(bad, "--duration")).toThrow(/--duration.*whole number from 1 up/s);
  });
});
