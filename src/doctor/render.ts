/**
 * Human output of a doctor report: on a terminal a compact view (one line per check, grouped by
 * area), else or with --verbose one table with the evidence and fix of every check; then a summary
 * line. Builds strings (no I/O) so tests can read exactly what the user sees.
 */
import Table from "cli-table3";
import { AREA_TITLES, CHECK_AREAS, type CheckStatus, type DoctorReport } from "./types.js";
import { colours } from "../util/colour.js";

export interface RenderOptions {
  /** Terminal width to fit the table into. */
  width: number;
  color: boolean;
}

type Paint = (s: string) => string;

function painter(color: boolean): Record<CheckStatus | "area" | "dim", Paint> {
  const c = colours(color);
  return { pass: c.green, warn: c.yellow, fail: c.red, info: c.blue, area: c.bold, dim: c.dim };
}

export function summaryLine(report: DoctorReport): string {
  const s = report.summary;
  const verdict = s.fail > 0 ? "FAIL" : s.warn > 0 ? "OK with warnings" : "OK";
  return `${report.host}: ${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.info} info (${report.checks.length} checks) - ${verdict}`;
}

/**
 * Greedy word wrap that hard-splits tokens longer than the column (paths, ids, commands) instead
 * of truncating them, so every character of an id or fix stays visible. Keeps explicit newlines.
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/ +/)) {
      let w = word;
      while (w.length > width) {
        if (line) {
          lines.push(line);
          line = "";
        }
        lines.push(w.slice(0, width));
        w = w.slice(width);
      }
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ` ${w}`;
      else {
        lines.push(line);
        line = w;
      }
    }
    lines.push(line);
  }
  return lines;
}

export function renderReport(report: DoctorReport, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const width = Math.max(80, opts.width);
  // Status is fixed; the rest is shared between check, evidence and fix (borders and padding take 13).
  const rest = width - 8 - 13;
  const checkW = Math.floor(rest * 0.24);
  const evidenceW = Math.floor(rest * 0.36);
  const fixW = rest - checkW - evidenceW;
  const cell = (text: string, w: number, p: (s: string) => string = (x) => x) =>
    wrapText(text, w - 2)
      .map(p)
      .join("\n");
  const table = new Table({
    head: ["Status", "Check", "Evidence", "Fix"],
    colWidths: [8, checkW, evidenceW, fixW],
    wordWrap: false,
    style: { head: opts.color ? ["bold"] : [], border: opts.color ? ["grey"] : [] },
  });
  for (const area of CHECK_AREAS) {
    const checks = report.checks.filter((c) => c.area === area);
    if (checks.length === 0) continue;
    table.push([{ colSpan: 4, content: paint.area(AREA_TITLES[area]) }]);
    for (const c of checks) {
      table.push([
        paint[c.status](c.status.toUpperCase()),
        `${cell(c.title, checkW)}\n${cell(c.id, checkW, paint.dim)}`,
        cell(c.evidence, evidenceW),
        cell(c.fix ?? "", fixW),
      ]);
    }
  }
  const s = report.summary;
  const counts = [
    paint.pass(`${s.pass} pass`),
    paint.warn(`${s.warn} warn`),
    paint.fail(`${s.fail} fail`),
    paint.info(`${s.info} info`),
  ].join(", ");
  const verdict =
    s.fail > 0 ? paint.fail("FAIL") : s.warn > 0 ? paint.warn("OK with warnings") : paint.pass("OK");
  return `${table.toString()}\n${report.host}: ${counts} (${report.checks.length} checks) - ${verdict}\n`;
}

/**
 * Which view `doctor` prints: the full table with --verbose or when the output is not a terminal
 * (logs and pipes keep every evidence and fix), the compact view on a terminal.
 */
export function doctorView(opts: { verbose: boolean; isTTY: boolean }): "compact" | "full" {
  return opts.verbose || !opts.isTTY ? "full" : "compact";
}

/** Cuts a line to `width` characters, marking the cut. */
function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(1, width - 1))}…`;
}

/**
 * One line per check under its area heading (`  WARN  title: evidence`, cut to the terminal's
 * width), the manual BIOS rows folded into one line, then what --verbose adds and the summary.
 */
export function renderCompact(report: DoctorReport, opts: RenderOptions): string {
  const paint = painter(opts.color);
  const width = Math.max(60, opts.width);
  const out: string[] = [];
  for (const area of CHECK_AREAS) {
    const checks = report.checks.filter((c) => c.area === area);
    if (checks.length === 0) continue;
    out.push(paint.area(AREA_TITLES[area]));
    const manual = checks.filter((c) => c.status === "info" && c.title.startsWith("[manual]"));
    for (const c of checks.filter((x) => !manual.includes(x))) {
      const status = c.status.toUpperCase().padEnd(4);
      const rest = fit(`${c.title}: ${c.evidence.split("\n")[0]}`, width - 8);
      out.push(`  ${paint[c.status](status)}  ${rest}`);
    }
    if (manual.length > 0) {
      const text = fit(`${manual.length} settings Linux cannot see: check them in the BIOS setup`, width - 8);
      out.push(`  ${paint.info("INFO")}  ${text}`);
    }
  }
  const s = report.summary;
  const toFix = s.warn + s.fail;
  const hint =
    toFix > 0
      ? `${toFix} check(s) to fix: nfvhost doctor --verbose shows each one's evidence and exact fix`
      : "nfvhost doctor --verbose shows the evidence of every check";
  out.push(paint.dim(fit(hint, width)));
  const counts = [
    paint.pass(`${s.pass} pass`),
    paint.warn(`${s.warn} warn`),
    paint.fail(`${s.fail} fail`),
    paint.info(`${s.info} info`),
  ].join(", ");
  const verdict =
    s.fail > 0 ? paint.fail("FAIL") : s.warn > 0 ? paint.warn("OK with warnings") : paint.pass("OK");
  out.push(`${report.host}: ${counts} (${report.checks.length} checks) - ${verdict}`);
  return `${out.join("\n")}\n`;
}
