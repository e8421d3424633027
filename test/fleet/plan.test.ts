/**
 * Joint placement across hosts: a fleet of 20 VNFs with pins, a selector, an anti-affinity pair
 * and SR-IOV needs over three real host shapes plans to the MILP's optimum and passes the
 * independent checker; a fleet that cannot fit is explained per host; inventories are read by
 * Ansible's own parser, and without Ansible nfvhost says how to install it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { solveFleet } from "../../bench/fleet-milp.js";
import { AMD_EPYC_NPS4, SEED_C240M5, SMT_OFF } from "../../src/facts/shapes.js";
import { checkFleetPlan } from "../../src/fleet/check.js";
import { loadHostInputs } from "../../src/fleet/facts.js";
import { loadInventory } from "../../src/fleet/inventory.js";

import { buildPlaybook } from "../../src/fleet/playbook.js";
import { planFleet, searchInputs } from "../../src/fleet/plan.js";
import { loadFleetTopology } from "../../src/fleet/topology.js";
import { NfvError } from "../../src/util/errors.js";
import { BASE_HOST, fleetOf, hostInputs } from "./fixtures.js";
import { fleetTopology, writeHostTrees, writeInventory } from "./support.js";

const HOSTS = () =>
  hostInputs([
    {
      name: "edge-seed",
      shape: SEED_C240M5,
      labels: { site: "fra1", rack: "r1" },
      host: { ...BASE_HOST, sriov: [{ pf: "eno2", vfs: 4 }] },
    },
    {
      name: "core-amd",
      shape: AMD_EPYC_NPS4,
      labels: { site: "fra1", rack: "r2" },
      host: { ...BASE_HOST, sriov: [{ pf: "ens1f0", vfs: 8 }] },
    },
    { name: "edge-smt", shape: SMT_OFF, labels: { site: "ams1", rack: "r3" } },
  ]);

function twenty(): Record<string, unknown> {
  const f = fleetTopology();
  const vnfs = f.vnfs as Record<string, Record<string, unknown>>;
  // Eight vCPUs isolated do not fit an NPS4 node (7 cores left after housekeeping): six do.
  vnfs["core-1"]!.vcpus = 6;
  vnfs["core-2"]!.vcpus = 6;
  return f;
}

describe("fleet placement", () => {
  it("places the 20-VNF fleet as the MILP's optimum does, honouring every rule", async () => {
    const inputs = HOSTS();
    const fleet = fleetOf(twenty());
    const plan = planFleet(inputs, fleet, "inventory");
    expect(checkFleetPlan(plan, fleet, inputs)).toEqual([]);
    const milp = await solveFleet(...searchInputs(inputs, fleet));
    expect(milp.status).toBe("Optimal");
    expect(Object.keys(plan.assignment).length).toBe(milp.optimum);
    expect(milp.optimum).toBe(20);
    expect(plan.assignment["core-1"]).toBe("core-amd");
    expect(plan.assignment["vf-1"]).toBe("edge-seed");
    expect(["edge-seed", "core-amd"]).toContain(plan.assignment["fra-1"]);
    const sites = new Set(
      [plan.assignment["pe-a"], plan.assignment["pe-b"]].map(
        (h) => inputs.find((i) => i.host.name === h)!.host.labels.site,
      ),
    );
    expect(sites.size).toBe(2);
    // Each host's share is a full plan: node, CPUs, emulator, pages, VFs.
    const seed = plan.hosts.find((h) => h.host === "edge-seed")!;
    const vf1 = seed.plan.vnfs.find((v) => v.name === "vf-1")!;
    expect(vf1.node).toBe(0);
    expect(vf1.interfaces.some((i) => i.type === "sriov-hostdev" || i.type === "sriov-pool")).toBe(true);
  });

  it("equals the MILP optimum when the fleet does not fit whole", { timeout: 600_000 }, async () => {
    const inputs = HOSTS();
    const f = twenty();
    const vnfs = f.vnfs as Record<string, Record<string, unknown>>;
    for (let i = 0; i < 30; i++)
      vnfs[`extra-${i}`] = { kind: "generic", image: `/i/x${i}.qcow2`, vcpus: 3 + (i % 4), memory: "4GiB" };
    const fleet = fleetOf(f);
    // Not everything fits: the solver's MILP proves it, which takes seconds on a busy machine.
    const plan = planFleet(inputs, fleet, "inventory", { timeLimitS: 300 });
    expect(plan.warnings.filter((w) => /time limit/.test(w))).toEqual([]);
    expect(checkFleetPlan(plan, fleet, inputs)).toEqual([]);
    const milp = await solveFleet(...searchInputs(inputs, fleet));
    expect(milp.status).toBe("Optimal");
    // The exact solver places the fleet: as many as the independent MILP proves possible.
    expect(Object.keys(plan.assignment).length).toBe(milp.optimum);
    expect(plan.misfits.length).toBe(50 - Object.keys(plan.assignment).length);
    for (const m of plan.misfits)
      expect(m.hosts.map((h) => h.host)).toEqual(["core-amd", "edge-seed", "edge-smt"]);
  });

  it("explains a VNF that fits nowhere per host, with the closest host and node", () => {
    const inputs = HOSTS();
    const f = twenty();
    (f.vnfs as Record<string, unknown>).huge = {
      kind: "generic",
      image: "/i/huge.qcow2",
      vcpus: 18,
      memory: "8GiB",
      interfaces: [{ type: "sriov", pf: "eno2" }],
    };
    const plan = planFleet(inputs, fleetOf(f), "inventory");
    const m = plan.misfits.find((x) => x.vnf === "huge")!;
    expect(m.message).toMatch(
      /^huge fits nowhere: needs 18 free cores and 8 hugepages with a VF of eno2 on the same node; closest: edge-seed node 0, \d+ cores? short/,
    );
    expect(m.hosts.find((h) => h.host === "core-amd")!.reason).toBe("no SR-IOV PF eno2 in its host section");
    expect(m.hosts.find((h) => h.host === "edge-smt")!.reason).toBe("no SR-IOV PF eno2 in its host section");
    expect(Object.keys(plan.assignment).length).toBe(20);
  });

  it("plans hosts of different hugepage sizes together: a VNF goes where its memory is whole pages", () => {
    const inputs = hostInputs([
      {
        name: "small-pages",
        shape: SEED_C240M5,
        host: { ...BASE_HOST, hugepages: { size: "2MiB", count: 4096 } },
      },
      { name: "big-pages", shape: AMD_EPYC_NPS4 },
    ]);
    const v = (memory: string, extra: Record<string, unknown> = {}) => ({
      kind: "generic",
      image: `/i/${memory}.qcow2`,
      vcpus: 2,
      memory,
      ...extra,
    });
    const fleet = fleetOf({
      name: "pages",
      // The fleet's own default section; each host's nfvhost_host decides its page size.
      host: { cpus: { isolate: "auto" }, hugepages: { size: "2MiB" } },
      vnfs: {
        odd: v("1536MiB"),
        whole: v("4GiB", { host: "big-pages" }),
        either: v("2GiB", { host: "small-pages" }),
      },
    });
    const plan = planFleet(inputs, fleet, "inv");
    expect(checkFleetPlan(plan, fleet, inputs)).toEqual([]);
    expect(plan.assignment).toEqual({ odd: "small-pages", whole: "big-pages", either: "small-pages" });
    const odd = plan.hosts.find((h) => h.host === "small-pages")!.plan.vnfs.find((x) => x.name === "odd")!;
    expect(odd.memory).toMatchObject({ pageSizeKiB: 2048, pages: 768 });
  });

  it("refuses a pin to a host the inventory does not have, and bad group rules with file:line", () => {
    expect(() =>
      planFleet(
        HOSTS(),
        fleetOf({
          name: "f",
          vnfs: { a: { kind: "generic", image: "/a", vcpus: 1, memory: "1GiB", host: "nope" } },
        }),
        "inv",
      ),
    ).toThrow(/vnfs\.a\.host: "nope"; expected a host of the inventory \(core-amd, edge-seed, edge-smt\)/);
    expect(() =>
      fleetOf({
        name: "f",
        vnfs: { a: { kind: "generic", image: "/a", vcpus: 1, memory: "1GiB" } },
        groups: { g: { vnfs: ["a", "b"], "anti-affinity": "site", affinity: "host" } },
      }),
    ).toThrow(/fleet\.yaml:\d+:\d+: groups\.g\.vnfs\[1\]: "b"; expected a VNF of this file/);
    const v = { kind: "generic", image: "/a", vcpus: 1, memory: "1GiB" };
    expect(() =>
      fleetOf({
        name: "f",
        vnfs: { a: v, b: v, c: v },
        groups: {
          g1: { vnfs: ["a", "b"], "anti-affinity": "site" },
          g2: { vnfs: ["c", "a"], "anti-affinity": "host" },
        },
      }),
    ).toThrow(
      /groups\.g2\.vnfs\[1\]: "a"; expected a VNF in one anti-affinity group only \(it is in g1 already\)/,
    );
  });
});

describe("inventory", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "nfvt-fleet-inv-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads INI and YAML inventories with group_vars and host_vars alike, and plans from their snapshots", async () => {
    const defs = await writeHostTrees(dir);
    const ini = await writeInventory(dir, defs);
    const inv = await loadInventory(ini);
    expect(inv.hosts.map((h) => h.name)).toEqual(["core-amd", "edge-seed", "edge-smt"]);
    const seed = inv.hosts.find((h) => h.name === "edge-seed")!;
    expect(seed.groups).toEqual(["edge", "fleet"]);
    expect(seed.labels).toEqual({ site: "fra1", rack: "r1" });
    expect(seed.libvirtUri).toBe("qemu+ssh://edge-seed/system");
    expect(seed.hostSection).toMatchObject({ sriov: [{ pf: "eno2", vfs: 4 }] });

    const yml = join(dir, "inventory", "hosts.yml");
    await writeFile(
      yml,
      stringify({
        all: {
          children: {
            fleet: {
              children: {
                edge: { hosts: { "edge-seed": null, "edge-smt": null } },
                core: { hosts: { "core-amd": null } },
              },
            },
          },
        },
      }),
    );
    const inv2 = await loadInventory(yml);
    expect(inv2.hosts.map((h) => ({ ...h }))).toEqual(inv.hosts.map((h) => ({ ...h })));

    const fleetFile = join(dir, "fleet.yaml");
    await writeFile(fleetFile, stringify(twenty()));
    const { inputs } = await loadHostInputs(inv, undefined);
    const fleet = await loadFleetTopology(fleetFile);
    const plan = planFleet(inputs, fleet, ini);
    expect(checkFleetPlan(plan, fleet, inputs)).toEqual([]);
    expect(Object.keys(plan.assignment).length).toBe(20);
  });

  it("says how to install Ansible when ansible-inventory is missing", async () => {
    const missing = () =>
      Promise.reject(
        new NfvError({ what: "cannot run ansible-inventory", value: "ENOENT", expected: "installed" }),
      );
    await expect(loadInventory(dir, missing)).rejects.toThrow(
      /install ansible-core: `apt-get install ansible-core`/,
    );
  });

  it("builds a playbook that checks the version, copies the bundle, applies, verifies and fetches", () => {
    const [play] = buildPlaybook("f1", ["a", "b"], "9.9.9") as [{ hosts: string; tasks: { name: string }[] }];
    expect(play.hosts).toBe("a,b");
    expect(play.tasks.map((t) => t.name)).toEqual([
      "nfvhost version on the host",
      "nfvhost on the host is this version",
      "bundle directory",
      "copy this host's bundle",
      "apply and verify",
      "verify only",
    ]);
  });
});
