/**
 * Synthetic host facts for real server shapes: used by planner tests, benchmarks, the UI demo
 * and (through writeSnapshotTree) to build sysfs trees that discovery must read back exactly.
 */
import { formatCpuList } from "../util/cpulist.js";
import type { CpuFact, HostFacts, NicFact, NodeFact, VfFact } from "./types.js";
import { naturalCompare } from "./reader.js";

export interface NicShape {
  name: string;
  pci: string;
  node: number;
  driver: string;
  vendor?: string;
  device?: string;
  mtu?: number;
  mac?: string;
  /** SR-IOV capability; omit for a NIC without it. */
  totalVfs?: number;
  numVfs?: number;
  /** Driver the VFs are bound to; "vfio-pci" VFs have no netdev. */
  vfDriver?: string;
  vfDevice?: string;
}

export interface HostShape {
  name: string;
  vendor: "intel" | "amd";
  sockets: number;
  nodesPerSocket: number;
  coresPerNode: number;
  threadsPerCore: 1 | 2;
  /**
   * AMD family 15h (Bulldozer, Piledriver): cores paired into compute units (adjacent ids) that the
   * kernel reports as thread siblings. Needs threadsPerCore 1: every core is its own core.
   */
  computeUnits?: boolean;
  /** "split": siblings n and n+cores (Intel default); "adjacent": 2n and 2n+1. */
  siblingNumbering: "split" | "adjacent";
  /** Core ids with gaps as Intel reports them (0-4,8-11,16-20,24-27 ...). */
  sparseCoreIds: boolean;
  memoryPerNodeKiB: number;
  pages1G: boolean;
  /** Pages reserved per node, keyed by page size in KiB. */
  hugepagesPerNode: Record<string, number>;
  /** Pages in use per node (free = total - used). */
  hugepagesUsedPerNode?: Record<string, number>;
  offlineCpus: number[];
  isolatedCpus: number[];
  extraCmdline: string;
  nics: NicShape[];
}

const SEED_SPARSE_CORES = [0, 1, 2, 3, 4, 8, 9, 10, 11, 16, 17, 18, 19, 20, 24, 25, 26, 27];

function coreIds(shape: HostShape, perSocket: number): number[] {
  if (!shape.sparseCoreIds) return Array.from({ length: perSocket }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; out.length < perSocket; i++) {
    out.push(i < SEED_SPARSE_CORES.length ? SEED_SPARSE_CORES[i]! : 32 + (i - SEED_SPARSE_CORES.length) * 2);
  }
  return out;
}

function macFor(seed: number): string {
  const b = [0x02, 0x00, (seed >> 24) & 0xff, (seed >> 16) & 0xff, (seed >> 8) & 0xff, seed & 0xff];
  return b.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

function vfPci(pfPci: string, index: number): string {
  // VF routing id = PF routing id + offset (0x80) + index * stride (2), as ixgbe/i40e report them,
  // so two PFs on one bus never share a VF address (the seed's eno2 3b:00.1 -> 3b:10.1, 10.3 ...).
  const [dom, bus, slotFn] = pfPci.split(":");
  const [pfSlot, pfFn] = slotFn!.split(".");
  const pfRid = (Number.parseInt(bus!, 16) << 8) | (Number.parseInt(pfSlot!, 16) << 3) | Number(pfFn);
  const rid = pfRid + 0x80 + index * 2;
  const vfBus = (rid >> 8) & 0xff;
  const devfn = rid & 0xff;
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `${dom}:${hex(vfBus)}:${hex(devfn >> 3)}.${devfn & 7}`;
}

export function buildHostFacts(shape: HostShape): HostFacts {
  const nodeCount = shape.sockets * shape.nodesPerSocket;
  const totalCores = nodeCount * shape.coresPerNode;
  const cpus: CpuFact[] = [];
  const perSocketCores = shape.nodesPerSocket * shape.coresPerNode;
  const ids = coreIds(shape, perSocketCores);
  for (let g = 0; g < totalCores; g++) {
    const socket = Math.floor(g / perSocketCores);
    const node = Math.floor(g / shape.coresPerNode);
    const core = ids[g % perSocketCores]!;
    const threadIds = Array.from({ length: shape.threadsPerCore }, (_, t) =>
      shape.siblingNumbering === "split" ? t * totalCores + g : g * shape.threadsPerCore + t,
    );
    for (const id of threadIds) {
      cpus.push({ id, socket, core, node, siblings: [...threadIds].sort((a, b) => a - b), online: true });
    }
  }
  cpus.sort((a, b) => a.id - b.id);
  if (shape.computeUnits) {
    for (const c of cpus) c.computeUnit = c.id % 2 === 0 ? [c.id, c.id + 1] : [c.id - 1, c.id];
  }
  const offline = new Set(shape.offlineCpus);
  for (const c of cpus) {
    if (offline.has(c.id)) c.online = false;
  }
  // The kernel drops offline CPUs from their siblings' thread_siblings_list.
  for (const c of cpus) c.siblings = c.siblings.filter((s) => s === c.id || !offline.has(s));

  const sizes = Object.keys(shape.hugepagesPerNode);
  const supported = new Set(["2048", ...(shape.pages1G ? ["1048576"] : []), ...sizes]);
  const nodes: NodeFact[] = Array.from({ length: nodeCount }, (_, n) => {
    const hugepages: NodeFact["hugepages"] = {};
    for (const size of [...supported].sort((a, b) => Number(a) - Number(b))) {
      const total = shape.hugepagesPerNode[size] ?? 0;
      const used = shape.hugepagesUsedPerNode?.[size] ?? 0;
      hugepages[size] = { total, free: Math.max(0, total - used) };
    }
    const distances = Array.from({ length: nodeCount }, (_, m) => {
      if (m === n) return 10;
      const sameSocket = Math.floor(m / shape.nodesPerSocket) === Math.floor(n / shape.nodesPerSocket);
      return sameSocket ? 12 : 32;
    });
    return {
      id: n,
      cpus: cpus.filter((c) => c.node === n).map((c) => c.id),
      memoryKiB: shape.memoryPerNodeKiB,
      distances:
        nodeCount === 2 && shape.nodesPerSocket === 1 ? [n === 0 ? 10 : 21, n === 0 ? 21 : 10] : distances,
      hugepages,
    };
  });

  const nics: NicFact[] = [];
  let macSeed = 0x100;
  for (const s of shape.nics) {
    const vendor = s.vendor ?? "0x8086";
    const pf: NicFact = {
      name: s.name,
      pci: s.pci,
      driver: s.driver,
      node: nodeCount === 1 ? -1 : s.node,
      mtu: s.mtu ?? 1500,
      mac: s.mac ?? macFor(macSeed++),
      vendor,
      device: s.device ?? "0x1563",
    };
    nics.push(pf);
    if (s.totalVfs !== undefined) {
      const vfs: VfFact[] = [];
      for (let i = 0; i < (s.numVfs ?? 0); i++) {
        const pci = vfPci(s.pci, i);
        const driver = s.vfDriver ?? "ixgbevf";
        const bound = driver !== "vfio-pci";
        const bus = Number.parseInt(s.pci.split(":")[1]!, 16);
        const [slotFn] = pci.split(":").slice(2);
        const [slot, fn] = slotFn!.split(".");
        const name = bound ? `enp${bus}s${Number.parseInt(slot!, 16)}f${fn}` : null;
        const mac = bound ? macFor(macSeed++) : null;
        const vf: VfFact = { index: i, pci, name, mac, driver, device: s.vfDevice ?? "0x1565" };
        vfs.push(vf);
        nics.push({
          name,
          pci,
          driver,
          node: pf.node,
          ...(bound ? { mtu: 1500, mac: mac! } : {}),
          vendor,
          device: vf.device!,
          physfn: s.pci,
        });
      }
      pf.sriov = { totalVfs: s.totalVfs, numVfs: s.numVfs ?? 0, vfs };
    }
  }
  nics.sort((a, b) => a.pci.localeCompare(b.pci));

  const hugeArgs = Object.entries(shape.hugepagesPerNode)
    .filter(([, n]) => n > 0)
    .map(([size, perNode]) => ({ sizeKiB: Number(size), count: perNode * nodeCount }));
  const hugeText = hugeArgs
    .map((h) => `hugepagesz=${h.sizeKiB === 1048576 ? "1G" : "2M"} hugepages=${h.count}`)
    .join(" ");
  const iommuArg = shape.vendor === "intel" ? "intel_iommu=on" : "amd_iommu=on";
  const iso = shape.isolatedCpus.length ? ` isolcpus=${formatCpuList(shape.isolatedCpus)}` : "";
  const cmdline =
    `BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro ${hugeText} ${iommuArg} iommu=pt${iso} ${shape.extraCmdline}`
      .replace(/\s+/g, " ")
      .trim();

  return {
    schema: 1,
    hostname: shape.name,
    root: `synthetic:${shape.name}`,
    cpus,
    nodes,
    nics,
    netdevs: ["lo", ...nics.flatMap((n) => (n.name ? [n.name] : []))].sort(naturalCompare),
    kernel: {
      cmdline,
      release: "6.1.0-synthetic",
      isolatedCpus: [...shape.isolatedCpus].sort((a, b) => a - b),
      isolcpusFlags: [],
      nohzFull: [],
      rcuNocbs: [],
      hugepages: hugeArgs,
      defaultHugepageKiB: hugeArgs[0]?.sizeKiB ?? null,
      iommu: { enabled: true, passthrough: true, evidence: [iommuArg, "iommu=pt"] },
    },
    cpu: {
      vendor: shape.vendor === "intel" ? "GenuineIntel" : "AuthenticAMD",
      model:
        shape.vendor === "intel"
          ? "Intel(R) Xeon(R) Synthetic"
          : shape.computeUnits
            ? "AMD Opteron(tm) Processor 6328"
            : "AMD EPYC Synthetic",
      virtualization: shape.vendor === "intel" ? "vmx" : "svm",
      pages1G: shape.pages1G,
      smt: shape.threadsPerCore > 1,
      family: shape.vendor === "intel" ? 6 : shape.computeUnits ? 21 : 23,
      nx: true,
    },
    os: { id: "debian", version: "12", pretty: "Debian GNU/Linux 12 (bookworm)", like: [] },
    selinux: { configured: null, current: null },
    firewalld: { installed: false, enabled: null, active: null, evidence: "synthetic host" },
    sysctl: {},
    thp: { enabled: "madvise", defrag: null },
    libvirt: null,
    qemu: null,
    devices: { kvm: true, vhostNet: true, vfio: true },
    hugetlbfsMounts: [],
    governors: {},
    cstates: [],
    dmi: { vendor: null, product: null },
    warnings: [],
  };
}

const GiB = 1024 * 1024;

/** The seed's Cisco C240 M5 (the same facts as examples/hosts/seed-c240m5, with fewer details). */
export const SEED_C240M5: HostShape = {
  name: "seed-c240m5",
  vendor: "intel",
  sockets: 2,
  nodesPerSocket: 1,
  coresPerNode: 18,
  threadsPerCore: 2,
  siblingNumbering: "split",
  sparseCoreIds: true,
  memoryPerNodeKiB: 128 * GiB,
  pages1G: true,
  hugepagesPerNode: { "2048": 0, "1048576": 16 },
  offlineCpus: [],
  isolatedCpus: [1, 2, 3, 4, 5, 6, 7, 8, 37, 38, 39, 40, 41, 42, 43, 44],
  extraCmdline: "default_hugepagesz=1G",
  nics: [
    { name: "eno1", pci: "0000:3b:00.0", node: 0, driver: "ixgbe", totalVfs: 64, numVfs: 0 },
    { name: "eno2", pci: "0000:3b:00.1", node: 0, driver: "ixgbe", totalVfs: 64, numVfs: 4, mtu: 9216 },
    { name: "eno5", pci: "0000:1d:00.0", node: 0, driver: "enic", vendor: "0x1137", device: "0x0043" },
  ],
};

/** AMD EPYC, 2 sockets, NPS4 (four NUMA nodes per socket), SMT with adjacent numbering. */
export const AMD_EPYC_NPS4: HostShape = {
  name: "amd-epyc-nps4",
  vendor: "amd",
  sockets: 2,
  nodesPerSocket: 4,
  coresPerNode: 8,
  threadsPerCore: 2,
  siblingNumbering: "adjacent",
  sparseCoreIds: false,
  memoryPerNodeKiB: 64 * GiB,
  pages1G: true,
  hugepagesPerNode: { "2048": 0, "1048576": 32 },
  offlineCpus: [],
  isolatedCpus: [],
  extraCmdline: "",
  nics: [
    {
      name: "ens1f0",
      pci: "0000:41:00.0",
      node: 2,
      driver: "i40e",
      device: "0x1572",
      totalVfs: 64,
      numVfs: 8,
      vfDriver: "iavf",
      vfDevice: "0x154c",
    },
    {
      name: "ens1f1",
      pci: "0000:41:00.1",
      node: 2,
      driver: "i40e",
      device: "0x1572",
      totalVfs: 64,
      numVfs: 8,
      vfDriver: "vfio-pci",
      vfDevice: "0x154c",
    },
    {
      name: "ens5f0",
      pci: "0000:c1:00.0",
      node: 6,
      driver: "ice",
      device: "0x159b",
      totalVfs: 128,
      numVfs: 8,
      vfDriver: "iavf",
      vfDevice: "0x1889",
    },
  ],
};

/** One socket, SMT disabled in the BIOS (as the seed's BIOS table recommends). */
export const SMT_OFF: HostShape = {
  name: "smt-off",
  vendor: "intel",
  sockets: 2,
  nodesPerSocket: 1,
  coresPerNode: 16,
  threadsPerCore: 1,
  siblingNumbering: "split",
  sparseCoreIds: true,
  memoryPerNodeKiB: 96 * GiB,
  pages1G: true,
  hugepagesPerNode: { "2048": 0, "1048576": 24 },
  offlineCpus: [],
  isolatedCpus: [],
  extraCmdline: "",
  nics: [{ name: "ens2f0", pci: "0000:5e:00.0", node: 0, driver: "ixgbe", totalVfs: 63, numVfs: 4 }],
};

/** Siblings numbered 2n/2n+1 with two CPUs taken offline. */
export const ADJACENT_OFFLINE: HostShape = {
  name: "adjacent-offline",
  vendor: "intel",
  sockets: 2,
  nodesPerSocket: 1,
  coresPerNode: 12,
  threadsPerCore: 2,
  siblingNumbering: "adjacent",
  sparseCoreIds: false,
  memoryPerNodeKiB: 64 * GiB,
  pages1G: true,
  hugepagesPerNode: { "2048": 0, "1048576": 16 },
  offlineCpus: [46, 47],
  isolatedCpus: [],
  extraCmdline: "",
  nics: [{ name: "ens3f0", pci: "0000:af:00.0", node: 1, driver: "ixgbe", totalVfs: 63, numVfs: 2 }],
};

/** A small single-node box without 1G page support (2M pages only). */
export const SINGLE_NODE_NO_1G: HostShape = {
  name: "single-node-no1g",
  vendor: "intel",
  sockets: 1,
  nodesPerSocket: 1,
  coresPerNode: 8,
  threadsPerCore: 2,
  siblingNumbering: "split",
  sparseCoreIds: false,
  memoryPerNodeKiB: 32 * GiB,
  pages1G: false,
  hugepagesPerNode: { "2048": 4096 },
  offlineCpus: [],
  isolatedCpus: [],
  extraCmdline: "",
  nics: [
    { name: "enp1s0", pci: "0000:01:00.0", node: 0, driver: "igb", device: "0x1521", totalVfs: 7, numVfs: 0 },
  ],
};

/**
 * Two AMD Opteron 6328 (family 15h, Piledriver) as util-linux's vmware_fpe dump shows them: four
 * nodes of four cores, cores paired in compute units the kernel reports as thread siblings.
 */
export const AMD_OPTERON_6328: HostShape = {
  name: "amd-opteron-6328",
  vendor: "amd",
  sockets: 2,
  nodesPerSocket: 2,
  coresPerNode: 4,
  threadsPerCore: 1,
  computeUnits: true,
  siblingNumbering: "split",
  sparseCoreIds: false,
  memoryPerNodeKiB: 32 * GiB,
  pages1G: true,
  hugepagesPerNode: { "2048": 0, "1048576": 8 },
  offlineCpus: [],
  isolatedCpus: [],
  extraCmdline: "",
  nics: [{ name: "ens1f0", pci: "0000:01:00.0", node: 0, driver: "ixgbe", totalVfs: 63, numVfs: 2 }],
};

export const HOST_SHAPES: readonly HostShape[] = [
  SEED_C240M5,
  AMD_EPYC_NPS4,
  SMT_OFF,
  ADJACENT_OFFLINE,
  SINGLE_NODE_NO_1G,
];
