/**
 * Loads nfvhost's planner (src/plan/planner.ts) for the in-process benchmarks. The bench reports
 * "unavailable" instead of failing when the planner module is missing or does not export it.
 */
import { existsSync } from "node:fs";
import type { HostFacts } from "../src/facts/types.js";
import type { DeployedVnf, PlanResult } from "../src/plan/types.js";
import type { Topology } from "../src/topology/types.js";

export type PlanFn = (
  facts: HostFacts,
  topology: Topology,
  deployed?: DeployedVnf[],
  options?: { timeLimitS?: number },
) => PlanResult;

export type PlannerLoad = { ok: true; plan: PlanFn } | { ok: false; reason: string };

export async function loadPlanner(): Promise<PlannerLoad> {
  const file = new URL("../src/plan/planner.ts", import.meta.url);
  if (!existsSync(file)) return { ok: false, reason: "src/plan/planner.ts not present yet" };
  // A computed specifier: the module may not exist when the bench is typechecked.
  const spec = "../src/plan/planner.js";
  try {
    const mod = (await import(spec)) as { planDeployment?: unknown };
    if (typeof mod.planDeployment !== "function") {
      return { ok: false, reason: "src/plan/planner.ts does not export planDeployment" };
    }
    return { ok: true, plan: mod.planDeployment as PlanFn };
  } catch (e) {
    return {
      ok: false,
      reason: `src/plan/planner.ts failed to load: ${(e as Error).message.split("\n")[0]}`,
    };
  }
}
