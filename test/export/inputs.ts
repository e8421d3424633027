/**
 * The example topologies on their hosts, planned, as export inputs: the seed host snapshot for
 * the seed-host examples, the AMD EPYC NPS4 shape for amd-epyc-routers (as the dashboard's
 * screenshots use it). Secrets are test values, salts fixed, so golden files are stable.
 */
import { join } from "node:path";
import { discoverHost } from "../../src/facts/discover.js";
import { AMD_EPYC_NPS4, buildHostFacts } from "../../src/facts/shapes.js";
import type { HostFacts } from "../../src/facts/types.js";
import { planDeployment } from "../../src/plan/planner.js";
import type { ExportHost, ExportInput } from "../../src/export/types.js";
import { loadTopology } from "../../src/topology/load.js";
import { REPO, SEED_ENV, SEED_ROOT } from "../render/seed.js";

export const EXPORT_ENV = {
  ...SEED_ENV,
  C8KV_ADMIN_PASSWORD: "c8kv-test-admin",
  C8KV_ENABLE_SECRET: "c8kv-test-enable",
  C8KV_SL_TOKEN: "SmartLicenseTestToken0123456789",
  C8KV_EDGE_OTP: "0123456789abcdef0123456789abcdef",
  SDWAN_ROOT_CA: "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----",
};

export const EXAMPLES = [
  "seed-csr1kv",
  "c8000v-autonomous",
  "generic-qcow2",
  "multi-vnf-sriov",
  "amd-epyc-routers",
] as const;

export async function exampleFacts(name: string): Promise<HostFacts> {
  return name === "amd-epyc-routers" ? buildHostFacts(AMD_EPYC_NPS4) : discoverHost({ root: SEED_ROOT });
}

export async function exampleHost(name: string, hostName?: string): Promise<ExportHost> {
  const parsed = await loadTopology(join(REPO, "examples/topologies", `${name}.yaml`));
  const facts = await exampleFacts(name);
  const result = planDeployment(facts, parsed.topology);
  if (!result.ok) throw new Error(`${name} does not plan: ${JSON.stringify(result.problems)}`);
  return { name: hostName ?? facts.hostname ?? name, facts, plan: result.plan };
}

export async function exampleInput(name: string): Promise<ExportInput> {
  return { name, hosts: [await exampleHost(name)], env: EXPORT_ENV, saltSeed: "export-test" };
}
