/**
 * `nfvhost snapshot`: copies exactly the files discovery reads, so a host can be planned offline
 * and a bug report reproduced. The file list is the trace of a real discovery run (one source of
 * truth): what a snapshot holds is what discovery saw, links kept as links. What discovery asks of
 * programs and device nodes (libvirt/QEMU versions, /dev/kvm ...) goes, as recorded by the
 * discovery run's probe, into the meta file SNAPSHOT_META at the top of the snapshot.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { NfvError } from "../util/errors.js";
import { isArchivePath } from "./archive.js";
import { discoverWithTrace } from "./discover.js";
import { SNAPSHOT_META, snapshotMeta } from "./probe.js";
import type { TraceEntry } from "./reader.js";
import type { HostFacts } from "./types.js";

export interface SnapshotSummary {
  out: string;
  files: number;
  links: number;
  dirs: number;
  bytes: number;
  /** Paths left out on purpose: device nodes, whose presence the meta file records instead. */
  skipped: string[];
  /** Command outputs and device checks written to the meta file (SNAPSHOT_META). */
  recorded: { commands: number; devices: number };
  facts: HostFacts;
}

/** Device nodes cannot be copied meaningfully: the probe records their presence in the meta file. */
function liveOnly(rel: string): boolean {
  return rel === "dev" || rel.startsWith("dev/");
}

/** Writes a discovery trace as a host tree under `dir` (which must exist and be empty). */
export function writeTrace(
  trace: Map<string, TraceEntry>,
  dir: string,
): Omit<SnapshotSummary, "out" | "facts" | "recorded"> {
  const summary = { files: 0, links: 0, dirs: 0, bytes: 0, skipped: [] as string[] };
  const entries = [...trace.entries()].filter(([rel]) => rel !== "").sort(([a], [b]) => a.localeCompare(b));
  const links: [string, string][] = [];
  for (const [rel, entry] of entries) {
    // A source snapshot's meta file is not copied: the new one is written from the probe.
    if (rel === SNAPSHOT_META) continue;
    if (liveOnly(rel)) {
      summary.skipped.push(`/${rel}`);
      continue;
    }
    const abs = path.join(dir, rel);
    if (entry.kind === "dir") {
      mkdirSync(abs, { recursive: true });
      summary.dirs++;
    } else if (entry.kind === "link") {
      links.push([abs, entry.target]);
    } else {
      mkdirSync(path.dirname(abs), { recursive: true });
      const content = entry.kind === "file" ? entry.content : Buffer.alloc(0);
      writeFileSync(abs, content);
      summary.files++;
      summary.bytes += content.length;
    }
  }
  // Links last: their targets' directories exist by now, and no link is ever a parent of another
  // recorded path (the trace holds real, link-free paths).
  for (const [abs, target] of links) {
    mkdirSync(path.dirname(abs), { recursive: true });
    symlinkSync(target, abs);
    summary.links++;
  }
  return summary;
}

function refuseExisting(out: string): void {
  if (!existsSync(out)) return;
  const st = statSync(out);
  if (st.isDirectory() && readdirSync(out).length === 0) return;
  throw new NfvError({
    what: `snapshot output ${out}`,
    expected: `a new path or an empty directory, found ${st.isDirectory() ? "a non-empty directory" : "an existing file"}`,
    fix: "choose another OUT or remove the old snapshot first; nfvhost never overwrites it",
  });
}

/** Discovers the host at `root` and writes what discovery read to `out` (a directory or .tar.gz). */
export async function snapshotHost(out: string, opts: { root?: string } = {}): Promise<SnapshotSummary> {
  refuseExisting(out);
  // The parent must be a directory already: mkdir -p under /proc or a file fails (or, for
  // Node's recursive mkdir on /proc, never returns).
  const parent = path.dirname(path.resolve(out));
  let parentIsDir = false;
  try {
    parentIsDir = statSync(parent).isDirectory();
  } catch {
    /* missing: reported below */
  }
  if (!parentIsDir) {
    throw new NfvError({
      what: `snapshot output ${out}`,
      expected: `an existing directory ${parent} to write it in`,
      fix: `create it first (mkdir -p ${parent}), or choose another OUT`,
    });
  }
  const root = opts.root ?? "/";
  const { facts, trace, probe } = await discoverWithTrace({ root });
  const meta = snapshotMeta(probe, { takenAt: new Date().toISOString(), hostname: facts.hostname, root });
  const recorded = { commands: Object.keys(meta.commands).length, devices: Object.keys(meta.devices).length };
  const writeAll = (dir: string) => {
    const summary = writeTrace(trace, dir);
    writeFileSync(path.join(dir, SNAPSHOT_META), `${JSON.stringify(meta, null, 2)}\n`);
    return { ...summary, recorded };
  };
  if (!isArchivePath(out)) {
    try {
      if (!existsSync(out)) mkdirSync(out);
      return { out, facts, ...writeAll(out) };
    } catch (e) {
      throw new NfvError({
        what: `snapshot output ${out}`,
        value: (e as NodeJS.ErrnoException).code ?? String(e),
        expected: "a writable directory",
        fix: "choose an OUT on a writable file system",
      });
    }
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), "nfvhost-snap-"));
  try {
    const summary = writeAll(tmp);
    const top = readdirSync(tmp).sort();
    try {
      await tar.c({ gzip: true, file: out, cwd: tmp, portable: true }, top);
    } catch (e) {
      rmSync(out, { force: true });
      throw new NfvError({
        what: `snapshot output ${out}`,
        value: (e as NodeJS.ErrnoException).code ?? String(e),
        expected: "a writable file",
        fix: "choose an OUT on a writable file system",
      });
    }
    return { out, facts, ...summary };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
