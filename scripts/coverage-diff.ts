/**
 * Which branches of apply, verify, the journal and rollback the real-daemon suites run that the
 * replayed-virsh tests do not: compares two vitest v8 coverage runs (coverage-final.json, the
 * istanbul shape vitest writes with --coverage.reporter=json).
 *
 *   node --import tsx scripts/coverage-diff.ts coverage/real/coverage-final.json coverage/replay/coverage-final.json
 *
 * A branch is one arm (file, position of the arm in the source); taken when its count is above 0.
 * Prints the counts of each run and every arm the first run took that the second did not; exits 1
 * when there is any (`--json` prints the same as one document).
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface Loc {
  start: { line: number; column: number | null };
  end: { line: number; column: number | null };
}
interface FileCoverage {
  path: string;
  branchMap: Record<string, { type: string; loc: Loc; locations: Loc[] }>;
  b: Record<string, number[]>;
}

export interface Arm {
  file: string;
  line: number;
  column: number;
  type: string;
  /** The source text of the arm's first line, trimmed (what a reader looks for). */
  text: string;
}

const key = (a: Arm) => `${a.file}:${a.line}:${a.column}:${a.type}`;

/** Every branch arm of a run, and whether the run took it. */
export function arms(
  coverage: Record<string, FileCoverage>,
  cwd = process.cwd(),
): Map<string, Arm & { taken: boolean }> {
  const out = new Map<string, Arm & { taken: boolean }>();
  for (const fc of Object.values(coverage)) {
    const file = relative(cwd, fc.path);
    let lines: string[] = [];
    try {
      lines = readFileSync(fc.path, "utf8").split("\n");
    } catch {
      /* source moved since the run: positions still compare */
    }
    for (const [id, br] of Object.entries(fc.branchMap)) {
      const counts = fc.b[id] ?? [];
      br.locations.forEach((loc, i) => {
        const line = loc.start.line ?? br.loc.start.line;
        const arm: Arm = {
          file,
          line,
          column: loc.start.column ?? 0,
          type: br.type,
          text: (lines[line - 1] ?? "").trim().slice(0, 100),
        };
        const k = key(arm);
        const taken = (counts[i] ?? 0) > 0;
        // v8 may report one arm twice (nested blocks): taken if either says so.
        const seen = out.get(k);
        out.set(k, { ...arm, taken: taken || (seen?.taken ?? false) });
      });
    }
  }
  return out;
}

export function compare(a: Map<string, Arm & { taken: boolean }>, b: Map<string, Arm & { taken: boolean }>) {
  const takenA = [...a.values()].filter((x) => x.taken);
  const takenB = [...b.values()].filter((x) => x.taken);
  const missing = takenA.filter((x) => !b.get(key(x))?.taken);
  const extra = takenB.filter((x) => !a.get(key(x))?.taken);
  return { total: a.size, takenA: takenA.length, takenB: takenB.length, missing, extraInB: extra.length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).filter((x) => x !== "--json");
  const json = process.argv.includes("--json");
  if (args.length !== 2) {
    process.stderr.write(
      "usage: coverage-diff REAL/coverage-final.json REPLAY/coverage-final.json [--json]\n",
    );
    process.exit(2);
  }
  const load = (f: string) => arms(JSON.parse(readFileSync(f, "utf8")) as Record<string, FileCoverage>);
  const r = compare(load(args[0]!), load(args[1]!));
  if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    process.stdout.write(
      `branch arms: ${r.total} in the files; real suites take ${r.takenA}, replay tests take ${r.takenB} (${r.extraInB} the real suites do not)\n` +
        `taken by the real suites, not by the replay tests: ${r.missing.length}\n`,
    );
    for (const m of r.missing.sort((x, y) => x.file.localeCompare(y.file) || x.line - y.line))
      process.stdout.write(`  ${m.file}:${m.line}:${m.column} ${m.type}  ${m.text}\n`);
  }
  process.exit(r.missing.length > 0 ? 1 : 0);
}
