/**
 * `nfvhost render TOPOLOGY --out DIR`: discover -> plan -> render, then write every file the seed's
 * engineer would have typed (see docs/render.md). Nothing is written unless everything rendered:
 * the files go to a temporary directory next to DIR, which then takes DIR's place.
 */
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import Table from "cli-table3";
import type { Command } from "commander";
import { discoverHost } from "../../facts/discover.js";
import { formatPlan } from "../../plan/format.js";
import { planDeployment } from "../../plan/planner.js";
import { DEFAULT_DAY0_DIR, renderArtifacts, writeArtifacts } from "../../render/index.js";
import { checkOutDir, MARKER } from "../../render/write.js";
import { makePrivateWorkDir } from "../../util/private-files.js";

export { MARKER };
import type { RenderedFile } from "../../render/types.js";
import { loadTopology } from "../../topology/load.js";
import { type CommandModule, printJson } from "../command.js";
import { reportPlanProblems } from "../plan-problems.js";
import { wantsColour } from "../../util/colour.js";

interface RenderCliOptions {
  out: string;
  inventory?: string;
  snapshots?: string;
  limit?: string;
  root: string;
  force?: boolean;
  saltSeed?: string;
  day0Dir?: string;
  json?: boolean;
}

function humanSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function printTable(files: RenderedFile[], sizes: Map<string, number>, out: string): void {
  const table = new Table({
    head: ["file", "mode", "size", "what it is"],
    style: { head: [], border: [], compact: true },
  });
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    table.push([
      f.path,
      f.mode.toString(8).padStart(4, "0"),
      humanSize(sizes.get(f.path) ?? 0),
      f.description,
    ]);
  }
  process.stdout.write(
    `${table.toString()}\n${files.length} files in ${out}; review them, then run: bash ${join(out, "apply.sh")}\n`,
  );
}

export const renderCommand: CommandModule = {
  register(program: Command) {
    program
      .command("render")
      .description(
        "write every artifact of a topology (libvirt XML, NetworkManager, kernel args, day-0 ISO, apply.sh) without applying it",
      )
      .argument("<topology>", "topology file (YAML)")
      .requiredOption(
        "--out <dir>",
        "output directory (created; refused when non-empty and not an earlier render)",
      )
      .option(
        "--root <dir>",
        "read host facts from a snapshot root (directory or .tar.gz) instead of this host",
        "/",
      )
      .option("--force", "replace a non-empty output directory nfvhost did not create")
      .option(
        "--salt-seed <seed>",
        "derive secret salts from this seed for stable output (default: $NFVHOST_SECRET_SALT_SEED, else random)",
      )
      .option("--day0-dir <dir>", "where apply.sh puts the day-0 ISOs on the host", DEFAULT_DAY0_DIR)
      .option("--json", "print the list of files as JSON")
      // Fleets (docs/fleet.md): DIR/<host>/ per host plus the playbook DIR/site.yml.
      .option("-i, --inventory <file>", "render a fleet topology over the hosts of this Ansible inventory")
      .option("--snapshots <dir>", "with -i: host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("-l, --limit <hosts>", "with -i: only these hosts or groups")
      .action(async (file: string, opts: RenderCliOptions) => {
        if (opts.inventory !== undefined) {
          const { fleetRenderAction } = await import("./fleet.js");
          return fleetRenderAction(file, { ...opts, inventory: opts.inventory });
        }
        const out = resolve(opts.out);
        const mode = await checkOutDir(out, opts.force === true);
        const parsed = await loadTopology(file);
        const facts = await discoverHost({ root: opts.root });
        const result = planDeployment(facts, parsed.topology);
        if (!result.ok) {
          reportPlanProblems(result.problems, parsed, {
            json: opts.json === true,
            consequence: "nothing was written",
          });
          return;
        }
        for (const w of result.plan.warnings) process.stderr.write(`warning: ${w}\n`);
        const saltSeed = opts.saltSeed ?? process.env.NFVHOST_SECRET_SALT_SEED;
        const files = renderArtifacts(result.plan, facts, {
          env: process.env,
          ...(saltSeed !== undefined && saltSeed !== "" ? { saltSeed } : {}),
          ...(opts.day0Dir !== undefined ? { day0Dir: opts.day0Dir } : {}),
        });

        // Private (0700) from the start: it holds the day-0 secrets until it takes DIR's place.
        const staging = await makePrivateWorkDir(dirname(out), "render");
        try {
          await writeArtifacts(files, staging);
          const marker = {
            topology: result.plan.topology,
            renderedAt: new Date().toISOString(),
            files: files.map((f) => f.path),
          };
          await writeFile(join(staging, MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o644 });
          if (mode === "replace") await rm(out, { recursive: true, force: true });
          await rename(staging, out);
        } catch (err) {
          await rm(staging, { recursive: true, force: true });
          throw err;
        }
        const sizes = new Map<string, number>();
        for (const f of files) sizes.set(f.path, (await stat(join(out, f.path))).size);
        if (opts.json) {
          printJson(
            files.map((f) => ({
              path: f.path,
              mode: f.mode.toString(8).padStart(4, "0"),
              size: sizes.get(f.path),
              description: f.description,
            })),
          );
        } else {
          // The decisions first (placement table, CPU map), then what was written from them.
          const color = wantsColour(process.stdout);
          process.stdout.write(`${formatPlan(result.plan, { color })}\n`);
          printTable(files, sizes, out);
        }
      });
  },
};
