/**
 * The bench's fleet rows run the product's path and are fair: nfvhost's fleet placement never
 * breaks a rule, never beats the proven optimum (the MILP and the search model the same hosts),
 * and Nova's scheduler path runs on the same hosts and requests.
 */
import { describe, expect, it } from "vitest";
import { fleetBench } from "../../bench/fleet.js";

describe("bench: fleet rows", () => {
  it("compares planFleet with the MILP optimum and Nova's scheduler filters, and plans at scale", async () => {
    const r = await fleetBench({ seed: 4242, cases: 2, scaleHosts: 20, scaleVnfs: 200 });
    expect(r.nfvhost.violations).toBe(0);
    expect(r.milp.proven).toBe(2);
    for (const c of r.cases) {
      expect(c.optimum).not.toBeNull();
      expect(c.nfvhost).toBeLessThanOrEqual(c.optimum!);
      expect(c.nfvhost).toBeGreaterThanOrEqual(Math.floor(0.9 * c.optimum!));
    }
    expect(typeof r.nova === "object" ? r.nova.placed : r.nova).toBeLessThanOrEqual(r.nfvhost.placed);
    expect(r.scale.placed).toBe(200);
    expect(Number.isFinite(r.scale.wallMs)).toBe(true);
  }, 300_000);
});
