/**
 * The nfvhost command line. Each command lives in ./commands/<name>.ts and registers itself on
 * the program; this file only wires them and turns user-fixable errors into clean messages.
 */
import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { NfvError, NfvErrors } from "../util/errors.js";
import type { CommandModule } from "./command.js";
// commands: one import per line, keep sorted
import { applyCommand } from "./commands/apply.js";
import { discoverCommand } from "./commands/discover.js";
import { doctorCommand } from "./commands/doctor.js";
import { planCommand } from "./commands/plan.js";
import { renderCommand } from "./commands/render.js";
import { snapshotCommand } from "./commands/snapshot.js";
import { validateCommand } from "./commands/validate.js";
import { verifyCommand } from "./commands/verify.js";
import { uiCommand } from "./commands/ui.js";
import { captureCommand } from "./commands/capture.js";
import { consoleCommand } from "./commands/console.js";
import { destroyCommand } from "./commands/destroy.js";
import { rollbackCommand } from "./commands/rollback.js";
import { statusCommand } from "./commands/status.js";
// end commands

const COMMANDS: CommandModule[] = [
  // registry: one entry per line, keep sorted
  applyCommand,
  discoverCommand,
  doctorCommand,
  planCommand,
  renderCommand,
  snapshotCommand,
  validateCommand,
  verifyCommand,
  uiCommand,
  captureCommand,
  consoleCommand,
  destroyCommand,
  rollbackCommand,
  statusCommand,
  // end registry
];

export function buildProgram(): Command {
  const program = new Command("nfvhost")
    .description("Turn a Linux KVM server into a tuned NFV host and deploy virtual routers on it")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of COMMANDS) cmd.register(program);
  return program;
}

function printError(err: NfvError): void {
  process.stderr.write(`${pc.red("error")}: ${err.message}\n`);
}

/** Runs the CLI and returns the process exit code; never throws for user-fixable problems. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof NfvErrors) {
      for (const e of err.errors) printError(e);
      process.stderr.write(`${err.errors.length} problem(s) found; nothing was changed.\n`);
      return err.exitCode;
    }
    if (err instanceof NfvError) {
      printError(err);
      return err.exitCode;
    }
    throw err;
  }
}
