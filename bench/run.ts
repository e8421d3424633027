/**
 * `npm run bench`: every benchmark of issue 7, side by side with its peer, in one run.
 * Prints a table and writes bench/results.json (or --out FILE). `--quick` is the short version CI
 * runs (few cases, small scale); `--no-build` skips `npm run build` before the CLI benchmarks.
 * A peer that is missing is reported as "unavailable: <reason>", never replaced by a number.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import * as prettier from "prettier";
import { run } from "../src/util/exec.js";
import type { ApplySection } from "./apply.js";
import { applyBench } from "./apply.js";
import type { CliSection } from "./cli.js";
import { ROOT, cliLatencyBench } from "./cli.js";
import type { PlacementSection, Unavailable } from "./placement.js";
import { placementBench } from "./placement.js";
import type { ScaleSection } from "./scale.js";
import { scaleBench } from "./scale.js";
import { lastLine } from "./stats.js";
import { wantsColour } from "../src/util/colour.js";
import { fleetBench, type FleetSection } from "./fleet.js";

export interface BenchResults {
  schema: 1;
  meta: {
    date: string;
    quick: boolean;
    seed: number;
    node: string;
    cpus: number;
    loadAvgStart: number[];
    loadAvgEnd: number[];
    commit: string | null;
    build: string;
  };
  placement: PlacementSection;
  scale: ScaleSection;
  cliLatency: CliSection;
  apply: ApplySection;
  /** Fleets (issue 13): bench/fleet.ts. */
  fleet: FleetSection;
}

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench", "results.json") },
    seed: { type: "string", default: "20261125" },
    cases: { type: "string" },
  },
});

const quick = opts.quick ?? false;
const seed = Number(opts.seed);
const size = {
  cases: Number(opts.cases ?? (quick ? 4 : 40)),
  hosts: quick ? 20 : 1000,
  perHost: 10,
  cliRuns: quick ? 3 : 7,
  domains: quick ? 1 : 5,
};

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const loadAvgStart = loadavg();

async function build(): Promise<string> {
  if (opts["no-build"]) return "skipped (--no-build)";
  log("npm run build");
  const r = await run("npm", ["run", "build"], { cwd: ROOT, timeoutMs: 600_000 });
  return r.code === 0 ? "ok" : `npm run build exit ${r.code}: ${lastLine(r.stdout || r.stderr)}`;
}

async function commit(): Promise<string | null> {
  const r = await run("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).catch(() => null);
  return r && r.code === 0 ? r.stdout.trim() : null;
}

log(`placement quality: ${size.cases} cases (MILP, nfvhost, Nova)`);
const placement = await placementBench({ seed, count: size.cases });
log(`scale: ${size.hosts} hosts x ${size.perHost} VNFs`);
const scale = await scaleBench({ hosts: size.hosts, perHost: size.perHost, seed });
const buildStatus = await build();
log(`CLI latency: median of ${size.cliRuns} runs`);
const cliLatency = await cliLatencyBench({ runs: size.cliRuns });
log(`apply: ${size.domains} domain(s)`);
const apply = await applyBench({ domains: size.domains });
log(
  `fleet: ${quick ? 3 : 12} fleets (MILP, nfvhost, Nova scheduler), scale ${quick ? "100 x 1,000" : "1,000 x 10,000"}`,
);
const fleet = await fleetBench({
  seed,
  cases: quick ? 3 : 12,
  scaleHosts: quick ? 100 : 1000,
  scaleVnfs: quick ? 1000 : 10000,
});

const results: BenchResults = {
  schema: 1,
  meta: {
    date: new Date().toISOString(),
    quick,
    seed,
    node: process.version,
    cpus: cpus().length,
    loadAvgStart,
    loadAvgEnd: loadavg(),
    commit: await commit(),
    build: buildStatus,
  },
  placement,
  scale,
  cliLatency,
  apply,
  fleet,
};
// Formatted the way the repo's prettier check expects, so a committed results.json stays clean.
const json = JSON.stringify(results, null, 2);
const prettierConfig = (await prettier.resolveConfig(opts.out!)) ?? {};
writeFileSync(opts.out!, await prettier.format(json, { ...prettierConfig, parser: "json" }));

// ---- the table
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const ms = (x: number | Unavailable) => (isNum(x) ? `${x.toFixed(x < 10 ? 2 : 0)} ms` : x);
const r3 = (x: number) => x.toFixed(3);
function peer<T extends object>(x: T | Unavailable, f: (v: T) => string): string {
  return typeof x === "string" ? x : f(x);
}
const wrap = (s: string) => (s.length > 48 ? s.replace(/(.{1,48})(\s|$)/g, "$1\n").trim() : s);

// Plain borders and headings when the output is not a terminal (CI logs, files).
const style = wantsColour(process.stdout) ? {} : { style: { head: [], border: [] } };
const table = new Table({
  ...style,
  head: ["benchmark", "nfvhost", "peer", "goal / reference"],
  colWidths: [34, 30, 50, 26],
  wordWrap: true,
});
const p = placement;
const novaText = (f: (v: Exclude<PlacementSection["nova"][string], Unavailable>) => string) =>
  wrap(
    Object.entries(p.nova)
      .map(([mode, v]) => `Nova ${mode}: ${typeof v === "string" ? v : f(v)}`)
      .join("; "),
  );
table.push(
  [
    `placement: avg ratio to optimum (${p.cases.length} hard cases)`,
    r3(p.nfvhost.avgRatio),
    novaText((v) => r3(v.avgRatio)),
    ">= 0.99",
  ],
  ["placement: min ratio", r3(p.nfvhost.minRatio), novaText((v) => r3(v.minRatio)), ">= 0.95"],
  [
    "placement: VNFs placed",
    `${p.nfvhost.placed}`,
    novaText((v) => `${v.placed} (nfvhost fewer in ${v.fewerThanNova} cases)`),
    `optimum (MILP, every rule): ${p.milp.placed} (${p.milp.optimal}/${p.milp.cases} proven)`,
  ],
  [
    "placement: cases all fit but nfvhost leaves some out / below 0.95",
    `${p.nfvhost.missedFullFit} / ${p.nfvhost.below095}`,
    "",
    "0 / 0",
  ],
  [
    "placement: nfvhost plan time per case avg / max",
    `${ms(p.nfvhost.avgPlanMs)} / ${ms(p.nfvhost.maxPlanMs)}`,
    `proven optimal by the planner in ${p.nfvhost.proven}/${p.cases.length} cases`,
    `HiGHS (bench MILP): ${ms(p.milp.avgMs)} / ${ms(p.milp.maxMs)}`,
  ],
  [
    "arrival mode (one VNF at a time, file order, earlier ones running): avg / min ratio, VNFs placed",
    wrap(`${r3(p.arrival.avgRatio)} / ${r3(p.arrival.minRatio)}, ${p.arrival.placed}`),
    novaText((v) => `${r3(v.avgRatio)} / ${r3(v.minRatio)}, ${v.placed}`),
    `${ms(p.arrival.msPerPlacement)} per VNF`,
  ],
  [
    "placement: rule violations found",
    `joint ${p.nfvhost.violations}; arrival ${p.arrival.violations}`,
    "",
    "0",
  ],
  [
    `scale: ${size.hosts} hosts x ${size.perHost} VNFs wall`,
    peer(scale.nfvhost, (v) => `${ms(v.wallMs)} (CPU ${ms(v.cpuMs)}; ${v.okHosts}/${v.hosts} hosts fit)`),
    "",
    `< ${scale.goal.wallMs} ms`,
  ],
  [
    "scale: peak RSS",
    peer(scale.nfvhost, (v) => `${v.peakRssMB.toFixed(0)} MB`),
    "",
    `< ${scale.goal.peakRssMB} MB`,
  ],
  [
    `CLI: plan + render (median of ${cliLatency.runs})`,
    wrap(
      isNum(cliLatency.nfvhost.totalMs)
        ? `${ms(cliLatency.nfvhost.totalMs)} (plan ${ms(cliLatency.nfvhost.planMs)}, render ${ms(cliLatency.nfvhost.renderMs)})`
        : `plan ${ms(cliLatency.nfvhost.planMs)}; render ${ms(cliLatency.nfvhost.renderMs)}`,
    ),
    wrap(peer(cliLatency.virtInstall, (v) => `virt-install --print-xml: ${ms(v.printXmlMs)}`)),
    peer(cliLatency.virtInstall, (v) =>
      v.sameDomain === null
        ? "domain not compared (no render)"
        : v.sameDomain.differences.length === 0
          ? `same domain (${v.sameDomain.fields} tuning fields equal)`
          : wrap(`differs: ${v.sameDomain.differences.join("; ")}`),
    ),
  ],
  [
    "CLI: start-up alone (--version)",
    ms(cliLatency.nfvhost.startupMs),
    "",
    `node -e 0: ${ms(cliLatency.nodeStartMs)}`,
  ],
  [
    `apply: define + start ${apply.domains} domain(s)`,
    wrap(
      peer(
        apply.nfvhost,
        (v) =>
          `${ms(v.totalMs)} (${ms(v.perDomainMs)} each); converged re-run ${ms(v.rerunPerDomainMs)} each`,
      ),
    ),
    wrap(peer(apply.byHand, (v) => `virsh by hand: ${ms(v.totalMs)} (${ms(v.perDomainMs)} each)`)),
    "real libvirtd, TCG",
  ],
  [
    `apply engine: ${apply.domains} new domains in one change set`,
    wrap(
      apply.engine === undefined
        ? "not run"
        : peer(
            apply.engine,
            (v) =>
              `side by side (${v.concurrency} at a time) ${ms(v.parallelMs)}; one after another ${ms(v.serialMs)}`,
          ),
    ),
    wrap(peer(apply.byHand, (v) => `virsh by hand: ${ms(v.totalMs)}`)),
    "in process; + the converged re-run's fixed cost per apply",
  ],
);
process.stdout.write(`${table.toString()}\n`);

const novaModes = Object.keys(p.nova);
const cases = new Table({
  ...style,
  head: [
    "case",
    "VNFs",
    "optimum",
    "nfvhost",
    "proven",
    "ms",
    "arrival",
    ...novaModes.map((m) => `Nova ${m}`),
    "HiGHS ms",
  ],
});
for (const c of p.cases) {
  cases.push([
    c.id,
    c.vnfs,
    c.optimum ?? c.milpStatus,
    c.nfvhost.placed,
    c.nfvhost.proven ? "yes" : `<= ${c.nfvhost.bound}`,
    c.nfvhost.planMs.toFixed(1),
    c.arrival.placed,
    ...novaModes.map((m) => {
      const v = c.nova[m];
      return v === undefined || typeof v === "string" ? "-" : v.placed;
    }),
    c.milpMs.toFixed(1),
  ]);
}
process.stdout.write(`${cases.toString()}\n`);
const load = results.meta.loadAvgStart.map((x) => x.toFixed(1)).join(" ");
process.stdout.write(`load average at start: ${load} on ${results.meta.cpus} CPUs; results: ${opts.out}\n`);

// ---- fleets (bench/fleet.ts)
const f = fleet;
const fleetTable = new Table({ ...style, head: ["fleet benchmark", "nfvhost", "peer", "goal / reference"] });
fleetTable.push(
  [
    `fleet placement: avg / min ratio to optimum (${f.cases.length} fleets of real host shapes)`,
    `${r3(f.nfvhost.avgRatio)} / ${r3(f.nfvhost.minRatio)}`,
    wrap(
      peer(
        f.nova,
        (v) => `Nova ${v.version} scheduler (NUMATopology + PciPassthrough filters): ${r3(v.avgRatio)}`,
      ),
    ),
    ">= 0.99 average",
  ],
  [
    "fleet placement: VNFs placed",
    `${f.nfvhost.placed} (all-fit cases missed: ${f.nfvhost.allFitMissed}; rule violations: ${f.nfvhost.violations})`,
    wrap(peer(f.nova, (v) => `${v.placed} (fleets where Nova placed more: ${v.casesBelowNfvhost})`)),
    `optimum (MILP over hosts x nodes): ${f.milp.placed} (${f.milp.proven}/${f.cases.length} proven)`,
  ],
  [
    `fleet scale: ${f.scale.hosts} hosts x ${f.scale.vnfs} VNFs`,
    `${ms(f.scale.wallMs)}, ${f.scale.placed} placed, +${f.scale.rssMB.toFixed(0)} MB`,
    "",
    `< ${f.scale.goalMs} ms`,
  ],
);
process.stdout.write(`${fleetTable.toString()}\n`);
