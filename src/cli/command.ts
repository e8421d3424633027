import { AsyncLocalStorage } from "node:async_hooks";
import type { Command } from "commander";

/** A CLI command: registers its sub-command, options and action on the program. */
export interface CommandModule {
  register(program: Command): void;
}

/** Writes JSON the same way for every --json output: stable, two-space indented, newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The exit code of the main() call in progress: actions return theirs, main() returns it. */
const exitBox = new AsyncLocalStorage<{ code: number }>();

/** Runs `fn` (commander's parse) and gives the exit code its action returned. */
export async function collectExit(fn: () => Promise<unknown>): Promise<number> {
  const box = { code: 0 };
  await exitBox.run(box, fn);
  return box.code;
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
