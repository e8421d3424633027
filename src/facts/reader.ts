/**
 * Reads files of a host tree (a live "/" or a snapshot root) without ever throwing for a missing
 * or unreadable file: such files become warnings naming the host path.
 *
 * Symlinks are resolved by hand, component by component, for two reasons: a snapshot may store a
 * link as a small regular file holding the target (the reference host does), and every link and
 * file discovery passes through is recorded in `trace`, so `nfvhost snapshot` copies exactly what
 * discovery read (one source of truth) and can recreate the links as links.
 */
import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  readlinkSync,
  type Dirent,
} from "node:fs";
import path from "node:path";
import type { Warning } from "./types.js";

type WarningKind = NonNullable<Warning["kind"]>;

/** What discovery saw at one path of the tree, keyed by the real (link-free) relative path. */
export type TraceEntry =
  | { kind: "file"; content: Buffer }
  | { kind: "link"; target: string }
  | { kind: "dir" }
  /** Existence was checked but nothing was read (e.g. an ACPI table, /dev/kvm). */
  | { kind: "present" };

export interface ReadOptions {
  /** A file many hosts legitimately lack (sriov_totalvfs on a plain NIC): no warning when absent. */
  optional?: boolean;
}

const MAX_LINK_HOPS = 40;
/** A link stored as a regular file is one short line. */
const LINK_FILE_MAX = 1024;
/**
 * Nothing discovery reads comes near this (/proc/cpuinfo of a 1024-CPU host is ~1.5 MiB); a bigger
 * file in a snapshot is not what the kernel writes there. Live /proc and /sys files report size 0
 * or 4096, so the cap never trips on them.
 */
export const FILE_MAX_BYTES = 16 * 1024 * 1024;

type Kind = "file" | "dir" | "link" | "other";
type Found = { real: string; kind: Kind };

/**
 * The kernel's O_NOFOLLOW | O_NONBLOCK: a link swapped in after the directory was listed is refused
 * rather than followed out of the root, and a FIFO opens without waiting for a writer.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** One read buffer for the whole process: discovery is synchronous and copies what it keeps. */
const CHUNK = Buffer.allocUnsafe(64 * 1024);

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

export class HostReader {
  /** Filesystem path of the tree, e.g. "/" or "/tmp/snap". */
  readonly root: string;
  readonly warnings: Warning[] = [];
  readonly trace = new Map<string, TraceEntry>();
  private readonly dirCache = new Map<string, string | null>();
  /**
   * Entry types of each real directory, from one readdir: a stat per path was most of discovery's
   * time (Node 20 builds four Date objects per Stats), and the listing's d_type says the same.
   */
  private readonly entries = new Map<string, Map<string, Kind | null>>();
  private readonly warned = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The path as it reads on the host ("/sys/..."): how warnings name files. */
  hostPath(rel: string): string {
    return `/${clean(rel)}`;
  }

  warn(rel: string, message: string, kind: WarningKind = "missing"): void {
    const p = this.hostPath(rel);
    const key = `${p}\u0000${message}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warnings.push({ path: p, message, kind });
  }

  /** A file that was read but does not hold what the kernel writes there. */
  garbage(rel: string, text: string, expected: string): void {
    this.warn(rel, `cannot parse ${quoteSample(text)}: expected ${expected}`, "garbage");
  }

  /** File content as text (trimmed at the end), or null when missing/unreadable. */
  readText(rel: string, opts: ReadOptions = {}): string | null {
    const buf = this.readBuffer(rel, opts);
    return buf === null ? null : buf.toString("utf8").replace(/\s+$/, "");
  }

  readBuffer(rel: string, opts: ReadOptions = {}): Buffer | null {
    let found: Found | null;
    try {
      found = this.resolveFinal(clean(rel), true, 0);
    } catch (e) {
      this.warn(rel, `unreadable: ${errCode(e)}`, "unreadable");
      return null;
    }
    if (!found) {
      if (!opts.optional) this.warn(rel, "missing");
      return null;
    }
    if (found.kind === "dir") {
      this.warn(rel, "is a directory, expected a file", "garbage");
      return null;
    }
    // A FIFO or device node where the kernel has a file would block the read forever (or stream).
    if (found.kind === "other") {
      this.warn(rel, "is not a regular file (a FIFO, socket or device node), expected a file", "garbage");
      return null;
    }
    let at: Found = found;
    try {
      let content = this.readCapped(rel, at.real);
      if (content === null) return null;
      // A stored link at the last component (etc/os-release holding "../usr/lib/os-release").
      for (let hops = 0; at.kind === "file" && hops < MAX_LINK_HOPS; hops++) {
        const target: string | null = linkTargetOf(content);
        if (target === null) break;
        const next: string | null = this.joinTarget(parentOf(at.real), target);
        const resolved: Found | null = next === null ? null : this.resolveFinal(next, true, hops + 1);
        if (!resolved || resolved.kind !== "file") break;
        this.trace.set(at.real, { kind: "link", target });
        at = resolved;
        content = this.readCapped(rel, at.real);
        if (content === null) return null;
      }
      this.trace.set(at.real, { kind: "file", content });
      return content;
    } catch (e) {
      this.warn(rel, `unreadable: ${errCode(e)}`, "unreadable");
      return null;
    }
  }

  /**
   * The target of a link: a real symlink, or a regular file holding the target (snapshot
   * convention). null when absent or when the path is a directory.
   */
  readLink(rel: string): string | null {
    let found: Found | null;
    try {
      found = this.resolveFinal(clean(rel), false, 0);
    } catch (e) {
      this.warn(rel, `unreadable: ${errCode(e)}`, "unreadable");
      return null;
    }
    if (!found) return null;
    if (found.kind === "link") {
      let target: string;
      try {
        target = readlinkSync(this.abs(found.real));
      } catch (e) {
        this.warn(rel, `unreadable link: ${errCode(e)}`, "unreadable");
        return null;
      }
      this.trace.set(found.real, { kind: "link", target });
      return target;
    }
    if (found.kind === "file") {
      const target = this.linkFileTarget(found.real);
      if (target !== null) this.trace.set(found.real, { kind: "link", target });
      else
        this.warn(rel, "expected a symlink (or a file holding its target), found a regular file", "garbage");
      return target;
    }
    return null;
  }

  /** Last path component of a link's target (a driver name, a PCI address), or null. */
  linkBasename(rel: string): string | null {
    const t = this.readLink(rel);
    return t === null ? null : path.posix.basename(t);
  }

  /** Entry names of a directory matching `filter`, naturally sorted; [] when absent. */
  list(rel: string, filter?: RegExp, opts: ReadOptions = { optional: true }): string[] {
    let dir: string | null;
    try {
      dir = this.resolveDir(clean(rel), 0);
    } catch (e) {
      this.warn(rel, `unreadable directory: ${errCode(e)}`, "unreadable");
      return [];
    }
    if (dir === null) {
      if (!opts.optional) this.warn(rel, "missing directory");
      return [];
    }
    let names: string[];
    try {
      names = [...this.entriesOf(dir).keys()];
    } catch (e) {
      this.warn(rel, `unreadable directory: ${errCode(e)}`, "unreadable");
      return [];
    }
    if (!this.trace.has(dir)) this.trace.set(dir, { kind: "dir" });
    const picked = names.filter((n) => !filter || filter.test(n)).sort(naturalCompare);
    // A listed name is a fact (a CPU, a node link, an IOMMU unit): record it even if never read.
    for (const name of picked) this.recordEntry(joinRel(dir, name));
    return picked;
  }

  private recordEntry(real: string): void {
    if (this.trace.has(real)) return;
    try {
      const kind = this.kindOf(real);
      if (kind === null) return;
      if (kind === "link") this.trace.set(real, { kind: "link", target: readlinkSync(this.abs(real)) });
      else if (kind === "dir") this.trace.set(real, { kind: "dir" });
      else {
        // A listed link stored as a file (cpu6/node0 in the reference tree) stays a link.
        const target = kind === "file" ? this.linkFileTarget(real) : null;
        this.trace.set(real, target === null ? { kind: "present" } : { kind: "link", target });
      }
    } catch {
      /* vanished between readdir and lstat: nothing to record */
    }
  }

  /** Whether a directory exists (following links); does not record anything. */
  isDir(rel: string): boolean {
    try {
      return this.resolveDir(clean(rel), 0) !== null;
    } catch {
      return false;
    }
  }

  /** Whether anything exists at the path (following links); recorded as present. */
  exists(rel: string): boolean {
    let found: Found | null;
    try {
      found = this.resolveFinal(clean(rel), true, 0);
    } catch {
      return false;
    }
    if (!found) return false;
    if (!this.trace.has(found.real)) {
      this.trace.set(found.real, found.kind === "dir" ? { kind: "dir" } : { kind: "present" });
    }
    return true;
  }

  private abs(rel: string): string {
    return path.join(this.root, rel);
  }

  /**
   * The file's bytes, read without a stat: at most FILE_MAX_BYTES (a bigger file is not what the
   * kernel writes there; warned, null). Live /proc and /sys files report size 0 or 4096, so only
   * reading tells their length anyway.
   */
  private readCapped(rel: string, real: string, cap = FILE_MAX_BYTES): Buffer | null {
    const fd = openSync(this.abs(real), OPEN_FLAGS);
    try {
      const parts: Buffer[] = [];
      let total = 0;
      for (;;) {
        const n = readSync(fd, CHUNK, 0, CHUNK.length, null);
        if (n === 0) break;
        total += n;
        if (total > cap) {
          if (cap === FILE_MAX_BYTES)
            this.warn(rel, `is over ${cap} bytes, expected at most ${cap} (not a kernel file)`, "garbage");
          return null;
        }
        const part = Buffer.allocUnsafe(n);
        CHUNK.copy(part, 0, 0, n);
        parts.push(part);
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    } finally {
      closeSync(fd);
    }
  }

  /** Names and kinds in a real directory, read once; throws when the directory is unreadable. */
  private entriesOf(dir: string): Map<string, Kind | null> {
    let kinds = this.entries.get(dir);
    if (kinds) return kinds;
    kinds = new Map();
    for (const d of readdirSync(this.abs(dir), { withFileTypes: true })) kinds.set(d.name, direntKind(d));
    this.entries.set(dir, kinds);
    return kinds;
  }

  /**
   * What a real path is, without following a last-component link; null when absent. A file system
   * that leaves d_type unknown gets an lstat.
   */
  private kindOf(rel: string): Kind | null {
    const name = path.posix.basename(rel);
    let kinds: Map<string, Kind | null>;
    try {
      kinds = this.entriesOf(parentOf(rel));
    } catch (e) {
      const code = errCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw e;
    }
    const kind = kinds.get(name);
    if (kind === undefined) return null;
    if (kind !== null) return kind;
    try {
      const st = lstatSync(this.abs(rel));
      return st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
    } catch (e) {
      const code = errCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") return null;
      throw e;
    }
  }

  /** A link-like regular file's content, or null if it does not look like a link target. */
  private linkFileTarget(real: string): string | null {
    try {
      // Only a short regular file can hold a link target: never open a FIFO or read a huge file.
      if (this.kindOf(real) !== "file") return null;
      const content = this.readCapped(real, real, LINK_FILE_MAX);
      return content === null ? null : linkTargetOf(content);
    } catch {
      return null;
    }
  }

  /** Resolves a link target relative to the real directory holding the link, inside the root. */
  private joinTarget(realDir: string, target: string): string | null {
    const joined = target.startsWith("/") ? target.slice(1) : path.posix.join(realDir, target);
    const norm = path.posix.normalize(joined);
    if (norm === ".." || norm.startsWith("../")) return null;
    return norm === "." ? "" : norm;
  }

  private followLink(rel: string, realDir: string, isSymlink: boolean): string | null {
    const target = isSymlink ? readlinkSync(this.abs(rel)) : this.linkFileTarget(rel);
    if (target === null) return null;
    this.trace.set(rel, { kind: "link", target });
    return this.joinTarget(realDir, target);
  }

  /** Real relative path of a directory, following symlinks and link files. */
  private resolveDir(rel: string, hops: number): string | null {
    if (rel === "") return "";
    const cached = this.dirCache.get(rel);
    if (cached !== undefined) return cached;
    if (hops > MAX_LINK_HOPS) return null;
    const parent = this.resolveDir(parentOf(rel), hops);
    let result: string | null = null;
    if (parent !== null) {
      const candidate = joinRel(parent, path.posix.basename(rel));
      const kind = this.kindOf(candidate);
      if (kind === "dir") result = candidate;
      else if (kind === "link" || kind === "file") {
        const next = this.followLink(candidate, parent, kind === "link");
        result = next === null ? null : this.resolveDir(next, hops + 1);
      }
    }
    this.dirCache.set(rel, result);
    return result;
  }

  private resolveFinal(rel: string, follow: boolean, hops: number): Found | null {
    if (hops > MAX_LINK_HOPS) return null;
    const parent = this.resolveDir(parentOf(rel), hops);
    if (parent === null) return null;
    const real = joinRel(parent, path.posix.basename(rel));
    const kind = this.kindOf(real);
    if (kind === null) return null;
    if (kind === "link") {
      if (!follow) return { real, kind: "link" };
      const next = this.followLink(real, parent, true);
      return next === null ? null : this.resolveFinal(next, true, hops + 1);
    }
    return { real, kind };
  }
}

function direntKind(d: Dirent): Kind | null {
  if (d.isSymbolicLink()) return "link";
  if (d.isDirectory()) return "dir";
  if (d.isFile()) return "file";
  if (d.isFIFO() || d.isSocket() || d.isCharacterDevice() || d.isBlockDevice()) return "other";
  return null;
}

/**
 * The target a link-as-file holds: one short line of path characters with at least one slash
 * ("../../devices/pci0000:3a/0000:3a:00.0"), or null for ordinary file content.
 */
function linkTargetOf(buf: Buffer): string | null {
  if (buf.length === 0 || buf.length > LINK_FILE_MAX || buf.includes(0)) return null;
  const text = buf.toString("utf8").trim();
  return /^[\w.:+@-]*(\/[\w.:+@-]*)+$/.test(text) ? text : null;
}

/**
 * The start of a file's text for a message: quoted when it is printable, else described, so binary
 * garbage never lands raw on the user's terminal.
 */
export function quoteSample(text: string): string {
  // eslint-disable-next-line no-control-regex
  const binary = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(text);
  if (binary) return `binary data (${Buffer.byteLength(text, "utf8")} bytes, not text)`;
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/**
 * Paths discovery builds itself are already clean (no leading, trailing or double slash, no . or ..
 * component, no component starting with a dot): normalising each one was a tenth of its time.
 */
const PLAIN_PATH = /^[^/.]([^/]|\/(?![/.]))*(?<!\/)$/;

function clean(rel: string): string {
  if (PLAIN_PATH.test(rel)) return rel;
  return path.posix.normalize(rel.replace(/^\/+/, "")).replace(/\/+$/, "");
}

function parentOf(rel: string): string {
  const d = path.posix.dirname(rel);
  return d === "." ? "" : d;
}

function joinRel(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

// One collator: localeCompare with options builds a new one on every call (~8 ms per discovery).
const NATURAL = new Intl.Collator("en", { numeric: true });

/** "cpu2" before "cpu10", "virtfn9" before "virtfn10". */
export function naturalCompare(a: string, b: string): number {
  return NATURAL.compare(a, b);
}
