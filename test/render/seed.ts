/**
 * The seed deployment through the real pipeline, as `nfvhost render` runs it: the seed topology,
 * the seed host snapshot, the planner, then renderArtifacts with a fixed test password and salt seed.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverHost } from "../../src/facts/discover.js";
import type { HostFacts } from "../../src/facts/types.js";
import { planDeployment } from "../../src/plan/planner.js";
import type { Plan } from "../../src/plan/types.js";
import { renderArtifacts } from "../../src/render/index.js";
import type { RenderedFile } from "../../src/render/types.js";
import { loadTopology } from "../../src/topology/load.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SEED_TOPOLOGY = join(REPO, "examples/topologies/seed-csr1kv.yaml");
export const SEED_ROOT = join(REPO, "examples/hosts/seed-c240m5");
/** Test-only password; the golden files carry only its type 9 hash. */
export const SEED_PASSWORD = "Seed-Guide-Test-Password-1";
export const SEED_ENV = { CSR_ADMIN_PASSWORD: SEED_PASSWORD };
export const SEED_SALT_SEED = "nfvhost-golden";

export interface SeedRender {
  plan: Plan;
  facts: HostFacts;
  files: RenderedFile[];
}

export async function renderSeed(): Promise<SeedRender> {
  const parsed = await loadTopology(SEED_TOPOLOGY);
  const facts = await discoverHost({ root: SEED_ROOT });
  const result = planDeployment(facts, parsed.topology);
  if (!result.ok) throw new Error(`the seed does not plan: ${JSON.stringify(result.problems)}`);
  const files = renderArtifacts(result.plan, facts, { env: SEED_ENV, saltSeed: SEED_SALT_SEED });
  return { plan: result.plan, facts, files };
}

export function fileOf(files: RenderedFile[], path: string): RenderedFile {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`not rendered: ${path} (have ${files.map((x) => x.path).join(", ")})`);
  return f;
}
