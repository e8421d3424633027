/**
 * The last plan apply carried out, per topology: STATE/applied/<topology>.json. Re-planning keeps
 * running VNFs where this plan put them, so a vCPU re-pinned by hand (or a changed memory size)
 * is drift to correct, not a new placement to accept.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Plan } from "../plan/types.js";
import { writeFileAtomic } from "../host/files.js";
import { assertDomainName } from "../util/names.js";

export function appliedPlanPath(stateDir: string, topology: string): string {
  assertDomainName(topology, "topology name");
  return join(stateDir, "applied", `${topology}.json`);
}

export async function saveAppliedPlan(stateDir: string, plan: Plan): Promise<void> {
  await writeFileAtomic(
    appliedPlanPath(stateDir, plan.topology),
    `${JSON.stringify(plan, null, 2)}\n`,
    0o644,
  );
}

export async function loadAppliedPlan(stateDir: string, topology: string): Promise<Plan | null> {
  try {
    return JSON.parse(await readFile(appliedPlanPath(stateDir, topology), "utf8")) as Plan;
  } catch {
    return null;
  }
}
