/**
 * The dashboard's fleet page: hosts as tiles with CPU/page/VF use and their VNFs, each linking to
 * that host's picture (today's dashboard, served under /host/<name>/ with the host's plan).
 */
import { describe, expect, it } from "vitest";
import { AMD_EPYC_NPS4, SEED_C240M5, SMT_OFF } from "../../src/facts/shapes.js";
import { planFleet } from "../../src/fleet/plan.js";
import { createFleetUiApp, hostTile } from "../../src/ui/fleet.js";
import { BASE_HOST, fleetOf, hostInputs } from "./fixtures.js";
import { fleetTopology } from "./support.js";

describe("fleet page", () => {
  it("draws a tile per host and serves each host's picture", async () => {
    const inputs = hostInputs([
      {
        name: "edge-seed",
        shape: SEED_C240M5,
        labels: { site: "fra1" },
        host: { ...BASE_HOST, sriov: [{ pf: "eno2", vfs: 4 }] },
      },
      { name: "core-amd", shape: AMD_EPYC_NPS4, labels: { site: "fra1" } },
      { name: "edge-smt", shape: SMT_OFF, labels: { site: "ams1" } },
    ]);
    const raw = fleetTopology();
    (raw.vnfs as Record<string, Record<string, unknown>>)["core-1"]!.vcpus = 6;
    (raw.vnfs as Record<string, Record<string, unknown>>)["core-2"]!.vcpus = 6;
    const plan = planFleet(inputs, fleetOf(raw), "inv");
    const hosts = plan.hosts.map((h) => ({
      tile: hostTile(h.host, inputs.find((i) => i.host.name === h.host)!.host.labels, h.plan, null),
      sources: {
        facts: async () => h.facts,
        plan: async () => ({ plan: h.plan, problems: [], file: "topology.yaml" }),
        live: async () => [],
        lastVerify: async () => null,
      },
    }));
    const app = createFleetUiApp("fleet-test", hosts);
    const page = await (await app.request("/")).text();
    expect(page).toContain("3 hosts, 20 VNFs, 0 with drift");
    expect(page).toContain('href="host/edge-seed/"');
    const seed = hosts.find((h) => h.tile.host === "edge-seed")!.tile;
    expect(seed.vfs).toEqual({ used: 2, total: 4 });
    expect(seed.cpus.used).toBeGreaterThan(0);
    expect(page).toContain(`VFs ${seed.vfs.used}/${seed.vfs.total}`);
    const api = (await (await app.request("/api/fleet")).json()) as {
      hosts: { host: string; vnfs: unknown[] }[];
    };
    expect(api.hosts.reduce((s, h) => s + h.vnfs.length, 0)).toBe(20);
    expect((await app.request("/host/edge-seed")).status).toBe(302);
    const hostPage = await app.request("/host/edge-seed/");
    expect(await hostPage.text()).toContain("app.js");
    const view = (await (await app.request("/host/edge-seed/api/view")).json()) as {
      vnfs?: { name: string }[];
    };
    expect(JSON.stringify(view)).toContain("vf-1");
  });
});
