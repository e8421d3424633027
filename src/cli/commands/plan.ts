import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { discoverHost } from "../../facts/discover.js";
import { formatPlacementSummary, formatPlan } from "../../plan/format.js";
import { DEFAULT_TIME_LIMIT_S } from "../../plan/solve/index.js";
import { formatRepack, repackOpinion } from "../../plan/repack.js";
import { planDeployment } from "../../plan/planner.js";
import { refuseGarbageFacts } from "../../pipeline/index.js";
import type { DeployedVnf } from "../../plan/types.js";
import { loadTopology } from "../../topology/load.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson } from "../command.js";
import { reportPlanProblems } from "../plan-problems.js";
import { wantsColour } from "../../util/colour.js";

/** file:line of the topology value a problem is about, or of its VNF. */
function isDeployedList(v: unknown): v is DeployedVnf[] {
  return (
    Array.isArray(v) &&
    v.every(
      (d) =>
        typeof d === "object" &&
        d !== null &&
        typeof (d as DeployedVnf).name === "string" &&
        typeof (d as DeployedVnf).node === "number" &&
        Array.isArray((d as DeployedVnf).vcpuPins) &&
        Array.isArray((d as DeployedVnf).emulatorCpus) &&
        typeof (d as DeployedVnf).memoryKiB === "number" &&
        typeof (d as DeployedVnf).pageSizeKiB === "number" &&
        Array.isArray((d as DeployedVnf).vfs) &&
        Array.isArray((d as DeployedVnf).macs),
    )
  );
}

async function readDeployedFile(file: string): Promise<DeployedVnf[]> {
  let value: unknown;
  try {
    // A FIFO or device would block readFile forever: only regular files are read.
    const st = await stat(file);
    if (!st.isFile()) throw new Error("not a regular file");
    if (st.size > 16 * 1024 * 1024) throw new Error("larger than 16 MiB");
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new NfvError({
      what: "--deployed",
      value: file,
      expected: "a readable JSON file",
      fix: `check the file (${(err as Error).message})`,
    });
  }
  if (!isDeployedList(value)) {
    throw new NfvError({
      what: "--deployed",
      value: file,
      expected: "a JSON array of {name, node, vcpuPins, emulatorCpus, memoryKiB, pageSizeKiB, vfs, macs}",
      fix: "see docs/plan.md, section 'Re-planning'",
    });
  }
  return value;
}

function parseTimeLimit(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) {
    throw new NfvError({
      what: "--time-limit",
      value,
      expected: "seconds, a number above 0 and at most 3600",
      fix: "pass e.g. --time-limit 10",
    });
  }
  return n;
}

export const planCommand: CommandModule = {
  register(program: Command) {
    program
      .command("plan")
      .description(
        "compute every tuning and placement decision for a topology on this host (pure, changes nothing)",
      )
      .argument("<topology>", "topology file (YAML)")
      .option(
        "--root <dir>",
        "read host facts from a snapshot root (directory or .tar.gz) instead of this host",
        "/",
      )
      .option("--deployed <file>", "JSON list of VMs already running (never moved): see docs/plan.md")
      .option("--json", "print the plan (or the problems) as JSON, documented in docs/plan.md")
      .option(
        "--time-limit <seconds>",
        "wall-clock guard of the exact placement when not every VNF fits (it normally ends first at a fixed amount of work, the same on a busy machine); the result says whether it is proven optimal",
        parseTimeLimit,
        DEFAULT_TIME_LIMIT_S,
      )
      .option(
        "--repack",
        "second opinion on a running host (with --deployed): how many more VNFs would fit if running ones could move, and which would restart",
      )
      // Fleets (docs/fleet.md): the file is a fleet topology planned over an inventory's hosts.
      .option("-i, --inventory <file>", "plan a fleet topology over the hosts of this Ansible inventory")
      .option("--snapshots <dir>", "with -i: host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("-l, --limit <hosts>", "with -i: only these hosts or groups")
      .action(
        async (
          file: string,
          opts: {
            root: string;
            deployed?: string;
            json?: boolean;
            timeLimit: number;
            repack?: boolean;
            inventory?: string;
            snapshots?: string;
            limit?: string;
          },
        ) => {
          if (opts.inventory !== undefined) {
            const { fleetPlanAction } = await import("./fleet.js");
            return fleetPlanAction(file, { ...opts, inventory: opts.inventory });
          }
          const parsed = await loadTopology(file);
          const facts = await discoverHost({ root: opts.root });
          refuseGarbageFacts(facts);
          const deployed = opts.deployed ? await readDeployedFile(opts.deployed) : [];
          if (opts.repack) {
            if (!opts.deployed) {
              throw new NfvError({
                what: "--repack",
                value: "without --deployed",
                expected: "the running VMs (--deployed FILE) to weigh moving",
                fix: "pass --deployed FILE (see docs/plan.md, section 'Re-planning')",
              });
            }
            const o = repackOpinion(facts, parsed.topology, deployed, { timeLimitS: opts.timeLimit });
            if (opts.json) printJson({ repack: o });
            else process.stdout.write(formatRepack(o));
            return;
          }
          const result = planDeployment(facts, parsed.topology, deployed, { timeLimitS: opts.timeLimit });
          const color = !opts.json && wantsColour(process.stdout);
          if (result.ok) {
            if (opts.json) printJson(result.plan);
            else process.stdout.write(formatPlan(result.plan, { color }));
            return;
          }
          reportPlanProblems(result.problems, parsed, { json: opts.json === true });
          // The most that fit together, proven or with its bound, under the problems.
          if (!opts.json && result.placement && result.placement.placed < result.placement.of)
            process.stderr.write(`${formatPlacementSummary(result.placement)}\n`);
        },
      );
  },
};
