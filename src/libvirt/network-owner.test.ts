import { describe, expect, it } from "vitest";
import type { NetworkPlan } from "../plan/types.js";
import { renderNetworkXml } from "../render/libvirt/index.js";
import { networkProjectionLines, parseNetworkXml } from "./domain-xml.js";
import { markNetworkXml, networkOwner, withNetworkUuid } from "./network-owner.js";

const bare = renderNetworkXml({ name: "net-br1", type: "bridge", bridge: "br1" } as NetworkPlan);

describe("network ownership mark", () => {
  it("marks a rendered network after its name and reads the topology back", () => {
    const x = markNetworkXml(bare, "seed");
    expect(x).toBe(`<network>
  <name>net-br1</name>
  <metadata>
    <nfvhost:network xmlns:nfvhost="https://nfvhost.dev/xmlns/1" topology="seed"/>
  </metadata>
  <forward mode="bridge"/>
  <bridge name="br1"/>
</network>
`);
    expect(networkOwner(x)).toEqual({ topology: "seed" });
    // The mark is not part of what apply compares.
    expect(networkProjectionLines(parseNetworkXml(x))).toEqual(networkProjectionLines(parseNetworkXml(bare)));
  });

  it("finds no owner on a bare network or one marked by another tool only", () => {
    expect(networkOwner(bare)).toBeNull();
    const other = `<network><name>a</name><metadata><x:net xmlns:x="urn:other" topology="t"/></metadata></network>`;
    expect(networkOwner(other)).toBeNull();
  });

  it("re-marking replaces nfvhost's mark and keeps other tools' metadata", () => {
    const other = `<network><name>a</name><metadata><x:net xmlns:x="urn:other"/></metadata></network>`;
    const x = markNetworkXml(markNetworkXml(other, "one"), "two");
    expect(networkOwner(x)).toEqual({ topology: "two" });
    expect(x.match(/nfvhost:network/g)).toHaveLength(1);
    expect(x).toContain('<x:net xmlns:x="urn:other"/>');
  });

  it("reads the mark as libvirt returns it (net-dumpxml, single quotes, uuid)", () => {
    const dumped = `<network>
  <name>net-br1</name>
  <uuid>a693e526-4c1c-406d-9db2-e9d799edf2d0</uuid>
  <metadata>
    <nfvhost:network xmlns:nfvhost="https://nfvhost.dev/xmlns/1" topology="t"/>
  </metadata>
  <forward mode='bridge'/>
  <bridge name='br1'/>
</network>`;
    expect(networkOwner(dumped)).toEqual({ topology: "t" });
  });

  it("carries the existing network's UUID into a redefinition (libvirt refuses another UUID)", () => {
    const uuid = "a693e526-4c1c-406d-9db2-e9d799edf2d0";
    const x = withNetworkUuid(markNetworkXml(bare, "t"), uuid);
    expect(x.split("\n").slice(0, 3)).toEqual([
      "<network>",
      "  <name>net-br1</name>",
      `  <uuid>${uuid}</uuid>`,
    ]);
    expect(parseNetworkXml(x).uuid).toBe(uuid);
    expect(networkOwner(x)).toEqual({ topology: "t" });
    expect(withNetworkUuid(x, "00000000-0000-0000-0000-000000000000")).toBe(x);
  });
});
