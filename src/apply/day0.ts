/**
 * Day-0 files per VNF, as they go on its ISO. The content comes from the day-0 renderer.
 */
import type { Plan } from "../plan/types.js";

export type Day0Files = Record<string, { label: string; files: { name: string; content: Buffer }[] }>;

export async function renderDay0(plan: Plan, env: Readonly<Record<string, string | undefined>>): Promise<Day0Files> {
  void env;
  const out: Day0Files = {};
  for (const v of plan.vnfs) if (v.day0) out[v.name] = { label: "config", files: [] };
  return out;
}
