/**
 * One entry point for both engines: build the files (pure), check them offline (pinned schemas
 * and admission rules for KubeVirt; Nova's and Heat's own code for OpenStack), and describe the
 * guarantees the engine loses. The CLI (src/cli/commands/export.ts) writes what this returns.
 */
import { NfvError } from "../util/errors.js";
import { formatDegradation } from "./degradation.js";
import { checkKubevirtFiles, exportKubevirt, KUBEVIRT_DEFAULTS, type KubevirtOptions } from "./kubevirt.js";
import { checkOpenstackTemplate } from "./openstack-check.js";
import {
  exportOpenstack,
  HEAT_FILE,
  heatTemplateText,
  OPENSTACK_DEFAULTS,
  type OpenstackOptions,
  templateFiles,
} from "./openstack.js";
import type { Degradation, Engine, ExportCheck, ExportInput, ExportResult } from "./types.js";

export type { Degradation, Engine, ExportCheck, ExportHost, ExportInput, ExportResult } from "./types.js";
export { formatDegradation } from "./degradation.js";
export { KUBEVIRT_DEFAULTS, type KubevirtOptions } from "./kubevirt.js";
export { OPENSTACK_DEFAULTS, type OpenstackOptions } from "./openstack.js";

export interface ExportOptions {
  kubevirt?: Partial<KubevirtOptions>;
  openstack?: Partial<OpenstackOptions>;
  /** Run Nova's and Heat's validators (python3-nova, python3-heat); default true. */
  engineCheck?: boolean;
}

export interface ExportOutcome {
  result: ExportResult;
  checks: ExportCheck[];
  /** What checked the files, or why the engine's own check could not run. */
  checkedWith: string[];
  /** Engine checks that could not run (e.g. python3-nova missing): said, never counted as passed. */
  unchecked: string[];
  /** OpenStack constraints only a live cloud answers (image/network exist). */
  needsCloud: string[];
}

function assertUniqueVnfs(input: ExportInput): void {
  const seen = new Map<string, string>();
  for (const h of input.hosts) {
    for (const v of h.plan.vnfs) {
      const other = seen.get(v.name);
      if (other !== undefined) {
        throw new NfvError({
          code: "NFV-EXPORT-DUPLICATE",
          what: `vnfs.${v.name}`,
          value: `${other} and ${h.name}`,
          expected: "each VNF name once in the deployment (the engines name VMs and flavors after it)",
          fix: "rename one of them",
        });
      }
      seen.set(v.name, h.name);
    }
  }
  const hosts = input.hosts.map((h) => h.name);
  const dup = hosts.find((n, i) => hosts.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new NfvError({
      code: "NFV-EXPORT-DUPLICATE",
      what: "hosts",
      value: dup,
      expected: "each host once (its node / compute host name)",
      fix: "give each host its own --host name",
    });
  }
}

/** The degradation report as written to degradation.txt and stderr: one line per lost guarantee. */
export function degradationReport(d: Degradation[]): string {
  return d.map((x) => `${formatDegradation(x)}\n`).join("");
}

export async function exportDeployment(
  engine: Engine,
  input: ExportInput,
  opts: ExportOptions = {},
): Promise<ExportOutcome> {
  if (input.hosts.length === 0) {
    throw new NfvError({
      code: "NFV-EXPORT-EMPTY",
      what: "export",
      value: 0,
      expected: "at least one host with a plan",
      fix: "give a topology",
    });
  }
  assertUniqueVnfs(input);
  if (engine === "kubevirt") {
    const o = { ...KUBEVIRT_DEFAULTS, ...opts.kubevirt };
    const result = exportKubevirt(input, o);
    const checks = checkKubevirtFiles(result.files);
    return {
      result,
      checks,
      checkedWith: [
        "pinned CRD schemas in schema/export (ajv, unknown fields rejected)",
        "nfvhost admission rules",
      ],
      unchecked: [],
      needsCloud: [],
    };
  }
  const o = { ...OPENSTACK_DEFAULTS, ...opts.openstack };
  const result = exportOpenstack(input, o);
  const out: ExportOutcome = { result, checks: [], checkedWith: [], unchecked: [], needsCloud: [] };
  if (opts.engineCheck === false) {
    out.unchecked.push("Nova and Heat validators skipped (--no-engine-check)");
    return out;
  }
  const files = templateFiles(result.files);
  // The CLI format is built from the same template; the template is what gets checked.
  const name = o.format === "heat" ? HEAT_FILE : "openstack/deploy.sh (its resources as a Heat template)";
  const r = await checkOpenstackTemplate(heatTemplateText(input, o), name, files);
  if (!r.ok) {
    out.unchecked.push(`Nova and Heat validators not run: ${r.reason}`);
    return out;
  }
  out.checks = r.report.checks;
  out.needsCloud = r.report.needsCloud;
  out.checkedWith = [
    `nova ${r.report.versions.nova}: extra-spec validators, numa_get_constraints, get_best_cpu_topology`,
    `heat ${r.report.versions.heat}: template_format, HOT sections, properties_schema of every resource`,
  ];
  return out;
}
