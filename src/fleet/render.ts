/**
 * `nfvhost render FLEET.yaml -i INVENTORY --out DIR`: DIR/<host>/ holds what `nfvhost render`
 * writes for that host (today's layout) plus its topology.yaml (what nfvhost apply runs on the
 * host) and plan.json; DIR/site.yml is the playbook that deploys them, DIR/fleet-plan.json the
 * fleet's assignment. Written to a staging directory that then takes DIR's place.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { renderArtifacts, writeArtifacts } from "../render/index.js";
import { NfvError } from "../util/errors.js";
import { makePrivateWorkDir } from "../util/private-files.js";
import { playbookText, PLAYBOOK } from "./playbook.js";
import type { FleetPlan } from "./types.js";

export const FLEET_MARKER = ".nfvhost-fleet.json";
export const FLEET_PLAN = "fleet-plan.json";

export interface FleetRenderOptions {
  env: NodeJS.ProcessEnv;
  saltSeed?: string;
  force?: boolean;
  version: string;
}

async function checkOut(out: string, force: boolean): Promise<"absent" | "replace"> {
  if (!existsSync(out)) return "absent";
  if (!(await stat(out)).isDirectory())
    throw new NfvError({
      code: "NFV-FLEET-OUT",
      what: "--out",
      value: out,
      expected: "a directory (or a path that does not exist yet)",
    });
  const entries = await readdir(out);
  if (entries.length === 0 || entries.includes(FLEET_MARKER) || force) return "replace";
  throw new NfvError({
    code: "NFV-FLEET-OUT",
    what: "--out",
    value: out,
    expected: "an empty directory, or one an earlier fleet render wrote",
    fix: `choose another directory, or pass --force to replace ${out}`,
  });
}

/** A summary of the plan without the facts (which stay in the snapshots). */
export function fleetPlanJson(plan: FleetPlan): unknown {
  return {
    schema: plan.schema,
    fleet: plan.fleet,
    inventory: plan.inventory,
    assignment: plan.assignment,
    hosts: plan.hosts.map((h) => ({ host: h.host, changes: h.changes, plan: h.plan })),
    misfits: plan.misfits,
    warnings: plan.warnings,
  };
}

export async function renderFleet(
  plan: FleetPlan,
  out: string,
  opts: FleetRenderOptions,
): Promise<{ host: string; files: number }[]> {
  const mode = await checkOut(out, opts.force === true);
  // Private (0700) from the start, named after this process: a killed run's staging (day-0
  // secrets of every host) is removed by the next render there.
  const staging = await makePrivateWorkDir(dirname(out), "fleet");
  const written: { host: string; files: number }[] = [];
  try {
    for (const h of plan.hosts) {
      const dir = join(staging, h.host);
      await mkdir(dir, { mode: 0o700 });
      const files = renderArtifacts(h.plan, h.facts, {
        env: opts.env,
        ...(opts.saltSeed !== undefined && opts.saltSeed !== "" ? { saltSeed: opts.saltSeed } : {}),
      });
      await writeArtifacts(files, dir);
      await writeFile(
        join(dir, "topology.yaml"),
        `# ${plan.fleet} on ${h.host}, written by nfvhost render from the fleet topology and the inventory.\n${stringify(h.raw)}`,
        { mode: 0o600 },
      );
      await writeFile(join(dir, "plan.json"), `${JSON.stringify(h.plan, null, 2)}\n`, { mode: 0o600 });
      written.push({ host: h.host, files: files.length + 2 });
    }
    await writeFile(
      join(staging, PLAYBOOK),
      playbookText(
        plan.fleet,
        plan.hosts.map((h) => h.host),
        opts.version,
      ),
      { mode: 0o644 },
    );
    await writeFile(join(staging, FLEET_PLAN), `${JSON.stringify(fleetPlanJson(plan), null, 2)}\n`, {
      mode: 0o600,
    });
    await writeFile(
      join(staging, FLEET_MARKER),
      `${JSON.stringify({ fleet: plan.fleet, inventory: plan.inventory, hosts: plan.hosts.map((h) => h.host), renderedAt: new Date().toISOString() }, null, 2)}\n`,
      { mode: 0o644 },
    );
    if (mode === "replace") await rm(out, { recursive: true, force: true });
    await rename(staging, out);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    throw e;
  }
  return written;
}
