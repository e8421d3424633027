/**
 * A fleet (the fleets issue's inventory + fleet topology, three real host shapes) exports with one
 * PerformanceProfile / SR-IOV policy set per host shape and each VM's nodeSelector on the host the
 * fleet plan chose.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { computeFleetPlan } from "../../src/cli/commands/fleet.js";
import { runCli } from "../support/cli.js";
import { fleetTopology, writeHostTrees, writeInventory } from "../fleet/support.js";

let dir: string;
let inventory: string;
let fleetFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvhost-export-fleet-"));
  inventory = await writeInventory(dir, await writeHostTrees(dir));
  fleetFile = join(dir, "fleet.yaml");
  // The fleet tests' 20 VNFs less the two pinned 8-vCPU routers (fleet exports need every VNF
  // placed; whether those fit is the fleet planner's business, tested in test/fleet).
  const fleet = fleetTopology() as { vnfs: Record<string, unknown> };
  delete fleet.vnfs["core-1"];
  delete fleet.vnfs["core-2"];
  await writeFile(fleetFile, stringify(fleet));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("one tuning set per host shape, nodeSelectors per the fleet plan", async () => {
  const out = join(dir, "kv");
  const r = await runCli(["export", "kubevirt", fleetFile, "-i", inventory, "--out", out, "--pin-host"]);
  expect(r.code, r.stderr).toBe(0);
  const plan = await computeFleetPlan(fleetFile, { inventory });
  expect(plan.misfits).toEqual([]);
  // Three hosts of three shapes: three profiles, each PF's policy under its shape.
  const shapes = (await readdir(join(out, "node-tuning"))).sort();
  expect(shapes).toEqual(["fleet-test-shape1", "fleet-test-shape2", "fleet-test-shape3"]);
  const labels = await readFile(join(out, "nodes/label-nodes.sh"), "utf8");
  const shapeOf = new Map(
    [...labels.matchAll(/kubectl label node (\S+) nfvhost\.io\/shape=(\S+)/g)].map((m) => [m[1]!, m[2]!]),
  );
  expect([...shapeOf.keys()].sort()).toEqual(plan.hosts.map((h) => h.host).sort());
  for (const h of plan.hosts) {
    const profile = parse(
      await readFile(join(out, "node-tuning", shapeOf.get(h.host)!, "performanceprofile.yaml"), "utf8"),
    );
    expect(profile.spec.cpu.isolated).toBeTruthy();
    const policies = (await readdir(join(out, "node-tuning", shapeOf.get(h.host)!))).filter((f) =>
      f.startsWith("sriov-policy-"),
    );
    expect(policies).toEqual(h.plan.host.sriov.map((p) => `sriov-policy-${p.pf}.yaml`));
  }
  // Every VNF of the fleet is a VM on the host the fleet plan chose.
  expect(Object.keys(plan.assignment).length).toBe(18);
  for (const [vnf, host] of Object.entries(plan.assignment)) {
    const vm = parse(await readFile(join(out, "vms", `${vnf}.yaml`), "utf8"));
    expect(vm.spec.template.spec.nodeSelector, vnf).toEqual({
      "nfvhost.io/shape": shapeOf.get(host),
      "kubernetes.io/hostname": host,
    });
  }
  expect(r.stdout).toMatch(/checks passed/);
}, 120_000);

it("-i takes one fleet file and no --root/--host", async () => {
  const r = await runCli([
    "export",
    "kubevirt",
    fleetFile,
    "-i",
    inventory,
    "--root",
    "/",
    "--out",
    join(dir, "x"),
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/-i\/--inventory.*one fleet topology/);
});
