/** Fleets built in memory from the host shapes (no Ansible, no files): planning tests' input. */
import { stringify } from "yaml";
import { buildHostFacts, type HostShape } from "../../src/facts/shapes.js";
import { hostFromVars } from "../../src/fleet/inventory.js";
import { parseFleetTopology } from "../../src/fleet/topology.js";
import type { FleetTopology, HostInput } from "../../src/fleet/types.js";
import type { DeployedVnf } from "../../src/plan/types.js";

export interface HostDef {
  name: string;
  shape: HostShape;
  labels?: Record<string, string>;
  host?: Record<string, unknown>;
  groups?: string[];
  deployed?: DeployedVnf[];
}

export const BASE_HOST = {
  cpus: { isolate: "auto", "housekeeping-cores-per-node": 1 },
  hugepages: { size: "1GiB" },
};

export function hostInputs(defs: readonly HostDef[]): HostInput[] {
  return defs.map((d) => ({
    host: hostFromVars(
      d.name,
      { nfvhost_labels: d.labels ?? {}, nfvhost_host: d.host ?? BASE_HOST },
      d.groups ?? [],
    ),
    facts: buildHostFacts(d.shape),
    deployed: d.deployed ?? [],
    source: `shape ${d.shape.name}`,
  }));
}

export function fleetOf(obj: Record<string, unknown>): FleetTopology {
  return parseFleetTopology(stringify(obj), "fleet.yaml");
}
