/** Text output of verify: one line per check, its evidence, and the fix when it failed. */
import { colours } from "../util/colour.js";
import type { VerifyReport } from "./index.js";

export function formatVerifyReport(r: VerifyReport, opts: { color: boolean }): string {
  const pc = colours(opts.color);
  const out: string[] = [];
  for (const c of r.checks) {
    const tag =
      c.status === "pass" ? pc.green("PASS") : c.status === "warn" ? pc.yellow("WARN") : pc.red("FAIL");
    out.push(
      `${tag} ${c.subject}: ${c.check}: ${c.status === "pass" ? c.have : `want ${c.want}, have ${c.have}`}  ${pc.dim(`[${c.evidence}]`)}`,
    );
    if (c.status !== "pass" && c.fix) out.push(`     fix: ${c.fix}`);
  }
  const fails = r.checks.filter((c) => c.status === "fail").length;
  out.push(
    fails === 0
      ? pc.green(`verified: ${r.checks.length} check(s), no drift`)
      : pc.red(`drift: ${fails} of ${r.checks.length} check(s) failed`),
  );
  return `${out.join("\n")}\n`;
}
