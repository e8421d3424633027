import { describe, expect, it } from "vitest";
import {
  parseDomainList,
  parseDomiflist,
  parseEmulatorpin,
  parseKeyValues,
  parseNetworkList,
  parseNumatune,
  parseVcpupin,
} from "./parse.js";

// Outputs as libvirt 9.0's virsh prints them (LC_ALL=C).
describe("virsh table parsers", () => {
  it("reads `virsh list --all`, shut-off domains have no id", () => {
    const text = ` Id   Name            State
--------------------------------
 7    nfvt-apply-m1   running
 -    csr1kv-1        shut off
 12   r2              in shutdown
`;
    expect(parseDomainList(text)).toEqual([
      { id: 7, name: "nfvt-apply-m1", state: "running" },
      { id: null, name: "csr1kv-1", state: "shut off" },
      { id: 12, name: "r2", state: "in shutdown" },
    ]);
  });

  it("reads `virsh net-list --all`", () => {
    const text = ` Name              State      Autostart   Persistent
-------------------------------------------------------
 default           inactive   no          yes
 eno2_sriov_pool   active     yes         yes
`;
    expect(parseNetworkList(text)).toEqual([
      { name: "default", active: false, autostart: false, persistent: true },
      { name: "eno2_sriov_pool", active: true, autostart: true, persistent: true },
    ]);
  });

  it("reads vcpupin, emulatorpin and numatune (the seed's csr1kv-1)", () => {
    const pin = ` VCPU   CPU Affinity
----------------------
 0      1
 1      2
 7      8
 8      0-3,36
`;
    expect([...parseVcpupin(pin)]).toEqual([
      [0, [1]],
      [1, [2]],
      [7, [8]],
      [8, [0, 1, 2, 3, 36]],
    ]);
    expect(
      parseEmulatorpin(" emulator: CPU Affinity\n----------------------------------\n       *: 37-44\n"),
    ).toEqual([37, 38, 39, 40, 41, 42, 43, 44]);
    expect(parseEmulatorpin("nothing here")).toBeNull();
    expect(parseNumatune("numa_mode      : strict\nnuma_nodeset   : 0\n\n")).toEqual({
      mode: "strict",
      nodeset: [0],
    });
    expect(parseNumatune("numa_mode      : \nnuma_nodeset   : \n")).toEqual({ mode: null, nodeset: [] });
  });

  it("reads domiflist as in the guide (vnet, macvtap, hostdev without a host device)", () => {
    const text = ` Interface   Type      Source          Model    MAC
-------------------------------------------------------------
 vnet0       network   default         virtio   52:54:00:38:71:4a
 macvtap0    direct    eno1            virtio   52:54:00:B2:70:90
 vnet5       bridge    net-br1         virtio   52:54:00:69:93:23
 -           hostdev   -               -        52:54:00:2d:87:99
`;
    const r = parseDomiflist(text);
    expect(r.map((x) => [x.interface, x.type, x.source, x.mac])).toEqual([
      ["vnet0", "network", "default", "52:54:00:38:71:4a"],
      ["macvtap0", "direct", "eno1", "52:54:00:b2:70:90"],
      ["vnet5", "bridge", "net-br1", "52:54:00:69:93:23"],
      ["-", "hostdev", "-", "52:54:00:2d:87:99"],
    ]);
  });

  it("reads dominfo key/value lines", () => {
    const kv = parseKeyValues(
      "Id:             7\nName:           r1\nAutostart:      enable\nCPU time:       3.2s\n",
    );
    expect(kv).toMatchObject({ Id: "7", Name: "r1", Autostart: "enable", "CPU time": "3.2s" });
  });
});
