import { describe, expect, it } from "vitest";
import { buildHostFacts } from "../facts/shapes.js";
import { INFEASIBLE } from "../../test/fixtures/plan/infeasible.js";
import { planDeployment } from "./planner.js";
import { GiB } from "../../test/fixtures/plan/topology.js";
import type { PlanProblem } from "./types.js";

const MANY_MISFITS = Array.from({ length: 36 }, (_, i) => `r${i + 4}`);

/** Every infeasible case with the exact problems it must produce (message texts are a contract). */
const EXPECTED: Record<string, Omit<PlanProblem, "path">[]> = {
  "host interfaces that do not exist": [
    {
      vnf: null,
      resource: "netdev",
      node: null,
      need: null,
      have: null,
      message:
        "host.management.interface eno7x is not a network interface of this host (it has: eno1, eno2, eno5, enp59s16f1, enp59s16f3, enp59s16f5, enp59s16f7)",
      fixes: ["did you mean eno1?", "name an interface of this host (ip -br link lists them)"],
    },
    {
      vnf: null,
      resource: "netdev",
      node: null,
      need: null,
      have: null,
      message:
        "bridge br1 port eno55 is not a network interface of this host (it has: eno1, eno2, eno5, enp59s16f1, enp59s16f3, enp59s16f5, enp59s16f7)",
      fixes: ["did you mean eno5?", "name an interface of this host (ip -br link lists them)"],
    },
    {
      vnf: "csr1kv-1",
      resource: "netdev",
      node: null,
      need: null,
      have: null,
      message:
        "csr1kv-1 interfaces[0] macvtap dev eno9 is not a network interface of this host (it has: eno1, eno2, eno5, enp59s16f1, enp59s16f3, enp59s16f5, enp59s16f7)",
      fixes: [
        "did you mean eno1?",
        "name an interface of this host, or a bridge under host.bridges (nfvhost creates those)",
      ],
    },
    {
      vnf: "csr1kv-1",
      resource: "netdev",
      node: null,
      need: null,
      have: null,
      message:
        "csr1kv-1 interfaces[2] bridge virbr9 is not a network interface of this host (it has: eno1, eno2, eno5, enp59s16f1, enp59s16f3, enp59s16f5, enp59s16f7)",
      fixes: ["name an interface of this host, or a bridge under host.bridges (nfvhost creates those)"],
    },
  ],
  "too many vCPUs for any node": [
    {
      vnf: "big",
      resource: "cpu",
      node: 0,
      need: 32,
      have: 17,
      message:
        "big needs 32 free cores on node 0 for 32 vCPUs (thread policy isolate), 17 are left (no node fits it; node 0 comes closest)",
      fixes: ["reduce big vcpus to 17", "set big thread-policy to prefer: 32 vCPUs then take 16 cores"],
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
        "set a thread-policy to prefer: 4 vCPUs then take 2 cores",
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
      vnf: null,
      resource: "capacity",
      node: null,
      need: 2,
      have: 0,
      message: "2 of 2 VNFs do not fit this host: r, wide",
      fixes: [
        "lower host.cpus.housekeeping-cores-per-node to 1 (frees 1 core on node 0, at least 1 needed)",
        "r cannot fit whatever the capacity: see its own problem",
      ],
      misfits: {
        vnfs: ["r", "wide"],
        of: 2,
        shortfalls: [
          // r is left out: no capacity gives it SMT. wide is pinned to node 0, short by one core.
          {
            resource: "cpu",
            unit: "cores",
            nodes: [0],
            threadPolicies: ["isolate"],
            need: 15,
            free: 14,
            total: 14,
            short: 1,
          },
          {
            resource: "hugepages",
            unit: "pages",
            nodes: [0],
            sizeKiB: GiB,
            need: 2,
            free: 96,
            total: 96,
            short: 0,
          },
        ],
      },
    },
    {
      vnf: "r",
      resource: "cpu",
      node: null,
      need: null,
      have: null,
      message: "r has thread policy require, which needs SMT sibling threads, and this host has SMT off",
      fixes: ["set r thread-policy to prefer or isolate", "enable Hyper-Threading/SMT in the BIOS"],
    },
    {
      vnf: "wide",
      resource: "cpu",
      node: 0,
      need: 15,
      have: 14,
      message: "wide needs 15 free cores on node 0 for 15 vCPUs (thread policy isolate), 14 are left",
      fixes: [
        "for wide alone: reduce wide vcpus to 14",
        "for wide alone: lower host.cpus.housekeeping-cores-per-node to 1 (frees 1 core per node)",
      ],
    },
  ],
  "every VNF that does not fit is named": [
    {
      vnf: null,
      resource: "capacity",
      node: null,
      need: 10,
      have: 8,
      message: "2 of 10 VNFs do not fit this host: w8, w9",
      fixes: [
        "this host is too small for them: it has 56 cores for VNFs in all, at least 14 cores short; run some on another host or give them fewer vCPUs",
        "this host holds at most 8 VNFs like these (7 vCPUs, 4GiB, thread policy isolate) whatever hugepages it reserves (cores limit it); the other 2 need another host",
      ],
      misfits: {
        vnfs: ["w8", "w9"],
        of: 10,
        shortfalls: [
          {
            resource: "cpu",
            unit: "cores",
            nodes: [0, 1, 2, 3, 4, 5, 6, 7],
            threadPolicies: ["isolate"],
            need: 14,
            free: 0,
            total: 56,
            short: 14,
          },
          {
            resource: "hugepages",
            unit: "pages",
            nodes: [0, 1, 2, 3, 4, 5, 6, 7],
            sizeKiB: GiB,
            need: 8,
            free: 480,
            total: 512,
            short: 0,
          },
        ],
      },
    },
    {
      vnf: "w8",
      resource: "cpu",
      node: 0,
      need: 7,
      have: 0,
      message:
        "w8 needs 7 free cores on node 0 for 7 vCPUs (thread policy isolate), 0 are left (no node fits it; node 0 comes closest)",
      fixes: ["for w8 alone: free cores on node 0 by shrinking or moving w0"],
    },
    {
      vnf: "w9",
      resource: "cpu",
      node: 0,
      need: 7,
      have: 0,
      message:
        "w9 needs 7 free cores on node 0 for 7 vCPUs (thread policy isolate), 0 are left (no node fits it; node 0 comes closest)",
      fixes: ["for w9 alone: free cores on node 0 by shrinking or moving w0"],
    },
  ],
  "many identical routers": [
    {
      vnf: null,
      resource: "capacity",
      node: null,
      need: 40,
      have: 4,
      message: "36 of 40 VNFs do not fit this host: r4, r5, r6, r7, r8, r9, r10, r11 and 28 more",
      fixes: [
        "this host is too small for them: it has 34 cores for VNFs in all, at least 286 cores short; run some on another host or give them fewer vCPUs",
        "this host is too small for them: its memory holds at most 224 more 1G pages, they need 288, at least 64 short; run some on another host or give them less memory",
        "this host holds at most 4 VNFs like these (8 vCPUs, 8GiB, thread policy isolate) whatever hugepages it reserves (cores limit it); the other 36 need another host",
      ],
      misfits: {
        vnfs: MANY_MISFITS,
        of: 40,
        shortfalls: [
          // 36 x 8 cores against 1 free core per node; 36 x 8 pages against none.
          {
            resource: "cpu",
            unit: "cores",
            nodes: [0, 1],
            threadPolicies: ["isolate"],
            need: 288,
            free: 2,
            total: 34,
            short: 286,
          },
          {
            resource: "hugepages",
            unit: "pages",
            nodes: [0, 1],
            sizeKiB: GiB,
            need: 288,
            free: 0,
            total: 32,
            short: 288,
          },
        ],
      },
    },
    ...MANY_MISFITS.flatMap((n): Omit<PlanProblem, "path">[] => [
      {
        vnf: n,
        resource: "cpu",
        node: 0,
        need: 8,
        have: 1,
        message: `${n} needs 8 free cores on node 0 for 8 vCPUs (thread policy isolate), 1 is left (no node fits it; node 0 comes closest)`,
        fixes: [`for ${n} alone: reduce ${n} vcpus to 1`],
      },
      {
        vnf: n,
        resource: "hugepages",
        node: 0,
        need: 8,
        have: 0,
        message: `${n} needs 8 x 1G hugepages on node 0, 0 are left of 16 reserved (no node fits it; node 0 comes closest)`,
        // Relative only: "echo 24" and "count 48" would be right for one VNF, wrong for 36.
        fixes: [`for ${n} alone: reserve 8 more 1G pages on node 0`],
      },
    ]),
  ],
  "hugepages short for several VNFs": [
    {
      vnf: null,
      resource: "capacity",
      node: null,
      need: 7,
      have: 4,
      message: "3 of 7 VNFs do not fit this host: p4, p5, p6",
      fixes: [
        // 24 more pages, whole VNFs per node: 16 + 2 x 8 on node 0, 16 + 8 on node 1; the boot
        // count spreads evenly, so it must give every node 32.
        "reserve 1G pages for all of them: echo 32 > /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages; echo 24 > /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages",
        "raise host.hugepages.count to 64",
      ],
      misfits: {
        vnfs: ["p4", "p5", "p6"],
        of: 7,
        shortfalls: [
          {
            resource: "cpu",
            unit: "cores",
            nodes: [0, 1],
            threadPolicies: ["isolate"],
            need: 3,
            free: 30,
            total: 34,
            short: 0,
          },
          {
            resource: "hugepages",
            unit: "pages",
            nodes: [0, 1],
            sizeKiB: GiB,
            need: 24,
            free: 0,
            total: 32,
            short: 24,
          },
        ],
      },
    },
    ...["p4", "p5", "p6"].map((n): Omit<PlanProblem, "path"> => ({
      vnf: n,
      resource: "hugepages",
      node: 0,
      need: 8,
      have: 0,
      message: `${n} needs 8 x 1G hugepages on node 0, 0 are left of 16 reserved (no node fits it; node 0 comes closest)`,
      fixes: [`for ${n} alone: reserve 8 more 1G pages on node 0`],
    })),
  ],
  "VF pool exhausted for several VNFs": [
    {
      vnf: null,
      resource: "capacity",
      node: null,
      need: 6,
      have: 4,
      message: "2 of 6 VNFs do not fit this host: r5, r6",
      fixes: ["raise host.sriov eno2 vfs to 6 or more (sriov_totalvfs 64)"],
      misfits: {
        vnfs: ["r5", "r6"],
        of: 6,
        shortfalls: [
          { resource: "vf", unit: "VFs", nodes: [0], pf: "eno2", need: 2, free: 0, total: 4, short: 2 },
        ],
      },
    },
    ...["r5", "r6"].map((n): Omit<PlanProblem, "path"> => ({
      vnf: n,
      resource: "vf",
      node: 0,
      need: 1,
      have: 0,
      message: `${n} interfaces[0] needs a VF of eno2, all 4 VFs are taken`,
      fixes: [`for ${n} alone: raise host.sriov eno2 vfs to 5 or more (sriov_totalvfs 64)`],
    })),
  ],
  "explicit isolation too small for several VNFs": [
    {
      vnf: null,
      resource: "capacity",
      node: null,
      need: 3,
      have: 0,
      message: "3 of 3 VNFs do not fit this host: e0, e1, e2",
      // 3 x 4 cores = 12, 2 isolated: 10 more, not the 2 each VNF's own fix names.
      fixes: ["isolate at least 10 more cores on node 0: add 3-12,39-48 to host.cpus.isolate"],
      misfits: {
        vnfs: ["e0", "e1", "e2"],
        of: 3,
        shortfalls: [
          {
            resource: "isolation",
            unit: "cores",
            nodes: [0],
            threadPolicies: ["isolate"],
            need: 12,
            free: 2,
            total: 2,
            short: 10,
          },
          {
            resource: "hugepages",
            unit: "pages",
            nodes: [0],
            sizeKiB: GiB,
            need: 6,
            free: 128,
            total: 128,
            short: 0,
          },
        ],
      },
    },
    ...["e0", "e1", "e2"].map((n): Omit<PlanProblem, "path"> => ({
      vnf: n,
      resource: "isolation",
      node: 0,
      need: 4,
      have: 2,
      message: `${n} needs 4 free cores on node 0 for 4 vCPUs (thread policy isolate), 2 are left in host.cpus.isolate`,
      fixes: [
        `for ${n} alone: reduce ${n} vcpus to 2`,
        `for ${n} alone: set ${n} thread-policy to prefer: 4 vCPUs then take 2 cores`,
        `for ${n} alone: isolate 2 more cores on node 0: add 3-4,39-40 to host.cpus.isolate`,
      ],
    })),
  ],
};

describe("infeasible topologies", () => {
  it("points each missing host interface at its own field", () => {
    const c = INFEASIBLE.find((x) => x.name === "host interfaces that do not exist")!;
    const r = planDeployment(buildHostFacts(c.shape), c.topology);
    expect(r.ok ? [] : r.problems.map((p) => p.path)).toEqual([
      ["host", "management", "interface"],
      ["host", "bridges", 0, "ports", 0],
      ["vnfs", "csr1kv-1", "interfaces", 0, "dev"],
      ["vnfs", "csr1kv-1", "interfaces", 2, "bridge"],
    ]);
  });

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
