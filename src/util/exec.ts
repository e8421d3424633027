/**
 * The one way nfvhost runs external programs: an argument array, never a shell string, so a name
 * from a topology file can never become shell syntax.
 *
 * The runner is injectable (as zx's `$` with its spawn): `withRunner(r, fn)` makes every `run()`
 * inside `fn` (however deep, across awaits) go through `r`. Tests replay a recorded session of
 * virsh (./recorded.ts) instead of a daemon; the CLI uses the real spawn.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { NfvError, PROGRAM_MESSAGE_LIMIT } from "./errors.js";

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Open file descriptors handed to the child as fd 3, 4, ... (the lock: util-linux `flock` locks
   * the open file description this process keeps after the child exits).
   */
  fds?: readonly number[];
}

export interface RunResult {
  command: string;
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** Quotes an argv for display in messages and scripts (never for execution). */
export function displayCommand(command: string, args: readonly string[]): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(q).join(" ");
}

/** The program itself could not be started (not installed, not executable). */
function cannotStart(command: string, e: NodeJS.ErrnoException): NfvError {
  return new NfvError({
    what: `cannot run ${command}`,
    value: e.code ?? e.message,
    expected: `${command} installed and on PATH`,
    fix: `install the package that provides ${command}`,
    exitCode: 1,
  });
}

/** What runs a program: the real spawn, a recorder around it, or a replay of a recording. */
export interface Runner {
  run(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** Starts the program for real (node:child_process spawn, no shell). */
export const spawnRunner: Runner = { run: spawnRun };

const injected = new AsyncLocalStorage<Runner>();

/** The runner of the current call chain: the injected one, else the real spawn. */
export function currentRunner(): Runner {
  return injected.getStore() ?? spawnRunner;
}

/** Runs `fn` with every `run()`/`runChecked()` in it (across awaits) going through `runner`. */
export function withRunner<T>(runner: Runner, fn: () => T): T {
  return injected.run(runner, fn);
}

/** Runs a program and resolves with its exit code and output; rejects only if it cannot start. */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return currentRunner().run(command, args, opts);
}

function spawnRun(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      // Typed as the three pipes the code below uses; extra fds only follow them.
      stdio: ["pipe", "pipe", "pipe", ...(opts.fds ?? [])] as unknown as ["pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(cannotStart(command, e));
    });
    child.on("close", (code, signal) => {
      resolve({
        command,
        args: [...args],
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    child.stdin.on("error", () => {
      /* the program may exit before reading its input */
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Like run(), but a non-zero exit is an NfvError naming the command and its stderr. */
export async function runChecked(
  command: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await run(command, args, opts);
  if (r.code !== 0) {
    throw new NfvError({
      what: `${displayCommand(command, args)} failed (exit ${r.code})`,
      value: (r.stderr || r.stdout).trim().split("\n").slice(-5).join(" | "),
      valueLimit: PROGRAM_MESSAGE_LIMIT,
      exitCode: 1,
    });
  }
  return r;
}

/**
 * Runs an interactive program (virsh console, tcpdump) with the terminal handed over: stdio is
 * inherited. Resolves with its exit code.
 */
export function runInteractive(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: "inherit" });
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(cannotStart(command, e));
    });
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
