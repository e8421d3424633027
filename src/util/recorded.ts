/**
 * Record and replay of external commands, as host snapshots are for /proc and /sys: a session
 * recorded once against the real program (virsh on a real libvirtd) answers the same calls later
 * without it, fast and the same every time. Unit tests of apply, verify and rollback replay such
 * sessions; the real-daemon suites can record new ones (NFVHOST_RECORD=FILE).
 *
 * Calls are matched by program and arguments, not by position: apply reads libvirt with several
 * calls in flight, so their order varies between runs. Repeated calls (a state polled until it
 * changes) are answered in the order they were recorded.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { NfvError } from "./errors.js";
import { displayCommand, spawnRunner, type RunOptions, type RunResult, type Runner } from "./exec.js";

export interface RecordedCall {
  command: string;
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** Content of the files the call was given (virsh define FILE): what was defined. */
  files?: Record<string, string>;
}

export interface Session {
  schema: 1;
  calls: RecordedCall[];
}

/**
 * Values that differ between runs (temporary state directories) are recorded as placeholders:
 * `{ "$STATE": "/tmp/nfvhost-state-x1y2" }` turns that path into `$STATE` in the session and back
 * on replay.
 */
export type Placeholders = Record<string, string>;

/** virsh define/net-define read a private temp file whose name is random: one stable name. */
const TEMP_XML = /\/[^\s'"]*\/nfvhost-xml-[^/\s'"]+\/object\.xml/g;
const isTempXml = (arg: string) => /\/nfvhost-xml-[^/]+\/object\.xml$/.test(arg);

function toPlaceholders(text: string, p: Placeholders): string {
  let out = text.replace(TEMP_XML, "$TMP/object.xml");
  // Longest value first: a path and a path inside it.
  for (const [name, value] of Object.entries(p).sort((a, b) => b[1].length - a[1].length)) {
    if (value) out = out.split(value).join(name);
  }
  return out;
}

function fromPlaceholders(text: string, p: Placeholders): string {
  let out = text;
  for (const [name, value] of Object.entries(p).sort((a, b) => b[0].length - a[0].length)) {
    out = out.split(name).join(value);
  }
  return out;
}

const keyOf = (command: string, args: readonly string[]) => JSON.stringify([command, ...args]);

/** Runs each program for real and keeps every call with its answer. */
export class RecordingRunner implements Runner {
  readonly calls: RecordedCall[] = [];
  constructor(
    private readonly placeholders: Placeholders = {},
    private readonly inner: Runner = spawnRunner,
    /** Only these programs are recorded (the others run and are not kept). */
    private readonly programs: ReadonlySet<string> = new Set(["virsh"]),
  ) {}

  async run(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    // The file a define reads is gone once the call returns: read it first.
    const files: Record<string, string> = {};
    if (this.programs.has(command)) {
      for (const a of args.filter(isTempXml)) {
        files[toPlaceholders(a, this.placeholders)] = toPlaceholders(
          await readFile(a, "utf8"),
          this.placeholders,
        );
      }
    }
    const r = await this.inner.run(command, args, opts);
    if (this.programs.has(command)) {
      const p = (t: string) => toPlaceholders(t, this.placeholders);
      this.calls.push({
        command,
        args: args.map(p),
        code: r.code,
        stdout: p(r.stdout),
        stderr: p(r.stderr),
        ...(Object.keys(files).length > 0 ? { files } : {}),
      });
    }
    return r;
  }

  session(): Session {
    return { schema: 1, calls: this.calls };
  }

  save(file: string): void {
    writeFileSync(file, `${JSON.stringify(this.session(), null, 2)}\n`, { mode: 0o644 });
  }
}

/**
 * Answers calls from a recorded session. A call the session does not hold is an error naming it
 * (the code under test asked libvirt something new: record the session again). Programs outside
 * `programs` run for real (xorriso builds a real ISO in the test's temp directory).
 */
export class ReplayRunner implements Runner {
  private readonly pending = new Map<string, RecordedCall[]>();
  /** Every call answered, in the order asked, with the files it was given (placeholders applied). */
  readonly asked: RecordedCall[] = [];

  constructor(
    session: Session,
    private readonly placeholders: Placeholders = {},
    private readonly programs: ReadonlySet<string> = new Set(["virsh"]),
    private readonly inner: Runner = spawnRunner,
  ) {
    for (const c of session.calls) {
      const k = keyOf(c.command, c.args);
      this.pending.set(k, [...(this.pending.get(k) ?? []), c]);
    }
  }

  static load(file: string, placeholders: Placeholders = {}): ReplayRunner {
    return new ReplayRunner(JSON.parse(readFileSync(file, "utf8")) as Session, placeholders);
  }

  async run(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    if (!this.programs.has(command)) return this.inner.run(command, args, opts);
    const recordedArgs = args.map((a) => toPlaceholders(a, this.placeholders));
    const files: Record<string, string> = {};
    for (const a of args.filter(isTempXml)) {
      files[toPlaceholders(a, this.placeholders)] = toPlaceholders(
        await readFile(a, "utf8"),
        this.placeholders,
      );
    }
    const queue = this.pending.get(keyOf(command, recordedArgs));
    const call = queue?.shift();
    if (!call) {
      throw new NfvError({
        what: "recorded session",
        value: displayCommand(command, recordedArgs),
        expected: "a call the session recorded",
        fix: "the code asks the program something new: record the session again against the real program",
        code: "NFV-TEST-REPLAY",
      });
    }
    // A repeated call (state polled until it changes) keeps answering with its last recording.
    if (queue!.length === 0) queue!.push(call);
    this.asked.push({ ...call, ...(Object.keys(files).length > 0 ? { files } : {}) });
    const p = (t: string) => fromPlaceholders(t, this.placeholders);
    return { command, args: [...args], code: call.code, stdout: p(call.stdout), stderr: p(call.stderr) };
  }
}
