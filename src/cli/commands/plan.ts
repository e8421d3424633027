import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { discoverHost } from "../../facts/discover.js";
import { formatPlan } from "../../plan/format.js";
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
          const result = planDeployment(facts, parsed.topology, deployed);
          const color = !opts.json && wantsColour(process.stdout);
          if (result.ok) {
            if (opts.json) printJson(result.plan);
            else process.stdout.write(formatPlan(result.plan, { color }));
            return;
          }
          reportPlanProblems(result.problems, parsed, { json: opts.json === true });
        },
      );
  },
};
