import { describe, expect, it } from "vitest";
import { buildHostFacts } from "../facts/shapes.js";
import { INFEASIBLE } from "../../test/fixtures/plan/infeasible.js";
import { planDeployment } from "./planner.js";
import type { PlanProblem } from "./types.js";

/** Every infeasible case with the exact problems it must produce (message texts are a contract). */
const EXPECTED: Record<string, Omit<PlanProblem, "path">[]> = {
  "too many vCPUs for any node": [
    {
      vnf: "big",
      resource: "cpu",
      node: 0,
      need: 32,
      have: 17,
      message:
        "big needs 32 free cores on node 0 for 32 vCPUs (thread policy isolate), 17 are left (no node fits it; node 0 comes closest)",
      fixes: ["reduce big vcpus to 17", "set big threadPolicy to prefer: 32 vCPUs then take 16 cores"],
    },
  ],
  "third router on the PF's node": [
    {
      vnf: "csr1kv-3",
      resource: "cpu",
      node: 0,
      need: 8,
      have: 1,
      message: "csr1kv-3 needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left",
      fixes: ["reduce csr1kv-3 vcpus to 1"],
    },
  ],
  "hugepages short on the PF's node": [
    {
      vnf: "csr1kv-2",
      resource: "hugepages",
      node: 0,
      need: 12,
      have: 8,
      message: "csr1kv-2 needs 12 x 1G hugepages on node 0, 8 are left of 16 reserved",
      fixes: [
        "reserve 4 more 1G pages on node 0: echo 20 > /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages",
        "raise host.hugepages.count to 40",
        "reduce csr1kv-2 memory to 8GiB",
      ],
    },
  ],
  "node memory too small": [
    {
      vnf: "fat",
      resource: "memory",
      node: 0,
      need: 20480,
      have: 16384,
      message: "fat needs 20480 x 2M hugepages on node 0, the node's memory holds only 16384 more",
      fixes: ["reduce fat memory to 30GiB"],
    },
  ],
  "VF pool exhausted": [
    {
      vnf: "r5",
      resource: "vf",
      node: 0,
      need: 1,
      have: 0,
      message: "r5 interfaces[0] needs a VF of eno2, all 4 VFs are taken",
      fixes: ["raise host.sriov eno2 vfs to 5 or more (sriov_totalvfs 64)"],
    },
  ],
  "PFs on two nodes": [
    {
      vnf: "split",
      resource: "node",
      node: null,
      need: null,
      have: null,
      message: "split has SR-IOV interfaces on PFs of different NUMA nodes: ens1f0 (node 2), ens5f0 (node 6)",
      fixes: ["use PFs of one NUMA node for all SR-IOV interfaces of split"],
    },
  ],
  "node against the PF": [
    {
      vnf: "pinned",
      resource: "node",
      node: 6,
      need: null,
      have: null,
      message: "pinned is set to node 6 but its PF ens1f0 is on node 2",
      fixes: ["set node: 2, or remove node to follow the PF", "use PF ens5f0 (node 6) instead of ens1f0"],
    },
  ],
  "unknown node": [
    {
      vnf: "far",
      resource: "node",
      node: 4,
      need: null,
      have: null,
      message: "far is set to node 4 but the host has nodes 0-1",
      fixes: ["set node to one of 0-1, or remove it"],
    },
  ],
  "unknown network, unknown PF, PF without SR-IOV": [
    {
      vnf: "a",
      resource: "pf",
      node: null,
      need: null,
      have: null,
      message: "a interfaces[0] uses network nope, which is not an sriov-pool network of the topology",
      fixes: ["add an sriov-pool network nope to networks, or set pf: on the interface"],
    },
    {
      vnf: "b",
      resource: "pf",
      node: null,
      need: null,
      have: null,
      message: "b interfaces[0] uses PF eno9, which is not a network interface of this host",
      fixes: ["use one of the SR-IOV PFs: eno1, eno2"],
    },
    {
      vnf: "c",
      resource: "pf",
      node: null,
      need: null,
      have: null,
      message: "c interfaces[0] uses PF eno5, which has no SR-IOV capability",
      fixes: ["use a macvtap or bridge interface on eno5, or a PF with SR-IOV"],
    },
  ],
  "PF without VFs": [
    {
      vnf: "novf",
      resource: "vf",
      node: 0,
      need: 1,
      have: 0,
      message: "novf interfaces[0] needs a VF of eno1, which has no VFs",
      fixes: ["add eno1 to host.sriov with vfs: 1 or more (sriov_totalvfs 64)"],
    },
  ],
  "more VFs than the PF supports": [
    {
      vnf: null,
      resource: "vf",
      node: 0,
      need: 80,
      have: 64,
      message: "host.sriov eno2 asks for 80 VFs, the PF supports at most 64 (sriov_totalvfs)",
      fixes: ["set vfs to 64 or fewer"],
    },
  ],
  "1G pages on a host without them": [
    {
      vnf: null,
      resource: "hugepages",
      node: null,
      need: 1048576,
      have: null,
      message: "host.hugepages.size 1G is not supported by this host (supported: 2M)",
      fixes: ["set host.hugepages.size to 2M"],
    },
  ],
  "explicit isolation with CPU 0 and a missing CPU": [
    {
      vnf: null,
      resource: "isolation",
      node: null,
      need: null,
      have: null,
      message: "host.cpus.isolate lists CPUs 99, which are not online CPUs of this host (online: 0-71)",
      fixes: ["remove 99 from host.cpus.isolate"],
    },
    {
      vnf: null,
      resource: "isolation",
      node: null,
      need: null,
      have: null,
      message: "host.cpus.isolate includes CPU 0, which the host must keep",
      fixes: ["remove 0 from host.cpus.isolate"],
    },
  ],
  "explicit isolation too small": [
    {
      vnf: "a",
      resource: "isolation",
      node: 0,
      need: 4,
      have: 2,
      message:
        "a needs 4 free cores on node 0 for 4 vCPUs (thread policy isolate), 2 are left in host.cpus.isolate",
      fixes: [
        "reduce a vcpus to 2",
        "set a threadPolicy to prefer: 4 vCPUs then take 2 cores",
        "isolate 2 more cores on node 0: add 3-4,39-40 to host.cpus.isolate",
      ],
    },
  ],
  "duplicate MAC": [
    {
      vnf: "dup",
      resource: "mac",
      node: null,
      need: null,
      have: null,
      message: "dup interfaces[0] MAC 52:54:00:36:95:f0 is already used by csr1kv-1 interfaces[0]",
      fixes: ["give dup interfaces[0] another MAC, or omit mac to get a generated one"],
    },
  ],
  "ixgbe VLAN budget": [
    {
      vnf: "v2",
      resource: "vlan",
      node: 0,
      need: 40,
      have: 24,
      message:
        "v2 interfaces[0] needs 40 more VLANs on eno2 (ixgbe: 64 VLANs per PF shared by all VFs), 24 are left",
      fixes: ["move some VLANs to a VF of another PF"],
    },
  ],
  "untrusted i40e VF with too many VLANs": [
    {
      vnf: "trunk",
      resource: "vlan",
      node: 2,
      need: 20,
      have: 16,
      message:
        "trunk interfaces[0] uses 20 VLANs on an untrusted VF of ens1f0 (i40e: at most 16 VLANs per untrusted VF)",
      fixes: ["set trust: true on trunk interfaces[0]", "use at most 16 VLANs on it"],
    },
  ],
  "require without SMT, and housekeeping cores": [
    {
      vnf: "r",
      resource: "cpu",
      node: null,
      need: null,
      have: null,
      message: "r has thread policy require, which needs SMT sibling threads, and this host has SMT off",
      fixes: ["set r threadPolicy to prefer or isolate", "enable Hyper-Threading/SMT in the BIOS"],
    },
    {
      vnf: "wide",
      resource: "cpu",
      node: 0,
      need: 15,
      have: 14,
      message: "wide needs 15 free cores on node 0 for 15 vCPUs (thread policy isolate), 14 are left",
      fixes: [
        "reduce wide vcpus to 14",
        "lower host.cpus.housekeepingCoresPerNode to 1 (frees 1 core per node)",
      ],
    },
  ],
  "every VNF that does not fit is named": [
    {
      vnf: "w8",
      resource: "cpu",
      node: 0,
      need: 7,
      have: 0,
      message:
        "w8 needs 7 free cores on node 0 for 7 vCPUs (thread policy isolate), 0 are left (no node fits it; node 0 comes closest)",
      fixes: ["free cores on node 0 by shrinking or moving w0"],
    },
    {
      vnf: "w9",
      resource: "cpu",
      node: 0,
      need: 7,
      have: 0,
      message:
        "w9 needs 7 free cores on node 0 for 7 vCPUs (thread policy isolate), 0 are left (no node fits it; node 0 comes closest)",
      fixes: ["free cores on node 0 by shrinking or moving w0"],
    },
  ],
};

describe("infeasible topologies", () => {
  it("covers every case", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(INFEASIBLE.map((c) => c.name).sort());
  });

  for (const c of INFEASIBLE) {
    it(c.name, () => {
      const r = planDeployment(buildHostFacts(c.shape), c.topology);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.problems.map(({ path: _path, ...p }) => p)).toEqual(EXPECTED[c.name]);
    });
  }
});
