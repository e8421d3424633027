/**
 * `nfvhost doctor [--root DIR] [--json]`: discover the host (live or a snapshot), audit it with
 * runDoctor and print the report. Exits 1 when any check fails so scripts and CI can gate on it.
 */
import type { Command } from "commander";
import { runDoctor, failedChecks } from "../../doctor/index.js";
import { doctorView, renderCompact, renderReport } from "../../doctor/render.js";
import { discoverHost } from "../../facts/discover.js";
import { NfvError } from "../../util/errors.js";
import { garbageError } from "./discover.js";
import { printJson, type CommandModule } from "../command.js";
import { wantsColour } from "../../util/colour.js";

interface DoctorOptions {
  root?: string;
  json?: boolean;
  verbose?: boolean;
}

export const doctorCommand: CommandModule = {
  register(program: Command): void {
    program
      .command("doctor")
      .description(
        "audit the host against the seed guide, virt-host-validate and NFV tuning: evidence and exact fix per check; exit 1 if any check fails",
      )
      .option("--root <dir>", "read a snapshot root (directory or .tar.gz) instead of this host", "/")
      .option("--json", "print {host, summary, checks} as JSON")
      .option(
        "--verbose",
        "on a terminal too, print every check's evidence and fix (the table logs and pipes get)",
      )
      .action(async (opts: DoctorOptions) => {
        const facts = await discoverHost({ root: opts.root ?? "/" });
        const report = runDoctor(facts);
        if (opts.json) printJson(report);
        else {
          const color = wantsColour(process.stdout);
          const view = doctorView({ verbose: opts.verbose === true, isTTY: process.stdout.isTTY === true });
          const render = view === "compact" ? renderCompact : renderReport;
          process.stdout.write(render(report, { width: process.stdout.columns ?? 120, color }));
        }
        // Verdicts resting on garbage files (e.g. no vmx because /proc/cpuinfo is garbage) are not
        // host problems: say the input is bad (exit 2) before any failed check (exit 1).
        const garbage = garbageError(facts);
        if (garbage) throw garbage;
        const failed = failedChecks(report);
        if (failed.length) {
          throw new NfvError({
            what: `doctor: ${failed.length} check(s) failed on ${report.host}`,
            value: failed.map((c) => c.id).join(", "),
            fix: "apply each failed check's fix shown above, then run nfvhost doctor again",
            exitCode: 1,
          });
        }
      });
  },
};
