/**
 * One error type for everything the user can fix: it names the thing, the value, what was
 * expected and the fix, and optionally where in a file. The CLI prints it without a stack trace.
 */
export interface NfvErrorDetails {
  /** The thing at fault: a file, a field path, a device, a domain. */
  what: string;
  value?: unknown;
  expected?: string;
  fix?: string;
  /**
   * Longest value the message repeats whole (default 80). A program's own error message (virsh,
   * xorriso) gets more: the operator needs its words, and it is not the user's input echoed back.
   */
  valueLimit?: number;
  /** file:line:column when it comes from a file. */
  location?: { file: string; line?: number; column?: number };
  /** Process exit code; 2 for bad input (default), 1 for a failed check or operation. */
  exitCode?: number;
  /**
   * Stable code for scripts and docs (`NFV-TOPO-SCHEMA`, `NFV-PLAN-MISFIT`, `NFV-HOST-CONNECT`...):
   * the message may be reworded, the code does not change. Without one, the exit code decides:
   * NFV-INPUT (bad input, 2) or NFV-FAILED (an operation or check failed, 1).
   */
  code?: string;
}

export function formatLocation(loc: NfvErrorDetails["location"]): string {
  if (!loc) return "";
  let s = loc.file;
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

/** How much of a program's own error message an NfvError repeats. */
export const PROGRAM_MESSAGE_LIMIT = 500;

/** Longest value a message repeats whole; longer ones are cut (a 3 MB name is not printed back). */
const VALUE_MAX = 80;

/** Characters JSON leaves as they are but a terminal acts on or hides (DEL, C1, separators, BOM). */
const INVISIBLE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

function shortValue(value: unknown, max = VALUE_MAX): string {
  const json = (JSON.stringify(value) ?? String(value)).replace(
    INVISIBLE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  if (json.length <= max) return json;
  const text = typeof value === "string" ? value : json;
  const head = JSON.stringify([...text].slice(0, max - 20).join("")).replace(
    INVISIBLE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${head.slice(0, -1)}…" (${text.length} characters)`;
}

function describe(d: NfvErrorDetails): string {
  const parts: string[] = [];
  const where = formatLocation(d.location);
  const head = where ? `${where}: ${d.what}` : d.what;
  parts.push(d.value === undefined ? head : `${head}: ${shortValue(d.value, d.valueLimit)}`);
  if (d.expected) parts.push(`expected ${d.expected}`);
  if (d.fix) parts.push(`fix: ${d.fix}`);
  return parts.join("; ");
}

export class NfvError extends Error {
  readonly details: NfvErrorDetails;
  readonly exitCode: number;
  readonly code: string;

  constructor(details: NfvErrorDetails) {
    super(describe(details));
    this.name = "NfvError";
    this.details = details;
    this.exitCode = details.exitCode ?? 2;
    this.code = details.code ?? (this.exitCode === 2 ? "NFV-INPUT" : "NFV-FAILED");
  }

  /** The JSON error document `--json` prints on stdout. */
  toJSON(): ErrorDocument {
    const d = this.details;
    return {
      code: this.code,
      message: this.message,
      what: d.what,
      ...(d.value !== undefined ? { value: d.value } : {}),
      ...(d.expected ? { expected: d.expected } : {}),
      ...(d.fix ? { fix: d.fix } : {}),
      ...(d.location ? { location: d.location } : {}),
      exitCode: this.exitCode,
    };
  }
}

/** One failure as `--json` prints it. */
export interface ErrorDocument {
  code: string;
  message: string;
  what: string;
  value?: unknown;
  expected?: string;
  fix?: string;
  location?: NfvErrorDetails["location"];
  exitCode: number;
}

/** Several independent problems found at once (e.g. every error in a topology file). */
export class NfvErrors extends Error {
  readonly errors: NfvError[];
  readonly exitCode: number;

  constructor(errors: NfvError[], summary?: string) {
    super(summary ?? errors.map((e) => e.message).join("\n"));
    this.name = "NfvErrors";
    this.errors = errors;
    this.exitCode = Math.max(...errors.map((e) => e.exitCode), 1);
  }
}

const SYSTEM_FIXES: Record<string, string> = {
  ENOTDIR: "a part of the path is a file, not a directory: choose another path",
  EISDIR: "the path is a directory: name a file",
  EEXIST: "something else already exists there: choose another path",
  EACCES: "run as a user allowed to write there (root), or choose another path",
  EPERM: "run as a user allowed to write there (root), or choose another path",
  EROFS: "the file system is read-only: choose a path on a writable one",
  ENOSPC: "the disk is full: free space or choose another path",
  ENOENT: "create the missing directory first, or choose another path",
  ELOOP: "the path is (or goes through) a symbolic link nfvhost does not follow: use the real path",
  EBUSY: "the path is in use by the system (a mount point?): choose another path",
  EINVAL: "the kernel refuses this path here (/proc, /sys?): choose a path on a normal file system",
};

/**
 * A refused file-system call on a path (Node's errno errors carry code, syscall and path): the
 * path came from the user, so it is an error to fix, not a bug in nfvhost. Null for anything else.
 */
export function fromSystemError(err: unknown): NfvError | null {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== "string" || typeof e.path !== "string" || !e.syscall)
    return null;
  return new NfvError({
    what: `${e.syscall} ${e.path}`,
    value: e.code,
    expected: "a path nfvhost can use",
    fix: SYSTEM_FIXES[e.code] ?? "check the path and its permissions",
    exitCode: 1,
  });
}

/**
 * Text from a host or snapshot (a hostname, an os-release line) made safe to print: terminal
 * escape sequences and other control characters are shown as \xNN, never acted on.
 */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
