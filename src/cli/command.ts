import { AsyncLocalStorage } from "node:async_hooks";
import type { Command } from "commander";

/** A CLI command: registers its sub-command, options and action on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** Writes JSON the same way for every --json output: stable, two-space indented, newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  // A script parses stdout as ONE document: once the command printed its own (a doctor report, a
  // verify result), a failure after it must not append an error document.
  const box = exitBox.getStore();
  if (box) box.jsonPrinted = true;
}

/** What the main() call in progress produced: the exit code actions return, and whether a JSON
 * document already went to stdout. */
export interface RunOutcome {
  code: number;
  jsonPrinted: boolean;
}

const exitBox = new AsyncLocalStorage<RunOutcome>();

/** Runs `fn` (commander's parse) with `outcome` collecting its exit code and output kind. */
export async function collectExit(fn: () => Promise<unknown>, outcome: RunOutcome): Promise<number> {
  await exitBox.run(outcome, fn);
  return outcome.code;
}

/**
 * Wraps an action so it returns its exit code (0, 1 for drift or misfit) instead of writing
 * process.exitCode: main() returns the code, tests read it, nothing global is left set.
 */
export function returning<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = (await fn(...args)) ?? 0;
    const box = exitBox.getStore();
    if (box) box.code = Math.max(box.code, code);
    else process.exitCode = code;
  };
}
