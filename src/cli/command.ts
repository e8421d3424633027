import type { Command } from "commander";

/** A CLI command: registers its sub-command, options and action on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** Writes JSON the same way for every --json output: stable, two-space indented, newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
