import { describe, expect, it } from "vitest";
import { NfvError } from "../../util/errors.js";
import { renderNetworkXml } from "./network.js";

describe("renderNetworkXml", () => {
  it("a bridge network, as the seed's net-br1", () => {
    expect(renderNetworkXml({ name: "net-br1", type: "bridge", bridge: "br1" })).toBe(
      '<network>\n  <name>net-br1</name>\n  <forward mode="bridge"/>\n  <bridge name="br1"/>\n</network>\n',
    );
  });

  it("an SR-IOV pool names only the PF, as the seed's eno2_sriov_pool", () => {
    expect(
      renderNetworkXml({ name: "eno2_sriov_pool", type: "sriov-pool", pf: "eno2", vfPcis: ["0000:3b:10.1"] }),
    ).toBe(
      '<network>\n  <name>eno2_sriov_pool</name>\n  <forward mode="hostdev" managed="yes">\n    <pf dev="eno2"/>\n  </forward>\n</network>\n',
    );
  });

  it("a macvtap network in each mode, bridge by default", () => {
    for (const mode of ["bridge", "vepa", "private", "passthrough"] as const) {
      expect(renderNetworkXml({ name: "mv", type: "macvtap", dev: "eno1", mode })).toBe(
        `<network>\n  <name>mv</name>\n  <forward mode="${mode}">\n    <interface dev="eno1"/>\n  </forward>\n</network>\n`,
      );
    }
    expect(renderNetworkXml({ name: "mv", type: "macvtap", dev: "eno1" })).toContain(
      '<forward mode="bridge">',
    );
  });

  it("refuses missing or bad names", () => {
    const bad: [() => string, RegExp][] = [
      [() => renderNetworkXml({ name: "pool", type: "sriov-pool" }), /networks\.pool\.pf/],
      [() => renderNetworkXml({ name: "pool", type: "sriov-pool", pf: "eno2:1" }), /networks\.pool\.pf/],
      [() => renderNetworkXml({ name: "b", type: "bridge" }), /networks\.b\.bridge/],
      [
        () => renderNetworkXml({ name: "b", type: "bridge", bridge: "br-with-a-long-name" }),
        /networks\.b\.bridge/,
      ],
      [() => renderNetworkXml({ name: "../x", type: "bridge", bridge: "br1" }), /networks\.\.\.\/x\.name/],
      [() => renderNetworkXml({ name: "m", type: "macvtap" }), /networks\.m\.dev/],
    ];
    for (const [fn, message] of bad) {
      expect(fn).toThrow(NfvError);
      expect(fn).toThrow(message);
    }
  });
});
