/**
 * A plan that does not fit, thrown by code that needs a plan to go on (apply, verify). It is an
 * NfvErrors, so any caller prints it; the CLI prefers the problems themselves, located in the
 * topology file and collapsed, as `plan` prints them.
 */
import type { ParsedTopology } from "../topology/types.js";
import { NfvError, NfvErrors } from "../util/errors.js";
import type { PlanProblem } from "./types.js";

export class TopologyDoesNotFit extends NfvErrors {
  readonly problems: readonly PlanProblem[];
  readonly parsed: ParsedTopology;

  constructor(problems: readonly PlanProblem[], parsed: ParsedTopology) {
    super(
      problems.map(
        (p) =>
          new NfvError({
            what: `${p.vnf ? `VNF ${p.vnf}` : "host"}: ${p.resource}${p.node !== null ? ` on node ${p.node}` : ""}`,
            value: p.message,
            expected: p.need !== null ? `${p.need} (have ${p.have ?? 0})` : undefined,
            fix: p.fixes.join("; ") || undefined,
            exitCode: 1,
            code: "NFV-PLAN-MISFIT",
          }),
      ),
      "the topology does not fit this host",
    );
    this.name = "TopologyDoesNotFit";
    this.problems = problems;
    this.parsed = parsed;
  }
}
