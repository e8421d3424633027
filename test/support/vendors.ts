/** The vendor kinds' example topologies, planned on the seed host, and the test secrets they name. */
import { join } from "node:path";
import type { HostFacts } from "../../src/facts/types.js";
import { planDeployment } from "../../src/plan/planner.js";
import type { VnfPlan } from "../../src/plan/types.js";
import { loadTopology } from "../../src/topology/load.js";
import { REPO } from "../render/seed.js";

export const VENDOR_ENV = {
  XRV_ADMIN_PASSWORD: "Xrv-Test-Password-1",
  VSRX_ROOT_PASSWORD: "Vsrx-Root-Test-1",
  VSRX_ADMIN_PASSWORD: "Vsrx-Admin-Test-1",
  VYOS_PASSWORD: "Vyos-Test-Password-1",
  PANOS_AUTHCODE: "I1234567-TEST",
  FGT_LICENSE: "-----BEGIN FGT VM LICENSE-----\nQAAAAnfakeTESTlicence\n-----END FGT VM LICENSE-----\n",
};
export const VENDOR_KINDS = ["asav", "xrv9k", "vsrx3", "vmseries", "fortigate", "vyos", "chr"] as const;

export async function vendorVnf(kind: string, f: HostFacts): Promise<VnfPlan> {
  const parsed = await loadTopology(join(REPO, `examples/topologies/vendor-${kind}.yaml`));
  const r = planDeployment(f, parsed.topology);
  if (!r.ok) throw new Error(`vendor-${kind} does not plan: ${JSON.stringify(r.problems)}`);
  return r.plan.vnfs[0]!;
}
