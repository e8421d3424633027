import { describe, expect, it } from "vitest";
import { SEED_C240M5, buildHostFacts } from "../facts/shapes.js";
import { seedTopology } from "../../test/fixtures/plan/topology.js";
import { planDeployment } from "./planner.js";

describe("host interfaces named by a topology", () => {
  it("accepts the seed's (eno1 management and macvtap, eno5 bridge port, br1 created by nfvhost)", () => {
    const t = seedTopology();
    t.vnfs[0]!.interfaces.push({ type: "bridge", bridge: "br1" });
    expect(planDeployment(buildHostFacts(SEED_C240M5), t).ok).toBe(true);
  });

  it("a macvtap on a bridge nfvhost creates is fine; an existing virtual interface too", () => {
    const t = seedTopology();
    const gi1 = t.vnfs[0]!.interfaces[0]!;
    if (gi1.type === "macvtap") gi1.dev = "br1";
    const facts = buildHostFacts(SEED_C240M5);
    t.vnfs[0]!.interfaces.push({ type: "macvtap", dev: "bond0", mode: "bridge" });
    expect(planDeployment({ ...facts, netdevs: [...facts.netdevs, "bond0"] }, t).ok).toBe(true);
  });

  it("says nothing when the host root lists no interfaces at all (a hand-made tree)", () => {
    const t = seedTopology();
    t.host.management!.interface = "eth9";
    const r = planDeployment({ ...buildHostFacts(SEED_C240M5), netdevs: [] }, t);
    expect(r.ok).toBe(true);
  });
});
