/**
 * Static hugepages as the seed sets them (default_hugepagesz=1G hugepagesz=1G hugepages=32, 16 per
 * node on the two-node C240 M5), the hugetlbfs mount libvirt needs, and transparent hugepages.
 */
import type { HostFacts } from "../../facts/types.js";
import { kernelArgsFix, restartLibvirtFix } from "../fixes.js";
import { gib, PAGE_1G_KIB, PAGE_2M_KIB, pageSizeLabel, unreadable } from "../facts-view.js";
import type { DoctorCheck } from "../types.js";

/** The seed reserves 16 x 1G per node; doctor suggests the same when nothing is reserved. */
const SEED_PAGES_PER_NODE = 16;
/** Above this share of a node's memory, the host itself starves (page cache, QEMU, kernel). */
const MAX_NODE_SHARE = 0.9;

function wantedSize(facts: HostFacts): number {
  return facts.cpu.pages1G ? PAGE_1G_KIB : PAGE_2M_KIB;
}

function support(facts: HostFacts): DoctorCheck {
  const base = { id: "hugepages.1g-support", area: "hugepages", title: "1G page support (pdpe1gb)" } as const;
  if (facts.cpu.pages1G) return { ...base, status: "pass", evidence: "/proc/cpuinfo flags: pdpe1gb" };
  return {
    ...base,
    status: "warn",
    evidence:
      "/proc/cpuinfo flags lack pdpe1gb: only 2M hugepages are possible (the seed backs routers with 1G pages)",
    fix: "back routers with 2M pages (nfvhost plan does this on such hosts); in a VM, give it a CPU model with pdpe1gb (host-passthrough)",
  };
}

function suggestedPerNode(facts: HostFacts, sizeKiB: number): number {
  const smallest = Math.min(...facts.nodes.map((n) => n.memoryKiB).filter((m) => m > 0));
  const half = Number.isFinite(smallest) ? Math.floor(smallest / 2 / sizeKiB) : SEED_PAGES_PER_NODE;
  const seed = sizeKiB === PAGE_1G_KIB ? SEED_PAGES_PER_NODE : (SEED_PAGES_PER_NODE * PAGE_1G_KIB) / sizeKiB;
  return Math.max(1, Math.min(seed, half));
}

function nodeFile(node: number, sizeKiB: number): string {
  return `/sys/devices/system/node/node${node}/hugepages/hugepages-${sizeKiB}kB/nr_hugepages`;
}

function reservationFix(facts: HostFacts, sizeKiB: number): string {
  const per = suggestedPerNode(facts, sizeKiB);
  const label = pageSizeLabel(sizeKiB);
  const total = per * Math.max(1, facts.nodes.length);
  const now = facts.nodes.map((n) => `echo ${per} > ${nodeFile(n.id, sizeKiB)}`);
  return [
    `# now (${per} per node, as the seed's ${SEED_PAGES_PER_NODE} x 1G per node; size it to your routers):`,
    ...now,
    "# at every boot:",
    kernelArgsFix(facts, [`default_hugepagesz=${label}`, `hugepagesz=${label}`, `hugepages=${total}`]),
  ].join("\n");
}

function reserved(facts: HostFacts): DoctorCheck {
  const size = wantedSize(facts);
  const label = pageSizeLabel(size);
  const base = { id: "hugepages.reserved", area: "hugepages", title: `${label} hugepages reserved` } as const;
  const perNode = facts.nodes.map((n) => ({
    id: n.id,
    pool: n.hugepages[String(size)] ?? { total: 0, free: 0 },
  }));
  const total = perNode.reduce((s, n) => s + n.pool.total, 0);
  const free = perNode.reduce((s, n) => s + n.pool.free, 0);
  const split = perNode.map((n) => `node${n.id} ${n.pool.total}`).join(", ");
  const asked = facts.kernel.hugepages.find((h) => h.sizeKiB === size);
  const askedText = asked ? `; /proc/cmdline hugepagesz=${label} hugepages=${asked.count}` : "";
  const evidence = `${total} x ${label} reserved (${split}), ${free} free${askedText}`;
  if (total === 0) {
    return {
      ...base,
      status: "warn",
      evidence: `no ${label} hugepages reserved${askedText}: routers cannot get static hugepages`,
      fix: reservationFix(facts, size),
    };
  }
  if (asked && asked.count > total) {
    return {
      ...base,
      status: "warn",
      evidence: `${evidence}: the kernel got only ${total} of the ${asked.count} pages asked for (too little or fragmented memory at boot)`,
      fix: [
        `# ask at boot for what the kernel could place (or free memory / add DIMMs for ${asked.count}):`,
        kernelArgsFix(facts, [`hugepagesz=${label}`, `hugepages=${total}`]),
      ].join("\n"),
    };
  }
  return { ...base, status: "pass", evidence };
}

function perNode(facts: HostFacts): DoctorCheck[] {
  const size = wantedSize(facts);
  const label = pageSizeLabel(size);
  const pools = facts.nodes.map((n) => ({
    node: n,
    pool: n.hugepages[String(size)] ?? { total: 0, free: 0 },
  }));
  if (!pools.some((p) => p.pool.total > 0)) return [];
  return pools.map(({ node, pool }): DoctorCheck => {
    const base = {
      id: `hugepages.node${node.id}`,
      area: "hugepages",
      title: `${label} hugepages on NUMA node ${node.id}`,
    } as const;
    const usedKiB = pool.total * size;
    const share = node.memoryKiB > 0 ? usedKiB / node.memoryKiB : 0;
    const evidence = `${nodeFile(node.id, size)}: ${pool.total} x ${label} (${pool.free} free) = ${Math.round(share * 100)}% of ${gib(node.memoryKiB)}`;
    if (pool.total === 0) {
      return {
        ...base,
        status: "warn",
        evidence: `${evidence}: routers pinned to node ${node.id} cannot get ${label} pages locally`,
        fix: `echo ${suggestedPerNode(facts, size)} > ${nodeFile(node.id, size)}`,
      };
    }
    if (share > MAX_NODE_SHARE) {
      const keep = Math.floor((node.memoryKiB * MAX_NODE_SHARE) / size);
      return {
        ...base,
        status: "warn",
        evidence: `${evidence}: leaves under ${Math.round((1 - MAX_NODE_SHARE) * 100)}% of the node to the host`,
        fix: `echo ${keep} > ${nodeFile(node.id, size)}`,
      };
    }
    return { ...base, status: "pass", evidence };
  });
}

function defaultSize(facts: HostFacts): DoctorCheck {
  const base = { id: "hugepages.default-size", area: "hugepages", title: "default_hugepagesz" } as const;
  const d = facts.kernel.defaultHugepageKiB;
  const arg = facts.kernel.cmdline.split(/\s+/).find((a) => a.startsWith("default_hugepagesz="));
  const size = d === null ? "2M (kernel default)" : pageSizeLabel(d);
  const shown = `default hugepage size ${size} (/proc/meminfo Hugepagesize; /proc/cmdline ${arg ?? "has no default_hugepagesz="})`;
  if (!facts.cpu.pages1G)
    return { ...base, status: "pass", evidence: `${shown}; 2M is right without 1G support` };
  if (d === PAGE_1G_KIB) return { ...base, status: "pass", evidence: shown };
  return {
    ...base,
    status: "warn",
    evidence: `${shown}; /dev/hugepages then uses 2M pages and 1G pages need their own hugetlbfs mount (the seed sets default_hugepagesz=1G)`,
    fix: kernelArgsFix(facts, ["default_hugepagesz=1G"]),
  };
}

function mount(facts: HostFacts): DoctorCheck {
  const size = wantedSize(facts);
  const label = pageSizeLabel(size);
  const base = {
    id: "hugepages.mount",
    area: "hugepages",
    title: `hugetlbfs mounted with pagesize=${label}`,
  } as const;
  const dflt = facts.kernel.defaultHugepageKiB ?? PAGE_2M_KIB;
  const match = facts.hugetlbfsMounts.find((m) => (m.pageSizeKiB ?? dflt) === size);
  const all = facts.hugetlbfsMounts
    .map((m) => `${m.path} pagesize=${pageSizeLabel(m.pageSizeKiB ?? dflt)}`)
    .join(", ");
  if (match) return { ...base, status: "pass", evidence: `/proc/mounts: ${all}` };
  const missing = unreadable(facts, "proc/mounts");
  if (missing && facts.hugetlbfsMounts.length === 0)
    return { ...base, status: "info", evidence: `not visible: ${missing}` };
  const dir = `/dev/hugepages${label}`;
  return {
    ...base,
    status: "warn",
    evidence: `/proc/mounts: ${all || "no hugetlbfs mount"}; libvirt needs a hugetlbfs mount of the page size a domain asks for`,
    fix: [
      `mkdir -p ${dir}`,
      `mount -t hugetlbfs -o pagesize=${label} hugetlbfs ${dir}`,
      `echo 'hugetlbfs ${dir} hugetlbfs pagesize=${label} 0 0' >> /etc/fstab`,
      restartLibvirtFix(facts),
    ].join("\n"),
  };
}

function thp(facts: HostFacts): DoctorCheck {
  const base = { id: "memory.thp", area: "hugepages", title: "Transparent hugepages" } as const;
  const file = "/sys/kernel/mm/transparent_hugepage/enabled";
  const mode = facts.thp.enabled;
  if (mode === null) return { ...base, status: "info", evidence: `${file} not visible` };
  if (mode !== "always") return { ...base, status: "pass", evidence: `${file}: [${mode}]` };
  return {
    ...base,
    status: "info",
    evidence: `${file}: [always]; harmless for routers on static hugepages (seed), but khugepaged compaction can add latency jitter on the host`,
    fix: [
      `echo madvise > ${file}`,
      "# at every boot:",
      kernelArgsFix(facts, ["transparent_hugepage=madvise"]),
    ].join("\n"),
  };
}

export function hugepageChecks(facts: HostFacts): DoctorCheck[] {
  return [support(facts), reserved(facts), ...perNode(facts), defaultSize(facts), mount(facts), thp(facts)];
}
