import { stripVTControlCharacters } from "node:util";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DoctorReport } from "../src/doctor/types.js";
import { run } from "../src/util/exec.js";
import { runCli } from "./support/cli.js";

const SEED = "examples/hosts/seed-c240m5";

const cli = runCli;

/** A copy of the seed snapshot whose boot line isolates CPU 0 and its sibling: a failing host. */
const tmp = mkdtempSync(path.join(tmpdir(), "nfvdoc-cli-"));
const badRoot = path.join(tmp, "bad-host");
cpSync(SEED, badRoot, { recursive: true });
const cmdlineFile = path.join(badRoot, "proc/cmdline");
writeFileSync(
  cmdlineFile,
  readFileSync(cmdlineFile, "utf8").replace("isolcpus=1-8,37-44", "isolcpus=0-8,36-44"),
);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI as on a terminal of `columns` columns (stdout.isTTY), then restores stdout. */
async function onTerminal(args: string[], columns: number) {
  const stdout = process.stdout as NodeJS.WriteStream & { isTTY?: boolean };
  const was = { isTTY: stdout.isTTY, columns: stdout.columns };
  stdout.isTTY = true;
  stdout.columns = columns;
  try {
    return await cli(args);
  } finally {
    stdout.isTTY = was.isTTY as boolean;
    stdout.columns = was.columns;
  }
}

describe("nfvhost doctor views", () => {
  it("on a terminal: one line per check, no wider than the terminal; --verbose: the full table", async () => {
    const compact = await onTerminal(["doctor", "--root", SEED], 100);
    expect(compact.code, compact.stderr).toBe(0);
    const lines = stripVTControlCharacters(compact.stdout).trimEnd().split("\n");
    expect(lines.length).toBeLessThan(80);
    for (const l of lines.slice(0, -1)) expect(l.length).toBeLessThanOrEqual(100);
    expect(lines).toContain("  INFO  14 settings Linux cannot see: check them in the BIOS setup");
    const full = await onTerminal(["doctor", "--root", SEED, "--verbose"], 100);
    expect(full.stdout.split("\n").length).toBeGreaterThan(lines.length * 4);
    // Ids wrap inside the narrow Check column; the full table has the evidence and the fixes.
    expect(full.stdout).toContain("UNVERIFIABLE from Linux");
  });

  it("to a pipe: the full table, evidence and fixes included", async () => {
    const r = await cli(["doctor", "--root", SEED]);
    expect(r.stdout).toContain("│ Status │");
    expect(r.stdout).toContain("[manual]");
  });
});

describe("nfvhost doctor", () => {
  it("exits 0 on the seed host and prints the stable JSON report", async () => {
    const r = await cli(["doctor", "--root", SEED, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(Object.keys(report)).toEqual(["host", "summary", "checks"]);
    expect(Object.keys(report.summary)).toEqual(["pass", "warn", "fail", "info"]);
    expect(report.summary.fail).toBe(0);
    expect(report.checks.find((c) => c.id === "cpu.smt")?.status).toBe("warn");
  });

  it("exits 1 on a failing host, names the failed check on stderr and still prints the table", async () => {
    const r = await cli(["doctor", "--root", badRoot]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("cpu.isolcpus.cpu0");
    expect(r.stdout).toMatch(/FAIL/);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/ 1 fail, .* - FAIL$/);
    expect(r.stderr).toContain("doctor: 1 check(s) failed on");
    expect(r.stderr).toContain('"cpu.isolcpus.cpu0"');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("exits 1 with --json too, and the JSON carries the failure", async () => {
    const r = await cli(["doctor", "--root", badRoot, "--json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const c = report.checks.find((x) => x.id === "cpu.isolcpus.cpu0")!;
    expect(c.status).toBe("fail");
    expect(c.evidence).toContain("isolcpus=0-8,36-44 includes CPU 0");
    // CentOS 7 snapshot: the fix is the seed's /etc/default/grub + grub2-mkconfig route.
    expect(c.fix).toContain("grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg");
    expect(c.fix).toContain("isolcpus=1-8,37-44");
  });

  it("a missing root is a precise error with exit 2 and no report", async () => {
    const r = await cli(["doctor", "--root", path.join(tmp, "nope")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("does not exist");
  });

  it("a garbage file is bad input (exit 2) naming it, not a host verdict resting on it", async () => {
    const root = path.join(tmp, "garbage-cpuinfo");
    cpSync(SEED, root, { recursive: true });
    writeFileSync(path.join(root, "proc/cpuinfo"), "not a cpuinfo\n");
    const r = await cli(["doctor", "--root", root, "--json"]);
    expect(r.code).toBe(2);
    // The report is still printed (it is the best picture there is), but the exit code warns scripts.
    expect((JSON.parse(r.stdout) as DoctorReport).checks.length).toBeGreaterThan(40);
    expect(r.stderr).toContain('hold garbage: ["/proc/cpuinfo"]');
    expect(r.stderr).not.toContain("check(s) failed");
  });

  it("runs on this live machine without error (any statuses)", async () => {
    const r = await cli(["doctor", "--json"]);
    expect([0, 1]).toContain(r.code);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.checks.length).toBeGreaterThan(40);
    expect(r.code).toBe(report.summary.fail > 0 ? 1 : 0);
  });

  it("the process exit code is 1 for a failing host when run as a real process", async () => {
    const entry = path.join(tmp, "entry.mjs");
    const mainUrl = new URL("../src/cli/main.ts", import.meta.url).href;
    writeFileSync(
      entry,
      `import { main } from ${JSON.stringify(mainUrl)};\nprocess.exitCode = await main(process.argv);\n`,
    );
    const bad = await run(process.execPath, ["--import", "tsx", entry, "doctor", "--root", badRoot], {
      timeoutMs: 60_000,
    });
    expect(bad.code, bad.stderr).toBe(1);
    const good = await run(process.execPath, ["--import", "tsx", entry, "doctor", "--root", SEED], {
      timeoutMs: 60_000,
    });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain("0 fail");
  });
});
