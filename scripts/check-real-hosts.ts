/**
 * Checks discovery against real machines' /proc + /sys dumps that nobody here wrote: util-linux's
 * lscpu test dumps, each with lscpu's own expected output. Prints, per machine, how many facts
 * discovery gives as lscpu does, and names every one that differs.
 *
 *   node --import tsx scripts/check-real-hosts.ts [DIR] [--json]
 *
 * DIR (default ../shared/real-hosts) holds util-linux/dumps/NAME.tar.gz and
 * util-linux/expected/lscpu-NAME (or dumps/ and expected/ directly). The dumps stay out of the
 * repository (GPL test data, and CI clones the repository alone): this script is run by hand.
 *
 * lscpu numbers sockets and cores logically (by the kernel's sibling masks), so facts are compared
 * as groupings, not as numbers: CPU x matches when the CPUs discovery puts on its socket (its core,
 * its thread siblings) are exactly those lscpu puts there.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { discoverHost } from "../src/facts/discover.js";
import type { HostFacts } from "../src/facts/types.js";
import { formatCpuList } from "../src/util/cpulist.js";

/** lscpu's CPU lists: the kernel's "0-3,8" plus lscpu's own strides ("0-62:2" is 0,2,...,62). */
function parseLscpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!m) throw new Error(`lscpu CPU list ${JSON.stringify(text)}: cannot read ${JSON.stringify(part)}`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let c = first; c <= last; c += Number(m[3] ?? 1)) out.push(c);
  }
  return out;
}

interface LscpuRow {
  cpu: number;
  core: string;
  socket: string;
  node: string;
  l1d: string | undefined;
}

interface Lscpu {
  summary: Map<string, string>;
  logical: LscpuRow[];
  physical: LscpuRow[];
}

function parseRows(block: string[]): LscpuRow[] {
  const header = block
    .find((l) => l.startsWith("# CPU"))!
    .slice(2)
    .split(",");
  const col = (name: string) => header.indexOf(name);
  return block
    .filter((l) => /^\d/.test(l))
    .map((l) => {
      const f = l.split(",");
      return {
        cpu: Number(f[0]),
        core: f[col("Core")] ?? "",
        socket: f[col("Socket")] ?? "",
        node: f[col("Node")] ?? "",
        l1d: col("L1d") >= 0 ? f[col("L1d")] : undefined,
      };
    });
}

/** lscpu's expected file: the summary, then `lscpu -p` (logical ids), then `lscpu -p` of physical ids. */
export function parseLscpu(text: string): Lscpu {
  const lines = text.split("\n");
  const summary = new Map<string, string>();
  for (const l of lines) {
    if (l.startsWith("#") || l === "") break;
    const m = /^([^:]+):\s*(.*)$/.exec(l);
    // Hybrid CPUs print one block per CPU type: the first block speaks for the machine.
    if (m && !summary.has(m[1]!)) summary.set(m[1]!, m[2]!.trim());
  }
  const blocks: string[][] = [];
  let cur: string[] | null = null;
  for (const l of lines) {
    if (l.startsWith("# The following is the parsable format")) blocks.push((cur = []));
    if (cur) cur.push(l);
  }
  return { summary, logical: parseRows(blocks[0] ?? []), physical: parseRows(blocks[1] ?? []) };
}

interface Check {
  fact: string;
  ok: boolean;
  ours: string;
  lscpu: string;
  /** Where discovery differs from lscpu by design, and how. */
  note?: string;
}

function groups<K>(cpus: number[], key: (cpu: number) => K | null): Map<number, string> {
  const byKey = new Map<string, number[]>();
  for (const c of cpus) {
    const k = key(c);
    if (k === null) continue;
    const s = JSON.stringify(k);
    byKey.set(s, [...(byKey.get(s) ?? []), c]);
  }
  const out = new Map<number, string>();
  for (const members of byKey.values()) for (const c of members) out.set(c, formatCpuList(members));
  return out;
}

export function compare(facts: HostFacts, expected: Lscpu): Check[] {
  const checks: Check[] = [];
  const add = (fact: string, ours: string, lscpu: string) =>
    checks.push({ fact, ok: ours === lscpu, ours, lscpu });
  const s = expected.summary;
  const online = facts.cpus.filter((c) => c.online).map((c) => c.id);
  add("CPU count", String(facts.cpus.length), s.get("CPU(s)") ?? "?");
  add(
    "online CPUs",
    formatCpuList(online),
    formatCpuList(parseLscpuList(s.get("On-line CPU(s) list") ?? "")),
  );
  const lscpuNodes = s.get("NUMA node(s)");
  // Without NUMA node directories lscpu prints no node; discovery reports the one node 0.
  add("NUMA nodes", String(facts.nodes.length), lscpuNodes ?? "1");
  for (const [k, v] of s) {
    const m = /^NUMA node(\d+) CPU\(s\)$/.exec(k);
    if (!m) continue;
    const node = facts.nodes.find((n) => n.id === Number(m[1]));
    // s390 node masks name every possible CPU (0-140 on an 8-CPU LPAR): only CPUs that exist count.
    const present = new Set(facts.cpus.map((c) => c.id));
    const theirs = parseLscpuList(v).filter((c) => present.has(c));
    add(`node${m[1]} CPUs`, node ? formatCpuList(node.cpus) : "(no node)", formatCpuList(theirs));
  }
  const onlineFacts = facts.cpus.filter((c) => c.online);
  const maxThreads = Math.max(0, ...onlineFacts.map((c) => c.siblings.length));
  // AMD family 15h compute units: lscpu counts the pair as threads of one core, discovery as two
  // cores (hwloc's count, and what placement needs). Compared as lscpu would count them, and said.
  const unitThreads = Math.max(0, ...onlineFacts.map((c) => c.computeUnit?.length ?? 0));
  if (unitThreads > 0) {
    add("threads per core (compute units)", String(unitThreads), s.get("Thread(s) per core") ?? "?");
    checks.at(-1)!.note = `discovery: ${maxThreads} (each compute-unit core planned as a core)`;
  } else add("threads per core", String(maxThreads), s.get("Thread(s) per core") ?? "?");

  // Physical socket ids where lscpu has them all (hybrid ARM numbers logical sockets per CPU type),
  // else the logical ones. A core is what both of lscpu's numberings agree on: the logical one
  // restarts per CPU type on hybrid ARM, the physical one (core_id) repeats across clusters.
  const phys = new Map(expected.physical.map((r) => [r.cpu, r]));
  const physSockets = expected.physical.length > 0 && expected.physical.every((r) => /^\d+$/.test(r.socket));
  const rows = expected.logical.filter((r) => online.includes(r.cpu));
  const lscpuSocket = new Map(rows.map((r) => [r.cpu, physSockets ? phys.get(r.cpu)!.socket : r.socket]));
  const rowOf = new Map(rows.map((r) => [r.cpu, r]));
  const ids = rows.map((r) => r.cpu);
  const byId = new Map(facts.cpus.map((c) => [c.id, c]));
  const theirSockets = groups(ids, (c) => (rowOf.get(c)!.socket === "" ? null : lscpuSocket.get(c)!));
  const theirCores = groups(ids, (c) => {
    const r = rowOf.get(c)!;
    const p = phys.get(c);
    return r.core === "" ? null : [lscpuSocket.get(c), r.socket, r.core, p?.socket ?? "", p?.core ?? ""];
  });
  const ourSockets = groups(ids, (c) => byId.get(c)?.socket ?? null);
  const ourCores = groups(ids, (c) => {
    const f = byId.get(c);
    return f ? [f.socket, f.core] : null;
  });
  const per = (what: string, c: number, ours: string | undefined, theirs: string | undefined) =>
    add(`cpu${c} ${what}`, ours ?? "?", theirs ?? "?");
  for (const c of ids) {
    const r = rowOf.get(c)!;
    if (theirSockets.has(c)) per("socket mates", c, ourSockets.get(c), theirSockets.get(c));
    if (theirCores.has(c)) {
      per("core mates", c, ourCores.get(c), theirCores.get(c));
      const sib = byId.get(c)?.siblings;
      per("thread siblings", c, sib && formatCpuList(sib), theirCores.get(c));
    }
    // An empty Node column: no NUMA directories, every CPU in discovery's node 0.
    per("node", c, String(byId.get(c)?.node ?? "?"), r.node === "" ? "0" : r.node);
  }
  return checks;
}

async function discoverDump(tarball: string): Promise<HostFacts> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nfvhost-real-"));
  try {
    const tar = await import("tar");
    await tar.x({ file: tarball, cwd: dir });
    const [top] = readdirSync(dir);
    return await discoverHost({ root: path.join(dir, top!) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const given = args.find((a) => !a.startsWith("--"));
  const base = path.resolve(given ?? "../shared/real-hosts");
  const root = existsSync(path.join(base, "util-linux")) ? path.join(base, "util-linux") : base;
  const dumps = path.join(root, "dumps");
  if (!existsSync(dumps)) {
    process.stderr.write(
      `check-real-hosts: no dumps/ under ${base}: pass the directory holding util-linux/dumps/*.tar.gz and util-linux/expected/\n`,
    );
    return 2;
  }
  const results: {
    machine: string;
    matched: number;
    total: number;
    mismatches: Check[];
    notes: string[];
    warnings: number;
  }[] = [];
  for (const file of readdirSync(dumps)
    .filter((f) => f.endsWith(".tar.gz"))
    .sort()) {
    const machine = file.slice(0, -".tar.gz".length);
    const expectedFile = path.join(root, "expected", `lscpu-${machine}`);
    if (!existsSync(expectedFile)) continue;
    const facts = await discoverDump(path.join(dumps, file));
    const checks = compare(facts, parseLscpu(readFileSync(expectedFile, "utf8")));
    const garbage = facts.warnings.filter((w) => w.kind === "garbage").length;
    results.push({
      machine,
      matched: checks.filter((c) => c.ok).length,
      total: checks.length,
      mismatches: checks.filter((c) => !c.ok),
      notes: checks.filter((c) => c.note).map((c) => `${c.fact}: ${c.note}`),
      warnings: garbage,
    });
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const width = Math.max(...results.map((r) => r.machine.length));
    for (const r of results) {
      const mark = r.matched === r.total ? "ok  " : "DIFF";
      process.stdout.write(
        `${mark} ${r.machine.padEnd(width)}  ${r.matched}/${r.total} facts${r.warnings ? `  (${r.warnings} garbage warnings)` : ""}\n`,
      );
      for (const n of r.notes) process.stdout.write(`       by design: ${n}\n`);
      for (const m of r.mismatches.slice(0, 6)) {
        process.stdout.write(`       ${m.fact}: discovery ${m.ours}, lscpu ${m.lscpu}\n`);
      }
      if (r.mismatches.length > 6) process.stdout.write(`       ... and ${r.mismatches.length - 6} more\n`);
    }
    const all = results.reduce((a, r) => a + r.total, 0);
    const ok = results.reduce((a, r) => a + r.matched, 0);
    const full = results.filter((r) => r.matched === r.total).length;
    process.stdout.write(`\n${full}/${results.length} machines fully matched; ${ok}/${all} facts\n`);
  }
  return results.every((r) => r.matched === r.total) ? 0 : 1;
}

// Run as a script; imported (by its test), only the parsers and the comparison are used.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
