/**
 * Runs ./openstack-check.py: OpenStack's own validators (Debian python3-nova and python3-heat,
 * in the system Python) over an exported Heat template, offline. See the script for what each
 * check calls.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { run } from "../util/exec.js";
import type { ExportCheck } from "./types.js";

/** The system interpreter: the distribution's nova and heat live in its dist-packages, not in a pyenv/venv. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
/** The script ships in src/export; dist/export finds it there too. */
export const CHECK_SCRIPT = fileURLToPath(new URL("../../src/export/openstack-check.py", import.meta.url));

export interface OpenstackCheckReport {
  versions: { nova: string; heat: string };
  checks: ExportCheck[];
  /** Constraints only a live cloud can answer (flavor/image/network exists): not checked. */
  needsCloud: string[];
}

export type OpenstackCheckResult = { ok: true; report: OpenstackCheckReport } | { ok: false; reason: string };

interface PartOutput {
  version: string;
  checks: ExportCheck[];
  needsCloud: string[];
}

async function runPart(part: "nova" | "heat", input: string): Promise<PartOutput | string> {
  const r = await run(SYSTEM_PYTHON, [CHECK_SCRIPT, part], { input, timeoutMs: 300_000 });
  if (r.code === 0) return JSON.parse(r.stdout) as PartOutput;
  const missing = /No module named '(nova|heat)/.exec(r.stderr);
  if (missing) return `python3-${missing[1]} is not installed (apt-get install python3-nova python3-heat)`;
  const last = r.stderr.trim().split("\n").slice(-1)[0] ?? "";
  return `${CHECK_SCRIPT} ${part} failed (exit ${r.code}): ${last}`;
}

export interface TemplateToCheck {
  template: string;
  /** Name in the check's messages. */
  file: string;
  /** Files the template reads with get_file, by path. */
  files: Record<string, string>;
}

/** Nova's and Heat's checks of one template, in two processes side by side. */
export async function checkOpenstackTemplate(
  template: string,
  file: string,
  files: Record<string, string>,
): Promise<OpenstackCheckResult> {
  return checkOpenstackTemplates([{ template, file, files }]);
}

/** Several templates in the same two processes (Heat's plugin loading is paid once). */
export async function checkOpenstackTemplates(templates: TemplateToCheck[]): Promise<OpenstackCheckResult> {
  if (!existsSync(SYSTEM_PYTHON)) return { ok: false, reason: `${SYSTEM_PYTHON} is missing` };
  const input = JSON.stringify({ templates });
  const [nova, heat] = await Promise.all([runPart("nova", input), runPart("heat", input)]);
  if (typeof nova === "string") return { ok: false, reason: nova };
  if (typeof heat === "string") return { ok: false, reason: heat };
  return {
    ok: true,
    report: {
      versions: { nova: nova.version, heat: heat.version },
      checks: [...nova.checks, ...heat.checks],
      needsCloud: heat.needsCloud,
    },
  };
}
