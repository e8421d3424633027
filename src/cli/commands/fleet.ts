/**
 * `nfvhost fleet snapshot|plan|render|apply|verify|status`: many hosts from an Ansible inventory
 * (docs/fleet.md). `nfvhost plan FLEET.yaml -i INVENTORY` and `nfvhost render ... -i` land here.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { runFleetPlaybook, type PlaybookOptions } from "../../fleet/ansible.js";
import { loadHostInputs, snapshotFleet } from "../../fleet/facts.js";
import { formatFleetPlan, formatFleetRun, formatSnapshotLine } from "../../fleet/format.js";
import { limitHosts, loadInventory } from "../../fleet/inventory.js";
import { planFleet } from "../../fleet/plan.js";
import { FLEET_MARKER, fleetPlanJson, renderFleet } from "../../fleet/render.js";
import { loadFleetTopology } from "../../fleet/topology.js";
import type { FleetPlan } from "../../fleet/types.js";
import { nfvhostVersion } from "../../fleet/version.js";
import { assertFleetDir } from "../../fleet/ansible.js";
import { createFleetUiApp, hostTile, readHostPlan, serveFleetUi } from "../../ui/fleet.js";
import { REPORTS } from "../../fleet/playbook.js";
import { createSources } from "../../ui/sources.js";
import { wantsColour } from "../../util/colour.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson, returning } from "../command.js";

function forksOf(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new NfvError({
      code: "NFV-FLEET-FORKS",
      what: "--forks",
      value: v,
      expected: "a whole number >= 1",
      exitCode: 2,
    });
  return Number(v);
}

export interface FleetPlanCliOptions {
  inventory: string;
  snapshots?: string;
  limit?: string;
  json?: boolean;
  /** Seconds the exact placement may search when not every VNF fits (plan's --time-limit). */
  timeLimit?: number;
}

function timeLimitOf(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600)
    throw new NfvError({
      code: "NFV-FLEET-TIME",
      what: "--time-limit",
      value,
      expected: "seconds, a number above 0 and at most 3600",
      fix: "pass e.g. --time-limit 30",
      exitCode: 2,
    });
  return n;
}

export async function computeFleetPlan(file: string, o: FleetPlanCliOptions): Promise<FleetPlan> {
  const [fleet, inv] = await Promise.all([loadFleetTopology(file), loadInventory(o.inventory)]);
  const { inputs, skipped } = await loadHostInputs(limitHosts(inv, o.limit), o.snapshots);
  const plan = planFleet(inputs, fleet, o.inventory, {
    skipped,
    ...(o.timeLimit !== undefined ? { timeLimitS: o.timeLimit } : {}),
  });
  return plan;
}

/** `nfvhost plan FLEET.yaml -i INVENTORY [--snapshots DIR]`: exit 1 when a VNF fits nowhere. */
export async function fleetPlanAction(file: string, o: FleetPlanCliOptions): Promise<number> {
  const plan = await computeFleetPlan(file, o);
  if (o.json) printJson(fleetPlanJson(plan));
  else process.stdout.write(formatFleetPlan(plan, { color: wantsColour(process.stdout) }));
  return plan.misfits.length > 0 ? 1 : 0;
}

export async function fleetRenderAction(
  file: string,
  o: FleetPlanCliOptions & { out: string; force?: boolean; saltSeed?: string },
): Promise<number> {
  const plan = await computeFleetPlan(file, o);
  if (plan.misfits.length > 0) {
    if (o.json) printJson(fleetPlanJson(plan));
    else
      process.stdout.write(
        `${formatFleetPlan(plan, { color: wantsColour(process.stdout) })}nothing was written\n`,
      );
    return 1;
  }
  const saltSeed = o.saltSeed ?? process.env.NFVHOST_SECRET_SALT_SEED;
  const written = await renderFleet(plan, resolve(o.out), {
    env: process.env,
    ...(saltSeed !== undefined ? { saltSeed } : {}),
    force: o.force === true,
    version: nfvhostVersion(),
  });
  if (o.json) printJson({ out: resolve(o.out), hosts: written, playbook: "site.yml" });
  else
    process.stdout.write(
      `${formatFleetPlan(plan, { color: wantsColour(process.stdout) })}\n${written.map((w) => `${o.out}/${w.host}/: ${w.files} files`).join("\n")}\n${o.out}/site.yml: the playbook; deploy with: nfvhost fleet apply ${o.out} -i ${o.inventory}\n`,
    );
  return 0;
}

interface RunCliOptions {
  inventory: string;
  limit?: string;
  check?: boolean;
  forks?: string;
  vaultPasswordFile?: string;
  askVaultPass?: boolean;
  json?: boolean;
}

function playbookOptions(o: RunCliOptions, tags?: string): PlaybookOptions {
  return {
    inventory: o.inventory,
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    ...(o.check ? { check: true } : {}),
    ...(o.forks !== undefined ? { forks: forksOf(o.forks, 5) } : {}),
    ...(o.vaultPasswordFile !== undefined ? { vaultPasswordFile: o.vaultPasswordFile } : {}),
    ...(o.askVaultPass ? { askVaultPass: true } : {}),
    ...(tags !== undefined ? { tags } : {}),
  };
}

function runOptions(cmd: Command): Command {
  return cmd
    .argument("<dir>", "a fleet render (nfvhost render FLEET.yaml -i INVENTORY --out DIR)")
    .requiredOption("-i, --inventory <file>", "Ansible inventory (INI or YAML, with host_vars/group_vars)")
    .option("-l, --limit <hosts>", "only these hosts or groups (Ansible's --limit)")
    .option("-f, --forks <n>", "hosts at a time (Ansible's --forks)")
    .option("--vault-password-file <file>", "Ansible Vault password file (vaulted nfvhost_secrets)")
    .option("--ask-vault-pass", "ask for the Ansible Vault password")
    .option("--json", "machine-readable report");
}

export const fleetCommand: CommandModule = {
  register(program: Command) {
    const fleet = program
      .command("fleet")
      .description("many hosts from an Ansible inventory: snapshot, plan, render, apply, verify, status");

    fleet
      .command("snapshot")
      .description(
        "gather every host's snapshot over SSH into DIR/<host> (what nfvhost snapshot reads, and its applied plans)",
      )
      .argument("<inventory>", "Ansible inventory")
      .requiredOption("--out <dir>", "directory of the snapshots")
      .option("-l, --limit <hosts>", "only these hosts or groups")
      .option("-f, --forks <n>", "hosts at a time", "10")
      .option("--json", "machine-readable report")
      .action(
        returning(
          async (inventory: string, o: { out: string; limit?: string; forks?: string; json?: boolean }) => {
            const inv = limitHosts(await loadInventory(inventory), o.limit);
            const color = wantsColour(process.stdout);
            const outcomes = await snapshotFleet(inv, resolve(o.out), {
              forks: forksOf(o.forks, 10),
              onDone: (x) => {
                if (!o.json) process.stdout.write(`${formatSnapshotLine(x, color)}\n`);
              },
            });
            const ok = outcomes.filter((x) => x.ok).length;
            if (o.json) printJson({ out: resolve(o.out), hosts: outcomes });
            else process.stdout.write(`${ok} of ${outcomes.length} hosts snapshotted into ${o.out}\n`);
            return ok < outcomes.length ? 1 : 0;
          },
        ),
      );

    fleet
      .command("plan")
      .description("place every VNF of a fleet topology on a host (same as nfvhost plan FLEET -i INVENTORY)")
      .argument("<fleet>", "fleet topology (YAML)")
      .requiredOption("-i, --inventory <file>", "Ansible inventory")
      .option("--snapshots <dir>", "host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("-l, --limit <hosts>", "plan over these hosts or groups only")
      .option(
        "--time-limit <seconds>",
        "how long the exact placement may search when not every VNF fits (default: as nfvhost plan)",
        timeLimitOf,
      )
      .option("--json", "the fleet plan as JSON")
      .action(returning(fleetPlanAction));

    fleet
      .command("render")
      .description(
        "write DIR/<host>/ per host and the playbook DIR/site.yml (same as nfvhost render FLEET -i INVENTORY)",
      )
      .argument("<fleet>", "fleet topology (YAML)")
      .requiredOption("-i, --inventory <file>", "Ansible inventory")
      .requiredOption("--out <dir>", "output directory")
      .option("--snapshots <dir>", "host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("--force", "replace a non-empty output directory nfvhost did not create")
      .option("--salt-seed <seed>", "derive secret salts from this seed for stable output")
      .option("--json", "machine-readable summary")
      .action(returning(fleetRenderAction));

    const run = async (dir: string, o: RunCliOptions, mode: "apply" | "verify" | "status") => {
      const result = await runFleetPlaybook(
        resolve(dir),
        playbookOptions(o, mode === "apply" ? undefined : "verify"),
      );
      if (o.json) printJson({ command: result.command, code: result.code, hosts: result.hosts });
      else {
        if (mode === "apply")
          process.stderr.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
        process.stdout.write(formatFleetRun(result, mode, wantsColour(process.stdout)));
      }
      const bad = result.hosts.some((h) => h.status === "failed" || h.status === "unreachable");
      const drift = result.hosts.some((h) => h.drift.length > 0);
      return bad || (mode !== "status" && drift) ? 1 : 0;
    };

    runOptions(
      fleet
        .command("apply")
        .description(
          "deploy a rendered fleet with ansible-playbook: per host apply --json, then verify --json",
        ),
    )
      .option("-C, --check", "dry run on every host (Ansible's --check: nfvhost apply --dry-run)")
      .action(returning((dir: string, o: RunCliOptions) => run(dir, o, "apply")));
    runOptions(
      fleet
        .command("verify")
        .description("verify every host of a rendered fleet (exit 1 on drift or an unreachable host)"),
    ).action(returning((dir: string, o: RunCliOptions) => run(dir, o, "verify")));
    fleet
      .command("ui")
      .description(
        "the fleet page: hosts as tiles (CPU, page, VF use, VNFs), one click to each host's picture",
      )
      .argument("<dir>", "a fleet render (nfvhost render FLEET.yaml -i INVENTORY --out DIR)")
      .requiredOption("-i, --inventory <file>", "Ansible inventory")
      .option("--snapshots <dir>", "host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("--port <n>", "TCP port (0 = any free port)", "8471")
      .option("--host <addr>", "loopback address to bind", "127.0.0.1")
      .action(
        async (dir: string, o: { inventory: string; snapshots?: string; port: string; host: string }) => {
          const port = Number(o.port);
          if (!Number.isInteger(port) || port < 0 || port > 65535)
            throw new NfvError({
              code: "NFV-FLEET-UI",
              what: "--port",
              value: o.port,
              expected: "a TCP port from 0 to 65535",
            });
          const out = resolve(dir);
          const names = await assertFleetDir(out);
          const inv = await loadInventory(o.inventory);
          const { inputs } = await loadHostInputs(
            { ...inv, hosts: inv.hosts.filter((h) => names.includes(h.name)) },
            o.snapshots,
          );
          const marker = JSON.parse(await readFile(join(out, FLEET_MARKER), "utf8")) as { fleet: string };
          const hosts = await Promise.all(
            inputs.map(async (i) => {
              const { plan, verify } = await readHostPlan(out, join(out, REPORTS), i.host.name);
              return {
                tile: hostTile(i.host.name, i.host.labels, plan, verify),
                sources: createSources({
                  root: i.source,
                  topology: join(out, i.host.name, "topology.yaml"),
                  connect: null,
                  stateDir: null,
                }),
              };
            }),
          );
          const ui = await serveFleetUi(createFleetUiApp(marker.fleet, hosts), { host: o.host, port });
          process.stdout.write(`nfvhost fleet ui: ${ui.url}\nread-only; Ctrl-C stops it\n`);
          await new Promise<void>((done) => {
            const stop = () => void ui.close().then(done);
            process.once("SIGINT", stop);
            process.once("SIGTERM", stop);
          });
        },
      );

    runOptions(
      fleet.command("status").description("per host: its VNFs, their state and drift, with a summary line"),
    ).action(returning((dir: string, o: RunCliOptions) => run(dir, o, "status")));
  },
};
