/**
 * The nfvhost command line. Each command lives in ./commands/<name>.ts and registers itself on
 * the program; this file only wires them and turns user-fixable errors into clean messages.
 */
import { Command, CommanderError } from "commander";
import { fromSystemError, NfvError, NfvErrors } from "../util/errors.js";
import { collectExit, type CommandModule } from "./command.js";
import { colours, wantsColour } from "../util/colour.js";
// Commands load on demand: `nfvhost plan` should not pay for the dashboard's web server or the XML
// library. One line per command, sorted; the module exports `<name>Command`.
const LOADERS: Record<string, () => Promise<CommandModule>> = {
  apply: async () => (await import("./commands/apply.js")).applyCommand,
  capture: async () => (await import("./commands/capture.js")).captureCommand,
  console: async () => (await import("./commands/console.js")).consoleCommand,
  destroy: async () => (await import("./commands/destroy.js")).destroyCommand,
  discover: async () => (await import("./commands/discover.js")).discoverCommand,
  doctor: async () => (await import("./commands/doctor.js")).doctorCommand,
  exec: async () => (await import("./commands/exec.js")).execCommand,
  explain: async () => (await import("./commands/explain.js")).explainCommand,
  export: async () => (await import("./commands/export.js")).exportCommand,
  fleet: async () => (await import("./commands/fleet.js")).fleetCommand,
  plan: async () => (await import("./commands/plan.js")).planCommand,
  render: async () => (await import("./commands/render.js")).renderCommand,
  rollback: async () => (await import("./commands/rollback.js")).rollbackCommand,
  snapshot: async () => (await import("./commands/snapshot.js")).snapshotCommand,
  status: async () => (await import("./commands/status.js")).statusCommand,
  ui: async () => (await import("./commands/ui.js")).uiCommand,
  validate: async () => (await import("./commands/validate.js")).validateCommand,
  verify: async () => (await import("./commands/verify.js")).verifyCommand,
};

/**
 * The command named in argv alone when there is one; none for `nfvhost --version` (it only prints
 * the version, and loading all 14 commands cost it ~200 ms); else every command (for --help).
 */
export async function loadCommands(argv: string[] = []): Promise<CommandModule[]> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) return [];
  const name = args.find((a) => !a.startsWith("-"));
  const loader = name === undefined ? undefined : LOADERS[name];
  if (loader) return [await loader()];
  return Promise.all(Object.values(LOADERS).map((load) => load()));
}

export function buildProgram(commands: CommandModule[]): Command {
  const program = new Command("nfvhost")
    .description("Turn a Linux KVM server into a tuned NFV host and deploy virtual routers on it")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  for (const cmd of commands) cmd.register(program);
  return program;
}

function printError(err: NfvError): void {
  process.stderr.write(`${colours(wantsColour(process.stderr)).red("error")}: ${err.message}\n`);
}

/** Runs the CLI and returns the process exit code; never throws for user-fixable problems. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(await loadCommands(argv));
  const outcome = { code: 0, jsonPrinted: false };
  try {
    const code = await collectExit(() => program.parseAsync(argv), outcome);
    // A command not yet converted to returning its code may still set process.exitCode.
    return code || (typeof process.exitCode === "number" ? process.exitCode : 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    // --json: a script reads stdout, so every failure is a JSON document there too (the human
    // message still goes to stderr).
    const json = argv.slice(2).includes("--json");
    if (json && !outcome.jsonPrinted && (err instanceof NfvErrors || err instanceof NfvError)) {
      const errors = err instanceof NfvErrors ? err.errors : [err];
      process.stdout.write(
        `${JSON.stringify({ ok: false, errors: errors.map((e) => e.toJSON()) }, null, 2)}\n`,
      );
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
    // A path the system refused (a file as parent, /proc, read-only): the user's to fix.
    const refused = fromSystemError(err);
    if (refused) {
      printError(refused);
      return refused.exitCode;
    }
    // Anything else is a bug in nfvhost, not the user's input: say so plainly, keep the stack
    // for whoever reports it.
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(
      `${colours(wantsColour(process.stderr)).red("internal error")} (a bug in nfvhost): ${e.message}\n` +
        (process.env.NFVHOST_DEBUG ? `${e.stack}\n` : "rerun with NFVHOST_DEBUG=1 for the stack trace\n"),
    );
    return 70;
  }
}
