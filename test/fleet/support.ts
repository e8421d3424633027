/**
 * A fleet of real host shapes for the fleet tests: the seed server's snapshot (examples/hosts),
 * and two shapes from src/facts/shapes.ts written as sysfs trees (AMD EPYC NPS4, SMT off), an
 * INI inventory with group_vars/host_vars, and a fleet topology of 20 VNFs with pins, a
 * selector and an anti-affinity pair.
 */
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { AMD_EPYC_NPS4, buildHostFacts, SMT_OFF } from "../../src/facts/shapes.js";
import { writeSnapshotTree } from "../../src/facts/write-tree.js";

export const SEED = new URL("../../examples/hosts/seed-c240m5", import.meta.url).pathname;

export interface FleetHostDef {
  name: string;
  group: string;
  tree: string;
  labels: Record<string, string>;
  host: Record<string, unknown>;
}

/** Writes the three host trees under dir/hosts and returns their definitions. */
export async function writeHostTrees(dir: string): Promise<FleetHostDef[]> {
  const hosts = join(dir, "hosts");
  await mkdir(hosts, { recursive: true });
  await cp(SEED, join(hosts, "seed"), { recursive: true });
  writeSnapshotTree(buildHostFacts(AMD_EPYC_NPS4), join(hosts, "amd"));
  writeSnapshotTree(buildHostFacts(SMT_OFF), join(hosts, "smt"));
  const base = { cpus: { isolate: "auto", "housekeeping-cores-per-node": 1 }, hugepages: { size: "1GiB" } };
  return [
    {
      name: "edge-seed",
      group: "edge",
      tree: join(hosts, "seed"),
      labels: { site: "fra1", rack: "r1" },
      host: { ...base, sriov: [{ pf: "eno2", vfs: 4 }] },
    },
    {
      name: "core-amd",
      group: "core",
      tree: join(hosts, "amd"),
      labels: { site: "fra1", rack: "r2" },
      host: { ...base, sriov: [{ pf: "ens1f0", vfs: 8 }] },
    },
    {
      name: "edge-smt",
      group: "edge",
      tree: join(hosts, "smt"),
      labels: { site: "ams1", rack: "r3" },
      host: base,
    },
  ];
}

/** INI inventory + group_vars + host_vars (the layout Ansible users keep). */
export async function writeInventory(
  dir: string,
  hosts: FleetHostDef[],
  opts: { order?: string[]; extraHostVars?: Record<string, Record<string, unknown>> } = {},
): Promise<string> {
  const inv = join(dir, "inventory");
  await mkdir(join(inv, "host_vars"), { recursive: true });
  await mkdir(join(inv, "group_vars"), { recursive: true });
  const order = opts.order ?? hosts.map((h) => h.name);
  const byGroup = new Map<string, string[]>();
  for (const n of order) {
    const h = hosts.find((x) => x.name === n)!;
    byGroup.set(h.group, [...(byGroup.get(h.group) ?? []), n]);
  }
  const ini = [
    ...[...byGroup].flatMap(([g, ns]) => [`[${g}]`, ...ns, ""]),
    "[fleet:children]",
    ...byGroup.keys(),
    "",
  ].join("\n");
  await writeFile(join(inv, "hosts.ini"), ini);
  await writeFile(join(inv, "group_vars", "fleet.yml"), stringify({ nfvhost_host: hosts[0]!.host }));
  for (const h of hosts)
    await writeFile(
      join(inv, "host_vars", `${h.name}.yml`),
      stringify({
        nfvhost_snapshot: h.tree,
        nfvhost_labels: h.labels,
        nfvhost_host: h.host,
        ...(opts.extraHostVars?.[h.name] ?? {}),
      }),
    );
  return join(inv, "hosts.ini");
}

function vnf(
  name: string,
  vcpus: number,
  gib: number,
  extra: Record<string, unknown> = {},
): [string, unknown] {
  return [
    name,
    {
      kind: "generic",
      image: `/var/lib/libvirt/images/${name}.qcow2`,
      vcpus,
      memory: `${gib}GiB`,
      ...extra,
    },
  ];
}

/** 20 VNFs: an anti-affinity pair (site), two pinned, a selector, two on SR-IOV of eno2. */
export function fleetTopology(extra: [string, unknown][] = []): Record<string, unknown> {
  const vnfs: [string, unknown][] = [
    vnf("pe-a", 4, 4),
    vnf("pe-b", 4, 4),
    vnf("core-1", 8, 16, { host: "core-amd" }),
    vnf("core-2", 8, 16, { host: "core-amd" }),
    vnf("fra-1", 4, 8, { hosts: { site: "fra1" } }),
    vnf("vf-1", 2, 4, { interfaces: [{ type: "sriov", pf: "eno2" }] }),
    vnf("vf-2", 2, 4, { interfaces: [{ type: "sriov", pf: "eno2" }] }),
    ...Array.from({ length: 13 }, (_, i) => vnf(`fw-${i + 1}`, 1 + (i % 4) * 2, 2 + (i % 3) * 2)),
    ...extra,
  ];
  return {
    name: "fleet-test",
    vnfs: Object.fromEntries(vnfs),
    groups: { "pe-pair": { vnfs: ["pe-a", "pe-b"], "anti-affinity": "site" } },
  };
}
