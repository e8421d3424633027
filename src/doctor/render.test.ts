import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { buildHostFacts, SEED_C240M5 } from "../facts/shapes.js";
import { runDoctor } from "./index.js";
import { doctorView, renderCompact, renderReport, summaryLine, wrapText } from "./render.js";
import { AREA_TITLES } from "./types.js";

describe("wrapText", () => {
  it("wraps on spaces, keeps newlines and hard-splits words longer than the column", () => {
    expect(wrapText("aa bb cc", 5)).toEqual(["aa bb", "cc"]);
    expect(wrapText("one\ntwo", 10)).toEqual(["one", "two"]);
    expect(wrapText("x /sys/devices/system", 8)).toEqual(["x", "/sys/dev", "ices/sys", "tem"]);
  });
});

describe("renderReport", () => {
  const report = runDoctor(buildHostFacts(SEED_C240M5));
  const text = renderReport(report, { width: 120, color: false });

  it("groups checks under area headings in report order, with a summary line", () => {
    const positions = ["virtualization", "iommu", "hugepages", "cpu", "sriov", "os", "sysctl", "bios"].map(
      (a) => text.indexOf(AREA_TITLES[a as keyof typeof AREA_TITLES]),
    );
    for (const p of positions) expect(p).toBeGreaterThan(-1);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text.trimEnd().split("\n").at(-1)).toBe(
      `seed-c240m5: ${report.summary.pass} pass, ${report.summary.warn} warn, 0 fail, ${report.summary.info} info (${report.checks.length} checks) - OK with warnings`,
    );
    expect(summaryLine(report)).toBe(text.trimEnd().split("\n").at(-1));
  });

  it("fits the width and shows every check id in full", () => {
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(120);
    // The Check column of every row, read top to bottom: hard-wrapped ids join back together.
    const checkColumn = text
      .split("\n")
      .map((l) => l.split("│")[2] ?? "")
      .join("")
      .replace(/\s+/g, "");
    for (const c of report.checks) expect(checkColumn).toContain(c.id);
  });

  it("uses no colour codes when colour is off and some when on", () => {
    expect(text.includes("\u001b[")).toBe(false);
    expect(renderReport(report, { width: 120, color: true }).includes("\u001b[")).toBe(true);
  });
});

describe("compact view (doctor on a terminal)", () => {
  const report = runDoctor(buildHostFacts(SEED_C240M5));
  const text = renderCompact(report, { width: 100, color: false });
  const lines = text.trimEnd().split("\n");

  it("is the view of a terminal; --verbose and pipes get the full table", () => {
    expect(doctorView({ verbose: false, isTTY: true })).toBe("compact");
    expect(doctorView({ verbose: true, isTTY: true })).toBe("full");
    expect(doctorView({ verbose: false, isTTY: false })).toBe("full");
  });

  it("prints one line per check, the manual BIOS rows folded into one, cut to the width", () => {
    const manual = report.checks.filter((c) => c.title.startsWith("[manual]"));
    const checkLines = lines.filter((l) => /^ {2}(PASS|WARN|FAIL|INFO) {2}/.test(l));
    expect(checkLines).toHaveLength(report.checks.length - manual.length + 1);
    expect(checkLines).toContain(
      `  INFO  ${manual.length} settings Linux cannot see: check them in the BIOS setup`,
    );
    for (const l of lines.slice(0, -1)) expect(l.length).toBeLessThanOrEqual(100);
    const smt = report.checks.find((c) => c.id === "cpu.smt")!;
    expect(checkLines).toContain(`  WARN  ${`${smt.title}: ${smt.evidence}`.slice(0, 91)}…`);
    // Far shorter than the full table at the same width.
    expect(lines.length).toBeLessThan(
      renderReport(report, { width: 100, color: false }).split("\n").length / 4,
    );
  });

  it("ends with what --verbose adds and the same summary line as the full table", () => {
    const toFix = report.summary.warn + report.summary.fail;
    expect(toFix).toBeGreaterThan(0);
    expect(lines.at(-2)).toBe(
      `${toFix} check(s) to fix: nfvhost doctor --verbose shows each one's evidence and exact fix`,
    );
    expect(lines.at(-1)).toBe(summaryLine(report));
  });

  it("colour only adds escape codes", () => {
    const coloured = renderCompact(report, { width: 100, color: true });
    expect(coloured).toContain("\u001b[");
    expect(stripVTControlCharacters(coloured)).toBe(text);
  });
});
