/**
 * Seeded generators for the benchmarks: fleets of real host shapes (src/facts/shapes.ts) with
 * random VNF mixes, as the same Topology objects `nfvhost plan` reads. Same seed -> same fleet,
 * so every figure in bench/results.json can be reproduced.
 */
import {
  AMD_EPYC_NPS4,
  buildHostFacts,
  SEED_C240M5,
  SINGLE_NODE_NO_1G,
  SMT_OFF,
} from "../src/facts/shapes.js";
import type { HostShape } from "../src/facts/shapes.js";
import type { HostFacts } from "../src/facts/types.js";
import type { InterfaceSpec, NetworkSpec, SriovPfSpec, Topology, VnfSpec } from "../src/topology/types.js";

/** mulberry32: tiny, fast and good enough to spread VNF mixes; not for anything secret. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

export function intBetween(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

const GiB = 1024 * 1024;

/**
 * The shapes ship with few VFs enabled (the seed's eno2 has 4); a fleet built for VNFs enables more,
 * so the bench raises every PF that has VFs to min(totalVfs, 16). The single-node box gets its 7,
 * which also exercises a PF without NUMA locality (node -1).
 */
function withVfs(shape: HostShape, wanted: number): HostShape {
  return {
    ...shape,
    nics: shape.nics.map((n) =>
      n.totalVfs && (n.numVfs ?? 0) > 0 ? { ...n, numVfs: Math.min(n.totalVfs, wanted) } : n,
    ),
  };
}

export const SINGLE_NODE_SRIOV: HostShape = {
  ...SINGLE_NODE_NO_1G,
  nics: SINGLE_NODE_NO_1G.nics.map((n) => (n.totalVfs ? { ...n, numVfs: n.totalVfs } : n)),
};

/** The host shapes issue 7 names: the reference host, AMD NPS4, SMT off, a small single-node box. */
export const BENCH_SHAPES: readonly HostShape[] = [
  withVfs(SEED_C240M5, 16),
  withVfs(AMD_EPYC_NPS4, 16),
  withVfs(SMT_OFF, 16),
  SINGLE_NODE_SRIOV,
];

export const VCPU_CHOICES = [1, 2, 4, 8] as const;

export interface VnfDraw {
  vcpus: number;
  memoryGiB: number;
  sriov: number;
  /** PF all its SR-IOV interfaces come from (a router's uplinks usually share one). */
  pf?: string;
}

export interface BenchCase {
  id: string;
  shape: HostShape;
  facts: HostFacts;
  topology: Topology;
}

/** PFs that have VFs now: the only ones a VNF's SR-IOV interface can take a VF from. */
export function sriovPfs(facts: HostFacts): { name: string; node: number; vfs: number }[] {
  return facts.nics
    .filter((n) => n.sriov && n.sriov.numVfs > 0 && n.name)
    .map((n) => ({ name: n.name!, node: n.node, vfs: n.sriov!.numVfs }));
}

export function pageSizeKiB(shape: HostShape): number {
  return shape.pages1G ? GiB : 2048;
}

export function poolName(pf: string): string {
  return `${pf}_pool`;
}

/** Builds the topology for one host: every PF with VFs becomes a libvirt hostdev pool. */
export function buildTopology(name: string, shape: HostShape, facts: HostFacts, draws: VnfDraw[]): Topology {
  const pfs = sriovPfs(facts);
  const sriov: SriovPfSpec[] = pfs.map((p) => ({ pf: p.name, vfs: p.vfs }));
  const networks: NetworkSpec[] = pfs.map((p) => ({
    name: poolName(p.name),
    type: "sriov-pool",
    pf: p.name,
  }));
  const vnfs: VnfSpec[] = draws.map((d, i) => {
    const interfaces: InterfaceSpec[] = [];
    for (let k = 0; d.pf && k < d.sriov; k++) interfaces.push({ type: "sriov", network: poolName(d.pf) });
    return {
      name: `nfvb-${String(i).padStart(3, "0")}`,
      kind: "generic",
      image: "/var/lib/libvirt/images/nfvb.qcow2",
      vcpus: d.vcpus,
      memoryKiB: d.memoryGiB * GiB,
      threadPolicy: "isolate",
      interfaces,
      lab: false,
      autostart: false,
    };
  });
  return {
    name,
    lab: false,
    host: {
      cpus: { isolate: "auto", nohzFull: false, housekeepingCoresPerNode: 1 },
      hugepages: { sizeKiB: pageSizeKiB(shape) },
      sysctl: {},
      sriov,
      bridges: [],
      selinux: "keep",
      firewalld: "keep",
      thp: "keep",
    },
    networks,
    vnfs,
  };
}

export function drawVnf(
  rng: () => number,
  pfs: readonly string[],
  vcpuChoices: readonly number[] = VCPU_CHOICES,
): VnfDraw {
  const vcpus = pick(rng, vcpuChoices);
  const memoryGiB = intBetween(rng, 4, 16);
  const sriov = pfs.length ? intBetween(rng, 0, 4) : 0;
  return sriov ? { vcpus, memoryGiB, sriov, pf: pick(rng, pfs) } : { vcpus, memoryGiB, sriov };
}

/** Whole cores a host can give to VNFs (one housekeeping core per node), for sizing mixes. */
export function usableCores(shape: HostShape): number {
  return shape.sockets * shape.nodesPerSocket * (shape.coresPerNode - 1);
}

/**
 * Placement-quality cases: each host gets a mix sized between 0.7x and 1.6x of its cores, so
 * some cases fit entirely and others force a choice of which VNFs to leave out.
 */
export function placementCases(seed: number, count: number): BenchCase[] {
  const rng = makeRng(seed);
  const cases: BenchCase[] = [];
  for (let i = 0; i < count; i++) {
    const shape = BENCH_SHAPES[i % BENCH_SHAPES.length]!;
    const facts = buildHostFacts(shape);
    const load = 0.7 + rng() * 0.9;
    const n = Math.max(2, Math.round((usableCores(shape) * load) / 3.75));
    const pfs = sriovPfs(facts).map((p) => p.name);
    const draws = Array.from({ length: n }, () => drawVnf(rng, pfs));
    const id = `q${String(i).padStart(2, "0")}-${shape.name}`;
    cases.push({ id, shape, facts, topology: buildTopology(id, shape, facts, draws) });
  }
  return cases;
}

/**
 * Scale fleet: `hosts` hosts with `perHost` VNFs each, drawn so that each host's mix fits with some
 * slack: cores (85%), VFs per PF, and cores on the PF's node for SR-IOV VNFs. The single-node box
 * cannot take 10 VNFs, so it is left out.
 */
export function scaleFleet(seed: number, hosts: number, perHost: number): BenchCase[] {
  const rng = makeRng(seed);
  const shapes = BENCH_SHAPES.filter((s) => usableCores(s) >= perHost * 2);
  const fleet: BenchCase[] = [];
  for (let h = 0; h < hosts; h++) {
    const shape = shapes[h % shapes.length]!;
    const facts = buildHostFacts(shape);
    const pfs = sriovPfs(facts);
    const smtOff = shape.threadsPerCore === 1;
    const coreBudget = Math.floor(usableCores(shape) * 0.85) - (smtOff ? perHost : 0);
    const nodeBudget = Math.floor((shape.coresPerNode - 1) * 0.85);
    const vfsLeft = new Map(pfs.map((p) => [p.name, p.vfs]));
    const nodeCores = new Map<number, number>();
    const draws: VnfDraw[] = [];
    let cores = 0;
    for (let v = 0; v < perHost; v++) {
      const left = perHost - v - 1;
      const choices = VCPU_CHOICES.filter(
        (c) => c <= shape.coresPerNode - 1 && cores + c + left <= coreBudget,
      );
      const d = drawVnf(
        rng,
        pfs.map((p) => p.name),
        choices.length ? choices : [1],
      );
      const pf = pfs.find((p) => p.name === d.pf);
      if (pf) {
        const onNode = (nodeCores.get(pf.node) ?? 0) + d.vcpus + (smtOff ? 1 : 0);
        const sriov = Math.min(d.sriov, vfsLeft.get(pf.name) ?? 0);
        if (sriov === 0 || onNode > nodeBudget) {
          delete d.pf;
          d.sriov = 0;
        } else {
          d.sriov = sriov;
          vfsLeft.set(pf.name, (vfsLeft.get(pf.name) ?? 0) - sriov);
          nodeCores.set(pf.node, onNode);
        }
      }
      cores += d.vcpus;
      draws.push(d);
    }
    const id = `s${String(h).padStart(4, "0")}-${shape.name}`;
    fleet.push({ id, shape, facts, topology: buildTopology(id, shape, facts, draws) });
  }
  return fleet;
}

/** An 8-node host with 16 cores per node (the exact-packing host). */
export const EIGHT_NODE_16C: HostShape = {
  ...AMD_EPYC_NPS4,
  name: "amd-nps4-16c",
  coresPerNode: 16,
  memoryPerNodeKiB: 96 * GiB,
  hugepagesPerNode: { "2048": 0, "1048576": 64 },
};

/** The seed host with four sibling threads offline (cores 9, 10, 11 and 24 keep one thread). */
export const SEED_OFFLINE_SIBLINGS: HostShape = {
  ...withVfs(SEED_C240M5, 6),
  name: "seed-offline-siblings",
  offlineCpus: [45, 46, 47, 60],
  isolatedCpus: [],
};

const POLICIES = ["isolate", "prefer", "require", "share"] as const;

/** vCPUs 1-16, odd more often than even (56 %), at most `max`. */
function drawVcpus(rng: () => number, max: number): number {
  const odd = rng() < 0.56;
  for (;;) {
    const v = intBetween(rng, 1, Math.max(1, Math.min(16, max)));
    if (v % 2 === (odd ? 1 : 0) || max < 2) return v;
  }
}

function vnfSpec(i: number, d: Partial<VnfSpec> & { vcpus: number; memoryKiB: number }): VnfSpec {
  return {
    name: `nfvb-${String(i).padStart(3, "0")}`,
    kind: "generic",
    image: "/var/lib/libvirt/images/nfvb.qcow2",
    threadPolicy: "isolate",
    interfaces: [],
    lab: false,
    autostart: false,
    ...d,
  };
}

/**
 * An exact packing: every node's usable cores split into `perNode` VNFs (isolate, or prefer with
 * both threads of its cores), shuffled; every VNF fits and only an exact packing places them all.
 */
export function exactPackingCase(id: string, seed: number, perNode: number): BenchCase {
  const rng = makeRng(seed);
  const shape = EIGHT_NODE_16C;
  const facts = buildHostFacts(shape);
  const usable = shape.coresPerNode - 1;
  const specs: { vcpus: number; policy: "isolate" | "prefer"; pages: number }[] = [];
  for (let n = 0; n < shape.sockets * shape.nodesPerSocket; n++) {
    const cuts = new Set<number>();
    while (cuts.size < perNode - 1) cuts.add(intBetween(rng, 1, usable - 1));
    const edges = [0, ...[...cuts].sort((a, b) => a - b), usable];
    for (let k = 1; k < edges.length; k++) {
      const cores = edges[k]! - edges[k - 1]!;
      const policy = rng() < 0.5 ? "isolate" : "prefer";
      specs.push({
        vcpus: policy === "isolate" ? cores : 2 * cores - (rng() < 0.5 ? 1 : 0),
        policy,
        pages: intBetween(rng, 2, Math.floor(64 / perNode) - 1),
      });
    }
  }
  for (let i = specs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [specs[i], specs[j]] = [specs[j]!, specs[i]!];
  }
  const topology = buildTopology(id, shape, facts, []);
  topology.host.sriov = [];
  topology.networks = [];
  topology.vnfs = specs.map((s, i) =>
    vnfSpec(i, { vcpus: s.vcpus, memoryKiB: s.pages * GiB, threadPolicy: s.policy }),
  );
  return { id, shape, facts, topology };
}

/**
 * The hard generator (issue 10): vCPUs 1-16 with odd sizes, all four thread policies, 1G and 2M
 * pages with a binding hugepages.count, pages already in use, hosts whose VFs bind (several PFs
 * on one node), offline siblings, node pins, and exact packings of 3-6 VNFs per node on 8 nodes.
 */
export function hardCases(seed: number, count: number): BenchCase[] {
  const rng = makeRng(seed);
  const shapes: HostShape[] = [
    withVfs(SEED_C240M5, 6),
    withVfs(AMD_EPYC_NPS4, 5),
    withVfs(SMT_OFF, 6),
    SEED_OFFLINE_SIBLINGS,
  ];
  const cases: BenchCase[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 5 === 4) {
      cases.push(exactPackingCase(`h${String(i).padStart(2, "0")}-exact`, seed + i, 3 + (i % 4)));
      continue;
    }
    const shape = shapes[i % shapes.length]!;
    const facts = buildHostFacts(shape);
    const nodes = facts.nodes.map((n) => n.id);
    const use2M = rng() < 0.33;
    const size = use2M || !shape.pages1G ? 2048 : GiB;
    // Pages already in use on one node (by something outside the topology).
    const busy = pick(rng, nodes);
    const pool = facts.nodes.find((n) => n.id === busy)!.hugepages[String(size)];
    if (pool && pool.total > 0) pool.free = Math.max(0, pool.total - intBetween(rng, 1, 4));
    const load = 0.8 + rng() * 0.7;
    const cores = usableCores(shape);
    const pfs = sriovPfs(facts).map((p) => p.name);
    const specs: VnfSpec[] = [];
    let demand = 0;
    for (let k = 0; demand < cores * load && k < 60; k++) {
      const policy = pick(rng, POLICIES);
      const vcpus = drawVcpus(rng, shape.threadsPerCore * (shape.coresPerNode - 1));
      const memoryKiB = intBetween(rng, 2, 12) * GiB;
      const sriov = pfs.length && rng() < 0.45 ? intBetween(rng, 1, 3) : 0;
      const pf = sriov ? pick(rng, pfs) : undefined;
      const interfaces: InterfaceSpec[] = [];
      for (let m = 0; pf && m < sriov; m++)
        interfaces.push({ type: "sriov", network: poolName(pf), vlan: intBetween(rng, 10, 40) });
      const pin = !pf && rng() < 0.1 ? { node: pick(rng, nodes) } : {};
      specs.push(vnfSpec(k, { vcpus, memoryKiB, threadPolicy: policy, interfaces, ...pin }));
      demand += policy === "isolate" ? vcpus : vcpus / shape.threadsPerCore;
    }
    const id = `h${String(i).padStart(2, "0")}-${shape.name}${size === 2048 ? "-2M" : ""}`;
    const topology = buildTopology(id, shape, facts, []);
    topology.vnfs = specs;
    // A boot reservation that binds: 60-100 % of what the nodes' memory could hold.
    const memPages = facts.nodes.reduce((a, n) => a + Math.floor(n.memoryKiB / size), 0);
    const wanted = specs.reduce((a, v) => a + Math.ceil(v.memoryKiB / size), 0);
    topology.host.hugepages = {
      sizeKiB: size,
      count: Math.min(memPages, Math.floor(wanted * (0.6 + rng() * 0.4))),
    };
    cases.push({ id, shape, facts, topology });
  }
  return cases;
}
