import type { Command } from "commander";
import { applyTopology, DEFAULT_STATE_DIR } from "../../apply/index.js";
import { formatApplyReport, progressRenderer } from "../../apply/format.js";
import { directoryRoot, wholeSeconds } from "../../apply/options.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { bool, list, sharedOptions, str, type RawOptions } from "../options.js";
import { wantsColour } from "../../util/colour.js";
import { TopologyDoesNotFit } from "../../plan/misfit-error.js";
import { reportPlanProblems } from "../plan-problems.js";
import { PlanDoesNotFit } from "../../pipeline/index.js";

export function parseAccel(v: string | undefined): "kvm" | "tcg" | undefined {
  if (v === undefined) return undefined;
  if (v !== "tcg" && v !== "kvm")
    throw new NfvError({ what: "--accel", value: v, expected: "tcg or kvm", exitCode: 2 });
  return v;
}

export const applyCommand: CommandModule = {
  register(program: Command) {
    program
      .command("apply")
      .description(
        "converge the host to a topology: hugepages, VFs, NetworkManager, libvirt networks, day-0 ISOs, domains",
      )
      .argument("<topology>", "topology file")
      .option("--dry-run", "show what would change and stop")
      .option(
        "--yes [names...]",
        "allow stopping/redefining these running VNFs (or changing these PFs' VF count)",
      )
      .option(
        "--adopt",
        "take over existing domains and libvirt networks of the same name that nfvhost did not create",
      )
      .option("--connect <uri>", "libvirt URI of this host (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (lock, journal)", DEFAULT_STATE_DIR)
      .option(
        "--root <dir>",
        "read host facts from a snapshot root (directory) instead of this host; apply also writes its sysfs values and NetworkManager keyfiles under it",
        "/",
      )
      .option("--accel <accel>", "tcg: emulated domains (NOT FOR PRODUCTION)")
      .option("--allow-unlocked", "drop <locked/> where RLIMIT_MEMLOCK cannot be raised")
      .option(
        "--stop-timeout <seconds>",
        "ACPI shutdown wait in whole seconds before a hard stop (with --yes)",
        "60",
      )
      .option("--json", "machine-readable report")
      .action(
        returning(async (file: string, raw: RawOptions) => {
          // Bad values are refused before libvirt, sysfs or the state directory are touched.
          const o = sharedOptions(raw);
          const stopTimeoutSeconds = wholeSeconds(raw.stopTimeout, "--stop-timeout");
          const root = directoryRoot(o.root, "apply");
          const accel = parseAccel(str(raw, "accel"));
          const report = await applyTopology({
            topologyFile: file,
            connect: o.connect,
            stateDir: o.state,
            root,
            dryRun: bool(raw, "dryRun"),
            yes: list(raw, "yes"),
            adopt: bool(raw, "adopt"),
            accel,
            allowUnlocked: bool(raw, "allowUnlocked"),
            stopTimeoutMs: stopTimeoutSeconds * 1000,
            env: process.env,
            renderer: progressRenderer({ json: o.json, isTTY: process.stdout.isTTY === true }),
          }).catch((e: unknown) => {
            if (!(e instanceof TopologyDoesNotFit)) throw e;
            return reportPlanProblems(e.problems, e.parsed, {
              json: o.json,
              consequence: "nothing was changed",
              notes: e instanceof PlanDoesNotFit ? e.notes : [],
            });
          });
          if (typeof report === "number") return report;
          if (o.json) printJson(report);
          else
            process.stdout.write(
              formatApplyReport(report, { full: false, color: wantsColour(process.stdout) }),
            );
          return report.held.length > 0 ? 1 : 0;
        }),
      );
  },
};
