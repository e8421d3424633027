/**
 * How `plan` and `render` report a topology that does not fit: the same located, collapsed text
 * (or JSON) from both, so a user sees one message whichever command they ran first.
 */
import { formatProblems, problemCountLine } from "../plan/format.js";
import type { PlanProblem } from "../plan/types.js";
import type { ParsedTopology } from "../topology/types.js";
import { colours, wantsColour } from "../util/colour.js";
import { formatLocation } from "../util/errors.js";
import { printJson } from "./command.js";

export function problemLocation(p: PlanProblem, parsed: ParsedTopology): string | null {
  const path = p.path ?? (p.vnf !== null ? ["vnfs", p.vnf] : null);
  if (!path) return null;
  const loc = parsed.locate(path);
  return formatLocation({ file: loc.file, line: loc.line });
}

/** Prints the problems (JSON on stdout, or text on stderr); returns the exit code, 1. */
export function reportPlanProblems(
  problems: readonly PlanProblem[],
  parsed: ParsedTopology,
  opts: { json: boolean; consequence?: string; notes?: readonly string[] },
): 1 {
  const notes = opts.notes ?? [];
  if (opts.json) {
    printJson({
      ok: false,
      code: "NFV-PLAN-MISFIT",
      ...(notes.length > 0 ? { notes } : {}),
      problems: problems.map((p) => ({ ...p, location: problemLocation(p, parsed) })),
    });
  } else {
    const color = wantsColour(process.stderr);
    // What runs now (foreign domains holding CPUs) explains many misfits: say it first.
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    for (const line of formatProblems(problems, (p) => problemLocation(p, parsed), { color }))
      process.stderr.write(`${line}\n`);
    const tail = opts.consequence ? `; ${opts.consequence}` : "";
    process.stderr.write(
      `${colours(color).bold(problemCountLine(problems, parsed.topology.vnfs.length))}${tail}.\n`,
    );
  }
  return 1;
}
