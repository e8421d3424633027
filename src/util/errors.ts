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

function describe(d: NfvErrorDetails): string {
  const parts: string[] = [];
  const where = formatLocation(d.location);
  const head = where ? `${where}: ${d.what}` : d.what;
  parts.push(d.value === undefined ? head : `${head}: ${JSON.stringify(d.value)}`);
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
