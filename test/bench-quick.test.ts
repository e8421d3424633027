/**
 * CI runs the short benchmark end to end so that it keeps working. Timing values are never checked:
 * only that every section is there with finite numbers or an explicit "unavailable: <reason>".
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { HeldLock } from "../src/state/lock.js";
import { run } from "../src/util/exec.js";
import { withSuiteLock } from "./support/lab.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let dir = "";
let lock: HeldLock | undefined;
afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await lock?.release();
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A figure is a finite number or says why it is missing. */
function expectFigure(value: Json | undefined, path: string): void {
  if (typeof value === "number") {
    expect(Number.isFinite(value), `${path} = ${value}`).toBe(true);
  } else {
    expect(typeof value, `${path} is neither a number nor "unavailable: ..."`).toBe("string");
    expect(value as string, path).toMatch(/^unavailable: \S.+/);
  }
}

/** A section: an object whose listed fields are figures, or one "unavailable: ..." string. */
function expectSection(value: Json | undefined, path: string, fields: string[]): void {
  if (typeof value === "string") {
    expectFigure(value, path);
    return;
  }
  expect(value, path).toBeTypeOf("object");
  for (const f of fields) expectFigure((value as Record<string, Json>)[f], `${path}.${f}`);
}

describe("npm run bench -- --quick", () => {
  it("runs end to end and writes every section with numbers or an explicit reason", async () => {
    // The apply rounds start guests on CPU 1 with 2 MiB hugepages: the other lab suites' turn.
    lock = await withSuiteLock("test/bench-quick.test.ts");
    dir = mkdtempSync(join(tmpdir(), "nfvb-quick-"));
    const out = join(dir, "results.json");
    const r = await run(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "--quick", "--no-build", "--out", out],
      {
        cwd: ROOT,
        timeoutMs: 900_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/placement: avg ratio to optimum/);
    expect(r.stdout).toMatch(/apply: define \+ start/);
    const res = JSON.parse(readFileSync(out, "utf8")) as Record<string, Json>;
    const meta = res.meta as Record<string, Json>;
    expect(meta.quick).toBe(true);

    const placement = res.placement as Record<string, Json>;
    const cases = placement.cases as Record<string, Json>[];
    expect(cases.length).toBeGreaterThanOrEqual(4);
    for (const c of cases) {
      // The MILP runs in-process with no peer to miss: its optimum must be proven.
      expect(c.milpStatus, String(c.id)).toBe("Optimal");
      expectFigure(c.optimum, `${c.id}.optimum`);
      // nfvhost's own planner is never "unavailable": it must have run on every case.
      for (const k of ["nfvhost", "arrival"]) {
        expect(c[k], `${c.id}.${k}`).toBeTypeOf("object");
        expectSection(c[k], `${c.id}.${k}`, ["placed", k === "nfvhost" ? "planMs" : "totalMs"]);
        const own = c[k] as Record<string, Json>;
        expect(own.violations, `${c.id}.${k}.violations`).toEqual([]);
        expect(own.placed as number).toBeLessThanOrEqual(c.optimum as number);
      }
      for (const [mode, v] of Object.entries(c.nova as Record<string, Json>)) {
        expectSection(v, `${c.id}.nova.${mode}`, ["placed", "totalMs"]);
        if (typeof v === "object" && v && !Array.isArray(v))
          expect(v.placed as number).toBeLessThanOrEqual(c.optimum as number);
      }
    }
    expectSection(placement.milp, "placement.milp", ["optimal", "avgMs", "maxMs", "placed"]);
    expectSection(placement.nfvhost, "placement.nfvhost", [
      "avgRatio",
      "minRatio",
      "avgPlanMs",
      "violations",
    ]);
    expect(placement.nfvhost, "placement.nfvhost").toBeTypeOf("object");
    expectSection(placement.arrival, "placement.arrival", [
      "avgRatio",
      "minRatio",
      "msPerPlacement",
      "violations",
    ]);
    expect(Object.keys(placement.nova as Record<string, Json>).sort()).toEqual([
      "isolate/arrival",
      "isolate/smallest-first",
      "share/arrival",
      "share/smallest-first",
    ]);

    const scale = res.scale as Record<string, Json>;
    expectSection(scale.nfvhost, "scale.nfvhost", ["hosts", "vnfs", "wallMs", "cpuMs", "peakRssMB"]);

    const cli = res.cliLatency as Record<string, Json>;
    expectSection(cli.nfvhost, "cliLatency.nfvhost", ["planMs", "renderMs", "totalMs", "startupMs"]);
    expectFigure(cli.nodeStartMs, "cliLatency.nodeStartMs");
    expectSection(cli.virtInstall, "cliLatency.virtInstall", ["printXmlMs"]);
    // When both sides produced a domain, they are the same domain (not a timing check).
    const vi = cli.virtInstall as Record<string, Json> | string;
    if (typeof vi === "object" && vi.sameDomain !== null) {
      expect((vi.sameDomain as Record<string, Json>).differences).toEqual([]);
    }

    const apply = res.apply as Record<string, Json>;
    expectSection(apply.byHand, "apply.byHand", ["totalMs", "perDomainMs", "defineMs", "startMs"]);
    expectSection(apply.nfvhost, "apply.nfvhost", ["totalMs", "perDomainMs", "rerunMs", "rerunPerDomainMs"]);
    // nfvhost's apply engine throwing inside the bench is a failure, not a missing peer.
    if (typeof apply.engine === "string") expect(apply.engine).not.toMatch(/^unavailable: apply engine:/);
    if (typeof apply.nfvhost === "string") expect(apply.nfvhost).not.toMatch(/threw|apply engine/);

    // No test domain is left behind.
    const left = await run("virsh", ["-c", "qemu:///system", "list", "--all", "--name"]).catch(() => null);
    if (left && left.code === 0) expect(left.stdout).not.toMatch(/nfvb-(hand|app)-/);
  }, 1_800_000);
});
