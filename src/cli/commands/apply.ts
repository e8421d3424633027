import type { Command } from "commander";
import { applyTopology, DEFAULT_STATE_DIR } from "../../apply/index.js";
import { formatApplyReport, progressRenderer } from "../../apply/format.js";
import { directoryRoot, wholeSeconds } from "../../apply/options.js";
import { resolveConnect } from "../../libvirt/virsh.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson } from "../command.js";
import { wantsColour } from "../../util/colour.js";
import { TopologyDoesNotFit } from "../../plan/misfit-error.js";
import { reportPlanProblems } from "../plan-problems.js";

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
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
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
      .action(async (file: string, o: Record<string, unknown>) => {
        // Bad values are refused before libvirt, sysfs or the state directory are touched.
        const stopTimeoutSeconds = wholeSeconds(o.stopTimeout, "--stop-timeout");
        const root = directoryRoot(o.root as string, "apply");
        const accel = parseAccel(o.accel as string | undefined);
        const json = Boolean(o.json);
        const report = await applyTopology({
          topologyFile: file,
          connect: resolveConnect(o.connect as string | undefined),
          stateDir: o.state as string,
          root,
          dryRun: Boolean(o.dryRun),
          yes: Array.isArray(o.yes) ? (o.yes as string[]) : [],
          adopt: Boolean(o.adopt),
          accel,
          allowUnlocked: Boolean(o.allowUnlocked),
          stopTimeoutMs: stopTimeoutSeconds * 1000,
          env: process.env,
          renderer: progressRenderer({ json, isTTY: process.stdout.isTTY === true }),
        }).catch((e: unknown) => {
          if (!(e instanceof TopologyDoesNotFit)) throw e;
          reportPlanProblems(e.problems, e.parsed, { json, consequence: "nothing was changed" });
          return null;
        });
        if (!report) return;
        if (json) printJson(report);
        else
          process.stdout.write(
            formatApplyReport(report, { full: false, color: wantsColour(process.stdout) }),
          );
        if (report.held.length > 0) process.exitCode = 1;
      });
  },
};
