/**
 * Text output of apply: the diff first, then what was held back or is pending; and which progress
 * display goes with it.
 */
import { colours, type Colours } from "../util/colour.js";
import type { ApplyReport } from "./index.js";

function diffLine(pc: Colours, l: string): string {
  if (l.startsWith("+")) return pc.green(`    ${l}`);
  if (l.startsWith("-")) return pc.red(`    ${l}`);
  return pc.yellow(`    ${l}`);
}

export function formatApplyReport(r: ApplyReport, opts: { full: boolean; color: boolean }): string {
  const pc = colours(opts.color);
  const out: string[] = [];
  for (const w of r.warnings) out.push(pc.yellow(`warning: ${w}`));
  if (r.staleLock) {
    out.push(
      pc.yellow(
        `note: took over a stale lock of pid ${r.staleLock.pid} (${r.staleLock.command}, ${r.staleLock.started}): that apply was killed; this run finishes its work`,
      ),
    );
  }
  if (r.changes.length === 0) {
    out.push(
      r.held.length === 0
        ? pc.green(`no changes: ${r.topology} is converged on ${r.connect}`)
        : `no changes made`,
    );
  } else {
    out.push(pc.bold(`${r.dryRun ? "would change" : "changes"} (${r.changes.length}) on ${r.connect}:`));
    for (const c of r.changes) {
      out.push(`  ${pc.cyan("~")} ${c.summary}`);
      const lines =
        opts.full || c.diff.length <= 40
          ? c.diff
          : [...c.diff.slice(0, 40), `... ${c.diff.length - 40} more line(s) (--json shows all)`];
      for (const l of lines) out.push(diffLine(pc, l));
    }
  }
  for (const h of r.held) out.push(pc.yellow(`held back: ${h.what}: ${h.why}; ${h.fix}`));
  for (const p of r.pending)
    out.push(
      pc.yellow(`${p.onHost ? "pending on the host" : "pending reboot"}: ${p.what}\n    run: ${p.command}`),
    );
  for (const o of r.orphans)
    out.push(`not in the topology any more (left running): ${o}; remove it with: nfvhost destroy ${o}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.dryRun) out.push(pc.dim("dry run: nothing was changed"));
  else if (r.applied > 0) out.push(pc.green(`applied ${r.applied} change(s); journal: ${r.journal}`));
  return `${out.join("\n")}\n`;
}

/**
 * listr2's renderer for apply's progress: animated on a terminal; none for --json, or when the
 * output is a pipe or a file, where progress lines would be noise in the log (the report after the
 * run names every change, with its diff, once).
 */
export function progressRenderer(opts: { json: boolean; isTTY: boolean }): "default" | "silent" {
  return opts.json || !opts.isTTY ? "silent" : "default";
}
