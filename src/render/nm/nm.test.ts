import { describe, expect, it } from "vitest";
import { seedPlan } from "../../../test/fixtures/render/seed-plan-b.js";
import type { Plan } from "../../plan/types.js";
import { run } from "../../util/exec.js";
import { renderKeyfile } from "./keyfile.js";
import { buildConnections, predictedVfName } from "./model.js";
import { allArgs, nmcliLines } from "./nmcli.js";

function variant(edit: (host: Plan["host"]) => void): Plan {
  const plan = structuredClone(seedPlan);
  edit(plan.host);
  return plan;
}

const variants: [string, Plan][] = [
  ["the seed", seedPlan],
  [
    "IPv6 management, DNS of both families, PF VLANs without spoof-check, bridge with STP and no MTU",
    variant((h) => {
      h.management = {
        interface: "eno1",
        address: "2001:db8::2/64",
        gateway: "2001:db8::1",
        dns: ["2001:db8::53", "9.9.9.9"],
      };
      h.sriov[0]!.vfs[1] = { ...h.sriov[0]!.vfs[1]!, vlan: 100, spoofchk: false, trust: false };
      h.sriov[0]!.mtu = undefined;
      h.bridges = [{ name: "br-data", ports: ["eno6", "eno7"], stp: true }];
    }),
  ],
  [
    "management address on the bridge, a PF that is a bridge port, VFs without netdev names",
    variant((h) => {
      h.management = {
        interface: "br1",
        address: "192.0.2.10/24",
        gateway: "192.0.2.1",
        dns: ["192.0.2.53", "192.0.2.54"],
      };
      h.bridges = [{ name: "br1", ports: ["eno2"], mtu: 9216, stp: false }];
      h.sriov[0]!.vfs = h.sriov[0]!.vfs.map((v) => ({ ...v, name: null }));
    }),
  ],
  [
    "a management NIC that is also an SR-IOV PF (keeps its address, gains MTU and VFs)",
    variant((h) => {
      h.management = { interface: "eno2", address: "10.75.58.43/24", gateway: "10.75.58.1", dns: [] };
    }),
  ],
];

describe("NetworkManager connections against nmcli --offline (NetworkManager 1.42)", () => {
  for (const [name, plan] of variants) {
    it(`gives, for ${name}, exactly the keyfile nmcli writes`, async () => {
      const conns = buildConnections(plan);
      expect(conns.length).toBeGreaterThan(3);
      for (const conn of conns) {
        const r = await run("nmcli", ["--offline", "connection", "add", ...allArgs(conn)]);
        expect(r.code, `${conn.id}: ${r.stderr}`).toBe(0);
        expect(renderKeyfile(conn), conn.id).toBe(r.stdout);
      }
    });
  }
});

describe("connection model", () => {
  it("renders the seed's commands", () => {
    const script = buildConnections(seedPlan).flatMap(nmcliLines).join("\n");
    expect(script).toContain(
      "nmcli connection modify eno1 ipv4.method manual ipv4.addresses 10.75.58.43/24 ipv4.gateway 10.75.58.1 ipv4.dns 64.104.123.245",
    );
    expect(script).toContain(
      "nmcli connection add con-name eno2 type ethernet autoconnect yes ifname eno2 connection.uuid ",
    );
    expect(script).toContain("nmcli connection modify eno2 sriov.total-vfs 4");
    expect(script).toContain(
      "nmcli connection modify eno2 sriov.vfs '0 mac=8e:df:08:c1:d1:de spoof-check=true trust=true, 1 mac=5a:b9:2f:99:a6:ce",
    );
    expect(script).toContain(
      "nmcli connection modify enp59s16f1 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore ethernet.mac-address ''",
    );
    expect(script).toContain(
      "nmcli connection modify eno5 ethernet.mtu 9216 connection.master br1 connection.slave-type bridge",
    );
  });

  it("gives deterministic UUIDs that depend on topology and name", () => {
    const a = buildConnections(seedPlan);
    expect(buildConnections(seedPlan).map((c) => c.uuid)).toEqual(a.map((c) => c.uuid));
    const other = buildConnections({ ...seedPlan, topology: "other" });
    expect(other[0]!.uuid).not.toBe(a[0]!.uuid);
    expect(new Set(a.map((c) => c.uuid)).size).toBe(a.length);
  });

  it("predicts systemd's name for a VF from its PCI address", () => {
    expect(predictedVfName("0000:3b:10.1")).toBe("enp59s16f1");
    expect(predictedVfName("3b:10.7")).toBe("enp59s16f7");
  });

  it("merges a management NIC and a PF into one profile", () => {
    const conns = buildConnections(
      variant((h) => {
        h.management = { interface: "eno2", address: "10.75.58.43/24", dns: [] };
      }),
    );
    const eno2 = conns.filter((c) => c.interfaceName === "eno2");
    expect(eno2).toHaveLength(1);
    expect(eno2[0]!.roles.sort()).toEqual(["management", "sriov-pf"]);
    expect(eno2[0]!.ipv4?.method).toBe("manual");
    expect(eno2[0]!.sriov?.totalVfs).toBe(4);
  });

  it("refuses an address on a bridge port and names the interface", () => {
    const plan = variant((h) => {
      h.management = { interface: "eno5", address: "192.0.2.10/24", dns: [] };
    });
    expect(() => buildConnections(plan)).toThrow(/host interface eno5.*bridge port/);
  });

  it("refuses a bad interface name before it reaches a command", () => {
    const plan = variant((h) => {
      h.bridges = [{ name: "br1", ports: ["eno5; reboot"], stp: false }];
    });
    expect(() => buildConnections(plan)).toThrow(/port of bridge br1/);
  });

  it("refuses a gateway of the other address family", () => {
    const plan = variant((h) => {
      h.management = { interface: "eno1", address: "10.0.0.2/24", gateway: "2001:db8::1", dns: [] };
    });
    expect(() => buildConnections(plan)).toThrow(/host.management.gateway/);
  });
});
