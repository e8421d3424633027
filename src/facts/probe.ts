/**
 * Facts discovery takes from programs and device nodes rather than files: libvirt and QEMU
 * versions, `firewall-cmd --state`, /dev/kvm and friends. A live host answers by running the
 * program or stat-ing the node; a snapshot answers from the raw outputs `nfvhost snapshot`
 * recorded in its meta file (SNAPSHOT_META, documented in docs/discover.md). Like HostReader's
 * trace, every answer a probe gives is kept, so a snapshot records exactly the probes discovery
 * made and nothing is listed by hand.
 *
 * This is part of the facts reader layer: with HostReader, the only place discovery does I/O.
 */
import { accessSync, constants, statSync, type Stats } from "node:fs";
import { NfvError } from "../util/errors.js";
import { displayCommand, run } from "../util/exec.js";
import type { HostReader } from "./reader.js";

/** The meta file at the top of every snapshot `nfvhost snapshot` writes. */
export const SNAPSHOT_META = "nfvhost-snapshot.json";
/** Version of the meta file's shape; fields are only ever added within one format. */
export const SNAPSHOT_META_FORMAT = 1;

const COMMAND_TIMEOUT_MS = 10_000;

/** What one program run gave: its exit code and raw output, or why it could not start. */
export type CommandRecord = { code: number; stdout: string; stderr: string } | { error: string };

/** What one device path held. Only `exists` and `readWrite` feed facts; the rest is evidence. */
export interface DeviceRecord {
  exists: boolean;
  /** "char", "block", "dir", "file", "fifo", "socket" (links are followed). */
  type?: string;
  /** Permission bits in octal, e.g. "0660". */
  mode?: string;
  uid?: number;
  gid?: number;
  /** access(2) R_OK|W_OK for the user that ran discovery; only where discovery asks for it. */
  readWrite?: boolean;
}

/** Where and when the recorded answers were observed. */
export interface MetaHeader {
  /** ISO 8601 time the commands ran and the devices were checked. */
  takenAt: string;
  hostname: string | null;
  /** The root the answers were observed on ("/" for a live host). */
  root: string;
}

export interface SnapshotMeta extends MetaHeader {
  format: typeof SNAPSHOT_META_FORMAT;
  /** Keyed by the command line as run ("libvirtd --version"). */
  commands: Record<string, CommandRecord>;
  /** Keyed by host path ("/dev/kvm"). */
  devices: Record<string, DeviceRecord>;
}

/**
 * One source of command and device answers. `undefined` means "not recorded": the answer is
 * unknown (a hand-made tree, an older snapshot), which discovery reports as null, never as absent.
 */
export abstract class HostProbe {
  readonly commands = new Map<string, CommandRecord>();
  readonly devices = new Map<string, DeviceRecord>();
  /** Header of the snapshot the answers were replayed from; null when observed now (or nowhere). */
  source: MetaHeader | null = null;

  async command(cmd: string, args: readonly string[]): Promise<CommandRecord | undefined> {
    const key = displayCommand(cmd, args);
    const seen = this.commands.get(key);
    if (seen) return seen;
    const rec = await this.runCommand(cmd, args, key);
    if (rec) this.commands.set(key, rec);
    return rec;
  }

  device(hostPath: string, opts: { access?: boolean } = {}): DeviceRecord | undefined {
    const seen = this.devices.get(hostPath);
    if (seen && (!opts.access || !seen.exists || seen.readWrite !== undefined)) return seen;
    const rec = this.checkDevice(hostPath, opts.access ?? false);
    if (rec) this.devices.set(hostPath, rec);
    return rec;
  }

  protected abstract runCommand(
    cmd: string,
    args: readonly string[],
    key: string,
  ): Promise<CommandRecord | undefined>;
  protected abstract checkDevice(hostPath: string, access: boolean): DeviceRecord | undefined;
}

/** This machine: runs the programs and checks /dev itself. */
class LiveProbe extends HostProbe {
  protected async runCommand(cmd: string, args: readonly string[]): Promise<CommandRecord> {
    try {
      const res = await run(cmd, args, { timeoutMs: COMMAND_TIMEOUT_MS });
      return { code: res.code, stdout: res.stdout, stderr: res.stderr };
    } catch (e) {
      // Not installed (ENOENT) or not executable: that is an answer too, and worth recording.
      const value = e instanceof NfvError ? e.details.value : (e as Error).message;
      return { error: String(value) };
    }
  }

  protected checkDevice(hostPath: string, access: boolean): DeviceRecord {
    let st: Stats;
    try {
      st = statSync(hostPath);
    } catch {
      return { exists: false };
    }
    const rec: DeviceRecord = {
      exists: true,
      type: nodeType(st),
      mode: (st.mode & 0o7777).toString(8).padStart(4, "0"),
      uid: st.uid,
      gid: st.gid,
    };
    if (access) {
      try {
        accessSync(hostPath, constants.R_OK | constants.W_OK);
        rec.readWrite = true;
      } catch {
        rec.readWrite = false;
      }
    }
    return rec;
  }
}

function nodeType(st: Stats): string {
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isDirectory()) return "dir";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  return "file";
}

/** A snapshot written by `nfvhost snapshot`: answers are what its meta file recorded. */
class RecordedProbe extends HostProbe {
  constructor(private readonly meta: ParsedMeta) {
    super();
    this.source = meta.header;
  }

  protected runCommand(_cmd: string, _args: readonly string[], key: string) {
    return Promise.resolve(own(this.meta.commands, key));
  }

  protected checkDevice(hostPath: string): DeviceRecord | undefined {
    return own(this.meta.devices, hostPath);
  }
}

/**
 * A tree without a meta file (hand-made, or older than the meta file): no program output at all,
 * and device presence only when the tree has a dev/ directory of its own.
 */
class TreeProbe extends HostProbe {
  constructor(private readonly r: HostReader) {
    super();
  }

  protected runCommand(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  protected checkDevice(hostPath: string): DeviceRecord | undefined {
    if (!this.r.isDir("dev")) return undefined;
    return { exists: this.r.exists(hostPath) };
  }
}

function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

/**
 * The probe for a root: live programs and /dev for "/", else the snapshot's meta file, else the
 * tree itself. A meta file that is garbage (as a whole or in one field) is a warning naming the
 * field, and the unusable part counts as not recorded.
 */
export function openProbe(r: HostReader, live: boolean): HostProbe {
  if (live) return new LiveProbe();
  const text = r.readText(SNAPSHOT_META, { optional: true });
  const meta = text === null ? null : parseSnapshotMeta(text, r);
  return meta ? new RecordedProbe(meta) : new TreeProbe(r);
}

/** The meta file for what `probe` answered; its own header when it replayed a snapshot. */
export function snapshotMeta(probe: HostProbe, observed: MetaHeader): SnapshotMeta {
  const sorted = <T>(m: Map<string, T>) =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return {
    format: SNAPSHOT_META_FORMAT,
    ...(probe.source ?? observed),
    commands: sorted(probe.commands),
    devices: sorted(probe.devices),
  };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value for a message: short JSON, never raw control characters. */
function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/**
 * Parses and checks a meta file. Returns null when it cannot be used at all (not JSON, not an
 * object, another format); a bad entry is dropped on its own. Every problem is a garbage warning
 * on the meta file naming the field. Unknown fields are ignored: formats only ever add fields.
 */
export interface ParsedMeta {
  /** null when a header field is damaged: a snapshot of this one then writes a fresh header. */
  header: MetaHeader | null;
  commands: Record<string, CommandRecord>;
  devices: Record<string, DeviceRecord>;
}

export function parseSnapshotMeta(text: string, r: HostReader): ParsedMeta | null {
  const bad = (field: string, problem: string) =>
    r.warn(SNAPSHOT_META, `field ${field}: ${problem}`, "garbage");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    r.garbage(SNAPSHOT_META, text, `JSON written by \`nfvhost snapshot\` (format ${SNAPSHOT_META_FORMAT})`);
    return null;
  }
  if (!isObj(data)) {
    r.warn(
      SNAPSHOT_META,
      `holds ${shown(data)}, expected an object {format, takenAt, hostname, root, commands, devices}`,
      "garbage",
    );
    return null;
  }
  if (data.format !== SNAPSHOT_META_FORMAT) {
    const newer = typeof data.format === "number" && data.format > SNAPSHOT_META_FORMAT;
    bad(
      "format",
      `is ${shown(data.format)}, expected ${SNAPSHOT_META_FORMAT}${newer ? " (written by a newer nfvhost: upgrade to read it)" : ""}; commands and devices are not used`,
    );
    return null;
  }
  const takenAt =
    typeof data.takenAt === "string" && !Number.isNaN(Date.parse(data.takenAt)) ? data.takenAt : null;
  if (takenAt === null) bad("takenAt", `is ${shown(data.takenAt)}, expected an ISO 8601 time`);
  const hostname = data.hostname === null || typeof data.hostname === "string" ? data.hostname : undefined;
  if (hostname === undefined) bad("hostname", `is ${shown(data.hostname)}, expected a string or null`);
  const root = typeof data.root === "string" ? data.root : null;
  if (root === null) bad("root", `is ${shown(data.root)}, expected the root the snapshot was taken of`);
  return {
    // A damaged header still lets the records be used.
    header: takenAt !== null && hostname !== undefined && root !== null ? { takenAt, hostname, root } : null,
    commands: entries(data, "commands", bad, checkCommand),
    devices: entries(data, "devices", bad, checkDevice),
  };
}

function entries<T>(
  data: Obj,
  field: string,
  bad: (field: string, problem: string) => void,
  check: (v: unknown) => { ok: T } | { problem: string },
): Record<string, T> {
  // No prototype: a key such as "__proto__" in a hostile file stays an ordinary (unused) entry.
  const out = Object.create(null) as Record<string, T>;
  const v = data[field];
  if (v === undefined) return out;
  if (!isObj(v)) {
    bad(field, `is ${shown(v)}, expected an object`);
    return out;
  }
  for (const [key, value] of Object.entries(v)) {
    const res = check(value);
    if ("ok" in res) out[key] = res.ok;
    else bad(`${field}[${JSON.stringify(key)}]`, `${res.problem}; not used (counts as not recorded)`);
  }
  return out;
}

function checkCommand(v: unknown): { ok: CommandRecord } | { problem: string } {
  const expected = "expected {code, stdout, stderr} or {error}";
  if (!isObj(v)) return { problem: `is ${shown(v)}, ${expected}` };
  if ("error" in v) {
    return typeof v.error === "string"
      ? { ok: { error: v.error } }
      : { problem: `.error is ${shown(v.error)}, expected a string such as "ENOENT"` };
  }
  if (!Number.isInteger(v.code)) return { problem: `.code is ${shown(v.code)}, expected an exit code` };
  for (const k of ["stdout", "stderr"] as const) {
    if (typeof v[k] !== "string") return { problem: `.${k} is ${shown(v[k])}, ${expected}` };
  }
  return { ok: { code: v.code as number, stdout: v.stdout as string, stderr: v.stderr as string } };
}

function checkDevice(v: unknown): { ok: DeviceRecord } | { problem: string } {
  if (!isObj(v)) return { problem: `is ${shown(v)}, expected {exists, ...}` };
  if (typeof v.exists !== "boolean")
    return { problem: `.exists is ${shown(v.exists)}, expected true or false` };
  if (v.readWrite !== undefined && typeof v.readWrite !== "boolean")
    return { problem: `.readWrite is ${shown(v.readWrite)}, expected true or false` };
  const rec: DeviceRecord = { exists: v.exists };
  // Evidence fields are kept when well-formed; they never change a fact.
  if (typeof v.type === "string") rec.type = v.type;
  if (typeof v.mode === "string") rec.mode = v.mode;
  if (Number.isInteger(v.uid)) rec.uid = v.uid as number;
  if (Number.isInteger(v.gid)) rec.gid = v.gid as number;
  if (typeof v.readWrite === "boolean") rec.readWrite = v.readWrite;
  return { ok: rec };
}
