import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { formatPlacementSummary, formatPlan } from "../../plan/format.js";
import { DEFAULT_TIME_LIMIT_S } from "../../plan/solve/index.js";
import { formatRepack, repackOpinion } from "../../plan/repack.js";
import type { DeployedVnf } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { reportPlanProblems } from "../plan-problems.js";
import {
  connectOption,
  jsonOption,
  rootOption,
  sharedOptions,
  stateOption,
  str,
  type RawOptions,
} from "../options.js";
import { pipelineFor } from "../pipeline.js";
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
    const cmd = program
      .command("plan")
      .description(
        "compute every tuning and placement decision for a topology on this host (pure, changes nothing)",
      )
      .argument("<topology>", "topology file (YAML)");
    rootOption(cmd, "read host facts from a snapshot root (directory or .tar.gz) instead of this host");
    connectOption(cmd);
    stateOption(cmd, "state directory (where the last applied plan is kept)");
    cmd.option(
      "--deployed <file>",
      "JSON list of VMs already running on a snapshot's host (never moved): see docs/plan.md",
    );
    jsonOption(cmd, "print the plan (or the problems) as JSON, documented in docs/plan.md");
    cmd
      .option(
        "--time-limit <seconds>",
        "wall-clock guard of the exact placement when not every VNF fits (it normally ends first at a fixed amount of work, the same on a busy machine); the result says whether it is proven optimal",
        parseTimeLimit,
        DEFAULT_TIME_LIMIT_S,
      )
      .option(
        "--repack",
        "second opinion on a running host: how many more VNFs would fit if running ones could move, and which would restart",
      );
    // Fleets (docs/fleet.md): the file is a fleet topology planned over an inventory's hosts.
    cmd
      .option("-i, --inventory <file>", "plan a fleet topology over the hosts of this Ansible inventory")
      .option("--snapshots <dir>", "with -i: host snapshots (nfvhost fleet snapshot --out DIR)")
      .option("-l, --limit <hosts>", "with -i: only these hosts or groups");
    cmd.action(
      returning(async (file: string, raw: RawOptions) => {
        const o = sharedOptions(raw);
        const inventory = str(raw, "inventory");
        if (inventory !== undefined) {
          const { fleetPlanAction } = await import("./fleet.js");
          return fleetPlanAction(file, {
            json: o.json,
            inventory,
            snapshots: str(raw, "snapshots"),
            limit: str(raw, "limit"),
            ...(typeof raw.timeLimit === "number" ? { timeLimit: raw.timeLimit } : {}),
          });
        }
        const timeLimitS = typeof raw.timeLimit === "number" ? raw.timeLimit : DEFAULT_TIME_LIMIT_S;
        const deployedFile = str(raw, "deployed");
        const deployed = deployedFile ? await readDeployedFile(deployedFile) : undefined;
        const { parsed, facts, result, running } = await pipelineFor(file, o, { deployed, timeLimitS });
        if (raw.repack === true) {
          // What runs now (libvirt, or --deployed for a snapshot) is what could move.
          const opinion = repackOpinion(facts, parsed.topology, running.deployed, { timeLimitS });
          if (o.json) printJson({ repack: opinion });
          else process.stdout.write(formatRepack(opinion));
          return 0;
        }
        const color = !o.json && wantsColour(process.stdout);
        if (result.ok) {
          if (o.json) printJson(result.plan);
          else process.stdout.write(formatPlan(result.plan, { color }));
          return 0;
        }
        const code = reportPlanProblems(result.problems, parsed, {
          json: o.json,
          notes: running.notes,
          ...(result.placement ? { placement: result.placement } : {}),
        });
        // The most that fit together, proven or with its bound, under the problems.
        if (!o.json && result.placement && result.placement.placed < result.placement.of)
          process.stderr.write(`${formatPlacementSummary(result.placement)}\n`);
        return code;
      }),
    );
  },
};
