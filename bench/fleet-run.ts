/**
 * The fleet rows of `npm run bench` alone (the whole bench takes long): runs bench/fleet.ts with
 * the same sizes and seed as bench/run.ts, prints the rows and stores them as the `fleet` section
 * of bench/results.json (or --out FILE), leaving the other sections as they are.
 * Usage: node --import tsx bench/fleet-run.ts [--quick] [--seed N] [--out FILE]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Table from "cli-table3";
import * as prettier from "prettier";
import { fleetBench } from "./fleet.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    seed: { type: "string", default: "20261125" },
    out: { type: "string", default: join(ROOT, "bench", "results.json") },
  },
});
const quick = opts.quick ?? false;
const f = await fleetBench({
  seed: Number(opts.seed),
  cases: quick ? 3 : 12,
  scaleHosts: quick ? 100 : 1000,
  scaleVnfs: quick ? 1000 : 10000,
});

const r3 = (x: number) => x.toFixed(3);
const ms = (x: number) => `${x.toFixed(0)} ms`;
const table = new Table({ head: ["fleet benchmark", "nfvhost", "peer", "goal / reference"] });
table.push(
  [
    `placement: avg / min ratio to optimum (${f.cases.length} fleets)`,
    `${r3(f.nfvhost.avgRatio)} / ${r3(f.nfvhost.minRatio)}`,
    typeof f.nova === "string" ? f.nova : `Nova ${f.nova.version}: ${r3(f.nova.avgRatio)}`,
    ">= 0.99 average",
  ],
  [
    "placement: VNFs placed",
    `${f.nfvhost.placed} (all-fit missed ${f.nfvhost.allFitMissed}, violations ${f.nfvhost.violations})`,
    typeof f.nova === "string" ? f.nova : `${f.nova.placed} (Nova placed more: ${f.nova.casesBelowNfvhost})`,
    `optimum ${f.milp.placed} (${f.milp.proven}/${f.cases.length} proven)`,
  ],
  [
    `scale: ${f.scale.hosts} hosts x ${f.scale.vnfs} VNFs`,
    f.scale.error ??
      `${ms(f.scale.wallMs)} wall, ${ms(f.scale.cpuMs)} CPU, ${f.scale.placed} placed, peak RSS ${f.scale.peakRssMB.toFixed(0)} MB`,
    "",
    `< ${f.scale.goalMs} ms`,
  ],
);
process.stdout.write(`${table.toString()}\n`);
for (const c of f.cases)
  process.stdout.write(
    `${c.id}: ${c.hosts} hosts, ${c.vnfs} VNFs: nfvhost ${c.nfvhost} in ${ms(c.nfvhostMs)}, optimum ${c.optimum ?? "?"}, Nova ${c.nova ?? "?"}\n`,
  );

const out = opts.out!;
const results = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>) : {};
results.fleet = f;
const config = (await prettier.resolveConfig(out)) ?? {};
writeFileSync(out, await prettier.format(JSON.stringify(results, null, 2), { ...config, parser: "json" }));
process.stdout.write(`fleet section written to ${out}\n`);
