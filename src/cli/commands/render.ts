/**
 * `nfvhost render TOPOLOGY --out DIR`: discover -> plan -> render, then write every file the seed's
 * engineer would have typed (see docs/render.md). Nothing is written unless everything rendered:
 * the files go to a temporary directory next to DIR, which then takes DIR's place.
 */
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import Table from "cli-table3";
import type { Command } from "commander";
import { formatPlan } from "../../plan/format.js";
import { DEFAULT_DAY0_DIR, renderArtifacts, writeArtifacts } from "../../render/index.js";
import { checkOutDir, MARKER } from "../../render/write.js";
import { makePrivateWorkDir } from "../../util/private-files.js";

export { MARKER };
import type { RenderedFile } from "../../render/types.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { bool, sharedOptions, str, type RawOptions } from "../options.js";
import { pipelineFor } from "../pipeline.js";
import { memlockRaisable, preflight } from "../../desired/preflight.js";
import { DEFAULT_STATE_DIR } from "../../host/paths.js";
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
      .option(
        "--connect <uri>",
        "libvirt URI (default NFVHOST_CONNECT or qemu:///system; read for what runs now)",
      )
      .option("--state <dir>", "state directory (the last applied plan)", DEFAULT_STATE_DIR)
      .option("--force", "replace a non-empty output directory nfvhost did not create")
      .option(
        "--salt-seed <seed>",
        "derive secret salts from this seed for stable output (default: $NFVHOST_SECRET_SALT_SEED, else random)",
      )
      .option(
        "--day0-dir <dir>",
        `where apply.sh puts the day-0 ISOs on the host (default: STATE/day0, ${DEFAULT_DAY0_DIR})`,
      )
      .option("--json", "print the list of files as JSON")
      // Fleets (docs/fleet.md): DIR/<host>/ per host plus the playbook DIR/site.yml.
      .option("-i, --inventory <file>", "render a fleet topology over the hosts of this Ansible inventory")
      .option("--snapshots <dir>", "with -i: host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("-l, --limit <hosts>", "with -i: only these hosts or groups")
      .action(
        returning(async (file: string, raw: RawOptions) => {
          const shared = sharedOptions(raw);
          const inventory = str(raw, "inventory");
          if (inventory !== undefined) {
            const { fleetRenderAction } = await import("./fleet.js");
            return fleetRenderAction(file, {
              inventory,
              snapshots: str(raw, "snapshots"),
              limit: str(raw, "limit"),
              json: shared.json,
              out: str(raw, "out") ?? "",
              force: bool(raw, "force"),
              saltSeed: str(raw, "saltSeed"),
            });
          }
          const opts: RenderCliOptions = {
            out: str(raw, "out") ?? "",
            root: shared.root,
            force: bool(raw, "force"),
            saltSeed: str(raw, "saltSeed"),
            day0Dir: str(raw, "day0Dir"),
            json: shared.json,
          };
          const out = resolve(opts.out);
          const mode = await checkOutDir(out, opts.force === true);
          // The same pipeline as apply: on this host, running VMs (nfvhost's and foreign) are where
          // they run, and the XML carries the UUIDs apply keeps.
          const { parsed, facts, result, running } = await pipelineFor(file, shared);
          if (!result.ok) {
            return reportPlanProblems(result.problems, parsed, {
              json: opts.json === true,
              consequence: "nothing was written",
            });
          }
          for (const w of result.plan.warnings) process.stderr.write(`warning: ${w}\n`);
          const saltSeed = opts.saltSeed ?? process.env.NFVHOST_SECRET_SALT_SEED;
          // What this host can do (KVM, <locked/>), as apply decides it; a snapshot's host is
          // taken as able to lock memory, the limit is the daemon's there.
          const pre = await preflight(
            facts,
            result.plan,
            {
              lab: parsed.topology.lab,
              allowUnlocked: true,
              memlockRaisable: shared.root === "/" ? memlockRaisable : async () => true,
            },
            () => true,
          );
          const uuids = Object.fromEntries(
            running.libvirt.domains.filter((d) => d.config.uuid).map((d) => [d.name, d.config.uuid!]),
          );
          const files = renderArtifacts(
            result.plan,
            facts,
            {
              env: process.env,
              ...(saltSeed !== undefined && saltSeed !== "" ? { saltSeed } : {}),
              ...(opts.day0Dir !== undefined ? { day0Dir: opts.day0Dir } : {}),
            },
            { uuids, stateDir: shared.state, domainType: pre.domainType, locked: pre.locked },
          );

          // Private (0700) from the start: it holds the day-0 secrets until it takes DIR's place.
          const staging = await makePrivateWorkDir(dirname(out), "render");
          // The decisions (placement table, CPU map) are printed once the files are in place.
          let planText = "";
          const formatDecisions = () => {
            if (!opts.json) planText = formatPlan(result.plan, { color: wantsColour(process.stdout) });
          };
          try {
            await writeArtifacts(files, staging, { whileImagesBuild: formatDecisions });
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
            if (planText === "") formatDecisions();
            process.stdout.write(`${planText}\n`);
            printTable(files, sizes, out);
          }
          return 0;
        }),
      );
  },
};
