/**
 * The planner: a pure function of (host facts, topology, VMs already running) that makes every
 * decision of the seed guide's sections 2, SR-IOV and KVM tuning, or explains precisely why the
 * topology cannot fit. No I/O, no clock, no randomness: the same input gives the same plan.
 * The algorithm is described in docs/plan.md.
 */
import type { HostFacts } from "../facts/types.js";
import { KINDS } from "../topology/kinds.js";
import type { InterfaceSpec, Topology, VnfSpec } from "../topology/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { CpuAlloc, NodePool, PoolCore } from "./cpuPool.js";
import { allocate, buildPools, cpuNeed, largestFit } from "./cpuPool.js";
import type { NodePages } from "./hugepages.js";
import { nodePages } from "./hugepages.js";
import type { HostModel } from "./hostModel.js";
import { buildHostModel, hugepageSysfsPath, pageSizeText } from "./hostModel.js";
import { planKernelArgs } from "./kernelArgs.js";
import type { PlacementItem } from "./placement.js";
import { placeJointly } from "./placement.js";
import type { PfState } from "./sriov.js";
import { MacRegistry, buildPfStates } from "./sriov.js";
import type {
  CpuRole,
  DeployedVnf,
  HugepageReservation,
  InterfacePlan,
  NetworkPlan,
  PfPlan,
  Plan,
  PlanProblem,
  PlanResource,
  PlanResult,
  VfPlan,
  VnfPlan,
} from "./types.js";

const GiB = 1024 * 1024;
/** Memory a node keeps for the host before the plan warns that hugepages crowd it out. */
const HOST_MEMORY_FLOOR_KiB = 2 * GiB;

interface VnfWork {
  spec: VnfSpec;
  index: number;
  pages: number;
  /** PF of each SR-IOV interface by interface index. */
  pfOf: Map<number, string>;
  candidates: number[];
  /** Problems that make placement pointless (unknown PF, conflicting nodes...). */
  blocked: boolean;
  existing: DeployedVnf | undefined;
}

class Problems {
  readonly host: PlanProblem[] = [];
  readonly byVnf = new Map<string, PlanProblem[]>();

  add(p: Omit<PlanProblem, "fixes"> & { fixes?: string[] }): void {
    const full: PlanProblem = { ...p, fixes: p.fixes ?? [] };
    if (p.vnf === null) this.host.push(full);
    else {
      const list = this.byVnf.get(p.vnf) ?? [];
      list.push(full);
      this.byVnf.set(p.vnf, list);
    }
  }

  has(vnf: string): boolean {
    return (this.byVnf.get(vnf)?.length ?? 0) > 0;
  }

  all(order: string[]): PlanProblem[] {
    return [...this.host, ...order.flatMap((n) => this.byVnf.get(n) ?? [])];
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function sizeText(kib: number): string {
  if (kib % GiB === 0) return `${kib / GiB}GiB`;
  if (kib % 1024 === 0) return `${kib / 1024}MiB`;
  return `${kib}KiB`;
}

function pfOfInterface(topology: Topology, iface: InterfaceSpec): { pf: string | null; network: string | null } {
  if (iface.type !== "sriov") return { pf: null, network: null };
  if (iface.pf) return { pf: iface.pf, network: null };
  const net = topology.networks.find((n) => n.name === iface.network);
  return { pf: net && net.type === "sriov-pool" ? net.pf : null, network: iface.network ?? null };
}

export function planDeployment(facts: HostFacts, topology: Topology, deployed: DeployedVnf[] = []): PlanResult {
  const problems = new Problems();
  const warnings: string[] = [];
  const model = buildHostModel(facts, topology.host.cpus);
  const sizeKiB = topology.host.hugepages.sizeKiB;
  const size = pageSizeText(sizeKiB);
  const fileOrder = topology.vnfs.map((v) => v.name);
  const deployedSorted = [...deployed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const deployedByName = new Map(deployedSorted.map((d) => [d.name, d]));

  checkPageSize(facts, sizeKiB, size, problems);
  const isolatedExplicit = checkExplicitIsolation(model, topology, problems, warnings);
  if (problems.host.length > 0) return { ok: false, problems: problems.all(fileOrder) };

  // --- CPUs held by VMs that already run: never moved, new VNFs go around them.
  const pools = buildPools(model, isolatedExplicit);
  const poolCoreOf = new Map<number, PoolCore>();
  for (const pool of pools.values()) for (const c of pool.cores) for (const t of c.threads) poolCoreOf.set(t, c);
  const inTopology = new Set(fileOrder);
  for (const d of deployedSorted) occupyDeployed(d, model, poolCoreOf, !inTopology.has(d.name), warnings);

  // --- Hugepages per node.
  const pagesByNode = nodePages(facts, model.nodeIds, sizeKiB, topology.host.hugepages.count, deployedSorted);
  const pagesFree = new Map<number, number>();
  for (const np of pagesByNode.values()) pagesFree.set(np.node, Math.max(0, np.capacity - np.inUse));

  // --- Per-VNF constraints that do not depend on the other VNFs.
  const referencedPfs = new Set<string>();
  const works: VnfWork[] = topology.vnfs.map((spec, index) =>
    analyseVnf(spec, index, topology, facts, model, deployedByName.get(spec.name), referencedPfs, problems, sizeKiB),
  );
  const pfStates = buildPfStates(facts, topology, referencedPfs, warnings);
  checkPfCounts(topology, facts, problems);

  // --- Joint placement of the new VNFs.
  const items: PlacementItem[] = works
    .filter((w) => !w.blocked && !w.existing)
    .map((w) => ({
      index: w.index,
      name: w.spec.name,
      vcpus: w.spec.vcpus,
      policy: w.spec.threadPolicy,
      pages: w.pages,
      candidates: w.candidates.filter((node) => {
        const alone = allocate(pools.get(node)!, w.spec.name, w.spec.vcpus, w.spec.threadPolicy, model.smt);
        return alone !== null && (pagesFree.get(node) ?? 0) >= w.pages;
      }),
    }));
  const placement = placeJointly(
    items.filter((it) => it.candidates.length > 0),
    pools,
    pagesFree,
    model.smt,
  );
  const unplaced = new Set([
    ...items.filter((it) => it.candidates.length === 0).map((it) => it.name),
    ...placement.unplaced.map((it) => it.name),
  ]);
  if (placement.exhausted && placement.unplaced.length > 0) {
    warnings.push(
      `placement search stopped after ${placement.steps} steps; a packing of every VNF may still exist`,
    );
  }
  for (const w of works) {
    if (unplaced.has(w.spec.name)) explainMisfit(w, topology, model, pools, pagesByNode, pagesFree, facts, problems);
  }

  // --- CPU partition.
  const isolated = isolatedExplicit ?? autoIsolation(pools);
  const housekeeping = [...model.online].filter((c) => !isolated.has(c)).sort((a, b) => a - b);
  const vcpuCpus = new Set<number>();
  for (const d of deployedSorted) for (const c of d.vcpuPins) vcpuCpus.add(c);
  for (const a of placement.allocs.values()) for (const c of a.vcpuPins) vcpuCpus.add(c);
  const housekeepingOf = (node: number): number[] => {
    const onNode = housekeeping.filter((c) => model.coreOfCpu.get(c)?.node === node && !vcpuCpus.has(c));
    return onNode.length > 0 ? onNode : housekeeping.filter((c) => !vcpuCpus.has(c));
  };

  // --- SR-IOV and MACs, in file order so the first VNF gets the first VF.
  const macs = new MacRegistry();
  for (const nic of facts.nics) if (nic.mac && !nic.physfn) macs.claim(nic.mac, `host NIC ${nic.name ?? nic.pci}`);
  for (const d of deployedSorted) {
    d.macs.forEach((m, i) => macs.claim(m, `${d.name} interfaces[${i}]`));
    for (const pci of d.vfs) holdVf(pfStates, pci, d.name);
  }
  for (const w of works) {
    if (w.existing) continue;
    w.spec.interfaces.forEach((iface, i) => {
      if (!iface.mac) return;
      const mac = iface.mac.toLowerCase();
      const prev = macs.claim(mac, `${w.spec.name} interfaces[${i}]`);
      if (prev !== null) {
        problems.add({
          vnf: w.spec.name,
          resource: "mac",
          node: null,
          need: null,
          have: null,
          message: `${w.spec.name} interfaces[${i}] MAC ${mac} is already used by ${prev}`,
          fixes: [`give ${w.spec.name} interfaces[${i}] another MAC, or omit mac to get a generated one`],
          path: ["vnfs", w.spec.name, "interfaces", i, "mac"],
        });
      }
    });
  }

  const vnfPlans: VnfPlan[] = [];
  for (const w of works) {
    const d = w.existing;
    const alloc = placement.allocs.get(w.spec.name);
    if (!d && !alloc) continue;
    const node = d ? d.node : alloc!.node;
    const vcpuPins = d ? [...d.vcpuPins] : alloc!.vcpuPins;
    const emulatorCpus = d
      ? keptEmulator(d, vcpuCpus, placement.allocs, housekeepingOf(node), warnings)
      : w.spec.threadPolicy === "isolate" && alloc!.ownSiblings.length > 0
        ? alloc!.ownSiblings
        : housekeepingOf(node);
    const interfaces = planInterfaces(w, node, topology, pfStates, macs, problems, d);
    const plan: VnfPlan = {
      name: w.spec.name,
      kind: w.spec.kind,
      image: w.spec.image,
      node,
      vcpus: vcpuPins.length,
      threadPolicy: w.spec.threadPolicy,
      vcpuPins,
      emulatorCpus,
      memory: {
        KiB: d ? d.memoryKiB : w.spec.memoryKiB,
        pageSizeKiB: d ? d.pageSizeKiB : sizeKiB,
        pages: Math.ceil((d ? d.memoryKiB : w.spec.memoryKiB) / (d ? d.pageSizeKiB : sizeKiB)),
        node,
        mode: "strict",
      },
      interfaces,
      ...(w.spec.day0 ? { day0: w.spec.day0 } : {}),
      lab: w.spec.lab || topology.lab,
      autostart: w.spec.autostart,
      existing: d !== undefined,
      ...(w.spec.boot ? { boot: w.spec.boot } : {}),
    };
    if (d && (d.vcpuPins.length !== w.spec.vcpus || d.memoryKiB !== w.spec.memoryKiB)) {
      warnings.push(
        `${w.spec.name} runs with ${plural(d.vcpuPins.length, "vCPU")} and ${sizeText(d.memoryKiB)}, the topology asks for ` +
          `${plural(w.spec.vcpus, "vCPU")} and ${sizeText(w.spec.memoryKiB)}; it is kept as it runs (redeploy it to change)`,
      );
    }
    vnfPlans.push(plan);
  }
  for (const d of deployedSorted) {
    if (!topology.vnfs.some((v) => v.name === d.name)) {
      warnings.push(`${d.name} runs on this host but is not in the topology; its CPUs, pages, VFs and MACs are kept`);
    }
  }
  checkVlans(works, pfStates, problems);

  const all = problems.all(fileOrder);
  if (all.length > 0) return { ok: false, problems: all };

  // --- Hugepage reservations and the boot count.
  const hugepages: HugepageReservation[] = model.nodeIds.map((node) => {
    const np = pagesByNode.get(node)!;
    const planned = vnfPlans.filter((v) => v.node === node && v.memory.pageSizeKiB === sizeKiB);
    const needed = planned.reduce((s, v) => s + v.memory.pages, 0);
    const newPages = planned.filter((v) => !v.existing).reduce((s, v) => s + v.memory.pages, 0);
    return {
      node,
      sizeKiB,
      needed,
      reserve: Math.max(np.total, np.inUse + newPages),
      current: np.total,
      sysfsPath: hugepageSysfsPath(node, sizeKiB),
    };
  });
  const count = topology.host.hugepages.count;
  const bootCount =
    count ?? Math.max(0, ...hugepages.map((h) => h.reserve)) * Math.max(1, model.nodeIds.length);
  for (const h of hugepages) {
    const np = pagesByNode.get(h.node)!;
    if (count !== undefined && np.bootShare !== null && h.reserve > np.bootShare) {
      const raise = count + (h.reserve - np.bootShare) * model.nodeIds.length;
      warnings.push(
        `hugepages=${count} gives node ${h.node} ${np.bootShare} x ${size} pages at boot but the plan holds ${h.reserve} there; ` +
          `raise host.hugepages.count to ${raise} or the VNFs lose their pages after a reboot`,
      );
    }
    const left = (facts.nodes.find((n) => n.id === h.node)?.memoryKiB ?? 0) - h.reserve * sizeKiB;
    if (h.reserve > 0 && left < HOST_MEMORY_FLOOR_KiB) {
      warnings.push(`node ${h.node} keeps only ${sizeText(Math.max(0, left))} outside hugepages for the host`);
    }
  }

  const nohz = topology.host.cpus.nohzFull;
  const isolatedList = [...isolated].sort((a, b) => a - b);
  const kernelArgs = planKernelArgs({
    cmdline: facts.kernel.cmdline,
    vendor: model.vendor,
    pageSizeKiB: sizeKiB,
    bootPages: bootCount,
    isolated: isolatedList,
    nohzFull: nohz,
  });

  const cpuRoles = buildCpuRoles(facts, model, isolated, vnfPlans, deployedSorted);
  const sriov: PfPlan[] = [...pfStates.values()].map((s) => pfPlan(s, topology, macs));
  const networks: NetworkPlan[] = topology.networks.map((n) => {
    if (n.type === "sriov-pool") {
      const st = pfStates.get(n.pf);
      return { name: n.name, type: "sriov-pool", pf: n.pf, vfPcis: st ? [...st.vfPcis] : [] };
    }
    if (n.type === "bridge") return { name: n.name, type: "bridge", bridge: n.bridge };
    return { name: n.name, type: "macvtap", dev: n.dev, mode: n.mode };
  });
  const mgmt = topology.host.management;
  const mgmtNic = mgmt ? facts.nics.find((n) => n.name === mgmt.interface) : undefined;

  const plan: Plan = {
    schema: 1,
    topology: topology.name,
    host: {
      cpu: {
        isolated: isolatedList,
        housekeeping,
        source: isolatedExplicit ? "explicit" : "auto",
        nohzFull: nohz ? isolatedList : [],
        rcuNocbs: nohz ? isolatedList : [],
      },
      cpuRoles,
      kernelArgs,
      hugepages,
      bootHugepages: { sizeKiB, count: bootCount },
      sysctl: { ...topology.host.sysctl },
      sriov,
      bridges: topology.host.bridges.map((b) => ({
        name: b.name,
        ports: [...b.ports],
        ...(b.mtu !== undefined ? { mtu: b.mtu } : {}),
        stp: b.stp,
      })),
      ...(mgmt
        ? {
            management: {
              interface: mgmt.interface,
              address: mgmt.address,
              ...(mgmt.gateway ? { gateway: mgmt.gateway } : {}),
              dns: [...mgmt.dns],
              ...(mgmtNic?.mac ? { mac: mgmtNic.mac } : {}),
            },
          }
        : {}),
      selinux: topology.host.selinux,
      firewalld: topology.host.firewalld,
      thp: topology.host.thp,
      ...(topology.host.localRepo ? { localRepo: { ...topology.host.localRepo } } : {}),
    },
    networks,
    vnfs: vnfPlans,
    warnings,
  };
  return { ok: true, plan };
}

// ---------------------------------------------------------------------------------------------

function checkPageSize(facts: HostFacts, sizeKiB: number, size: string, problems: Problems): void {
  const supported = new Set<number>();
  for (const n of facts.nodes) for (const k of Object.keys(n.hugepages)) supported.add(Number(k));
  if (!facts.cpu.pages1G) supported.delete(GiB);
  if (supported.has(sizeKiB)) return;
  const list = [...supported].sort((a, b) => a - b).map(pageSizeText);
  problems.add({
    vnf: null,
    resource: "hugepages",
    node: null,
    need: sizeKiB,
    have: null,
    message: `host.hugepages.size ${size} is not supported by this host (supported: ${list.join(", ") || "none"})`,
    fixes: list.length ? [`set host.hugepages.size to ${list[list.length - 1]}`] : [],
    path: ["host", "hugepages", "size"],
  });
}

function checkExplicitIsolation(
  model: HostModel,
  topology: Topology,
  problems: Problems,
  warnings: string[],
): Set<number> | null {
  const iso = topology.host.cpus.isolate;
  if (iso === "auto") return null;
  const set = new Set(iso);
  const path = ["host", "cpus", "isolate"];
  const unknown = iso.filter((c) => !model.online.has(c));
  if (unknown.length > 0) {
    problems.add({
      vnf: null,
      resource: "isolation",
      node: null,
      need: null,
      have: null,
      message: `host.cpus.isolate lists CPUs ${formatCpuList(unknown)}, which are not online CPUs of this host (online: ${formatCpuList(model.online)})`,
      fixes: [`remove ${formatCpuList(unknown)} from host.cpus.isolate`],
      path,
    });
  }
  if (set.has(0)) {
    problems.add({
      vnf: null,
      resource: "isolation",
      node: null,
      need: null,
      have: null,
      message: "host.cpus.isolate includes CPU 0, which the host must keep",
      fixes: ["remove 0 from host.cpus.isolate"],
      path,
    });
  }
  const want = model.housekeepingCoresPerNode;
  for (const node of model.nodeIds) {
    const cores = model.coresByNode.get(node) ?? [];
    const kept = cores.filter((c) => c.cpus.every((t) => !set.has(t))).length;
    if (cores.length > 0 && kept < want) {
      problems.add({
        vnf: null,
        resource: "isolation",
        node,
        need: want,
        have: kept,
        message: `host.cpus.isolate leaves node ${node} ${plural(kept, "whole core")} for the host, at least ${want} needed (host.cpus.housekeepingCoresPerNode)`,
        fixes: [`keep ${plural(want - kept, "more core")} of node ${node} out of host.cpus.isolate`],
        path,
      });
    }
  }
  const split = [...new Set(model.coreOfCpu.values())].filter(
    (c) => c.cpus.some((t) => set.has(t)) && c.cpus.some((t) => !set.has(t)),
  );
  if (split.length > 0) {
    // Honoured as written, but a vCPU on such a core shares it with host tasks on the sibling.
    warnings.push(
      `host.cpus.isolate splits ${plural(split.length, "core")} from their sibling threads ` +
        `(${split.map((c) => c.cpus.join("+")).join(", ")}); isolate siblings together`,
    );
  }
  return set;
}

function occupyDeployed(
  d: DeployedVnf,
  model: HostModel,
  poolCoreOf: Map<number, PoolCore>,
  foreign: boolean,
  warnings: string[],
): void {
  const outside: number[] = [];
  for (const cpu of d.vcpuPins) {
    const core = poolCoreOf.get(cpu);
    if (!core) {
      outside.push(cpu);
      continue;
    }
    const idx = core.threads.indexOf(cpu);
    core.threadOwner[idx] = d.name;
    if (core.owner === null && !core.shared) core.owner = d.name;
    else if (core.owner !== null && core.owner !== d.name) {
      core.owner = null;
      core.shared = true;
    }
  }
  for (const cpu of d.emulatorCpus) {
    const core = poolCoreOf.get(cpu);
    if (core && core.owner === d.name) core.threadOwner[core.threads.indexOf(cpu)] = d.name;
  }
  // A running VM's whole cores are its own: nothing new goes on their sibling threads.
  for (const core of new Set(d.vcpuPins.map((c) => poolCoreOf.get(c)).filter((c): c is PoolCore => !!c))) {
    if (core.owner === d.name) core.threadOwner = core.threadOwner.map(() => d.name);
  }
  // The plan re-pins emulators of the VMs it manages; a VM outside the topology keeps its
  // emulator CPUs, so no new vCPU may land there.
  if (foreign) {
    for (const cpu of d.emulatorCpus) {
      const core = poolCoreOf.get(cpu);
      if (core && core.owner !== d.name) core.blocked = true;
    }
  }
  if (outside.length > 0) {
    const offline = outside.filter((c) => !model.online.has(c));
    warnings.push(
      offline.length > 0
        ? `${d.name} is pinned to CPUs ${formatCpuList(offline)}, which are not online; it is kept as it runs`
        : `${d.name} runs on CPUs ${formatCpuList(outside)}, which the plan keeps for the host; it is kept as it runs`,
    );
  }
}

/**
 * A running VM keeps its vCPUs and memory; its emulator threads leave CPUs that new VNFs now
 * take (a live `virsh emulatorpin`, the VM keeps running).
 */
function keptEmulator(
  d: DeployedVnf,
  vcpuCpus: Set<number>,
  allocs: Map<string, CpuAlloc>,
  housekeeping: number[],
  warnings: string[],
): number[] {
  const takenByNew = new Set<number>();
  for (const a of allocs.values()) for (const c of [...a.vcpuPins, ...a.ownSiblings]) takenByNew.add(c);
  const own = new Set(d.vcpuPins);
  const before = [...d.emulatorCpus].sort((a, b) => a - b);
  let after = before.filter((c) => own.has(c) || (!vcpuCpus.has(c) && !takenByNew.has(c)));
  if (after.length === 0) after = housekeeping;
  if (after.join() !== before.join()) {
    warnings.push(
      `${d.name} keeps its vCPUs and memory; its emulator threads move from CPUs ${formatCpuList(before)} to ` +
        `${formatCpuList(after)} (virsh emulatorpin --live, no restart)`,
    );
  }
  return after;
}

function analyseVnf(
  spec: VnfSpec,
  index: number,
  topology: Topology,
  facts: HostFacts,
  model: HostModel,
  existing: DeployedVnf | undefined,
  referencedPfs: Set<string>,
  problems: Problems,
  sizeKiB: number,
): VnfWork {
  const work: VnfWork = {
    spec,
    index,
    pages: Math.ceil(spec.memoryKiB / sizeKiB),
    pfOf: new Map(),
    candidates: [],
    blocked: false,
    existing,
  };
  const name = spec.name;
  const pfNodes = new Map<string, number>();
  spec.interfaces.forEach((iface, i) => {
    if (iface.type !== "sriov") return;
    const { pf, network } = pfOfInterface(topology, iface);
    const path = ["vnfs", name, "interfaces", i];
    if (pf === null) {
      problems.add({
        vnf: name,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: `${name} interfaces[${i}] uses network ${network ?? "(none)"}, which is not an sriov-pool network of the topology`,
        fixes: [`add an sriov-pool network ${network ?? ""} to networks, or set pf: on the interface`.replace("  ", " ")],
        path,
      });
      work.blocked = true;
      return;
    }
    const nic = facts.nics.find((n) => n.name === pf && !n.physfn);
    if (!nic) {
      const pfs = facts.nics.filter((n) => n.sriov && n.name).map((n) => n.name!);
      problems.add({
        vnf: name,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: `${name} interfaces[${i}] uses PF ${pf}, which is not a network interface of this host`,
        fixes: pfs.length ? [`use one of the SR-IOV PFs: ${pfs.join(", ")}`] : ["this host has no SR-IOV PF"],
        path,
      });
      work.blocked = true;
      return;
    }
    if (!nic.sriov) {
      problems.add({
        vnf: name,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: `${name} interfaces[${i}] uses PF ${pf}, which has no SR-IOV capability`,
        fixes: [`use a macvtap or bridge interface on ${pf}, or a PF with SR-IOV`],
        path,
      });
      work.blocked = true;
      return;
    }
    referencedPfs.add(pf);
    work.pfOf.set(i, pf);
    if (nic.node >= 0) pfNodes.set(pf, nic.node);
  });
  const distinct = [...new Set(pfNodes.values())];
  if (distinct.length > 1) {
    problems.add({
      vnf: name,
      resource: "node",
      node: null,
      need: null,
      have: null,
      message: `${name} has SR-IOV interfaces on PFs of different NUMA nodes: ${[...pfNodes].map(([p, n]) => `${p} (node ${n})`).join(", ")}`,
      fixes: [`use PFs of one NUMA node for all SR-IOV interfaces of ${name}`],
      path: ["vnfs", name, "interfaces"],
    });
    work.blocked = true;
  }
  if (spec.node !== undefined && !model.nodeIds.includes(spec.node)) {
    problems.add({
      vnf: name,
      resource: "node",
      node: spec.node,
      need: null,
      have: null,
      message: `${name} is set to node ${spec.node} but the host has nodes ${formatCpuList(model.nodeIds)}`,
      fixes: [`set node to one of ${formatCpuList(model.nodeIds)}, or remove it`],
      path: ["vnfs", name, "node"],
    });
    work.blocked = true;
  } else if (spec.node !== undefined && distinct.length === 1 && distinct[0] !== spec.node) {
    const [pf, pfNode] = [...pfNodes][0]!;
    problems.add({
      vnf: name,
      resource: "node",
      node: spec.node,
      need: null,
      have: null,
      message: `${name} is set to node ${spec.node} but its PF ${pf} is on node ${pfNode}`,
      fixes: [`set node: ${pfNode}, or remove node to follow the PF`, `use a PF on node ${spec.node}`],
      path: ["vnfs", name, "node"],
    });
    work.blocked = true;
  }
  if (existing) return work;
  work.candidates =
    spec.node !== undefined ? [spec.node] : distinct.length === 1 ? [distinct[0]!] : [...model.nodeIds];
  return work;
}

function checkPfCounts(topology: Topology, facts: HostFacts, problems: Problems): void {
  topology.host.sriov.forEach((s, i) => {
    const nic = facts.nics.find((n) => n.name === s.pf && !n.physfn);
    const path = ["host", "sriov", i];
    if (!nic || !nic.sriov) {
      problems.add({
        vnf: null,
        resource: "pf",
        node: null,
        need: null,
        have: null,
        message: nic
          ? `host.sriov PF ${s.pf} has no SR-IOV capability`
          : `host.sriov PF ${s.pf} is not a network interface of this host`,
        fixes: [`remove ${s.pf} from host.sriov or name an SR-IOV PF`],
        path,
      });
      return;
    }
    if (s.vfs > nic.sriov.totalVfs) {
      problems.add({
        vnf: null,
        resource: "vf",
        node: nic.node >= 0 ? nic.node : null,
        need: s.vfs,
        have: nic.sriov.totalVfs,
        message: `host.sriov ${s.pf} asks for ${s.vfs} VFs, the PF supports at most ${nic.sriov.totalVfs} (sriov_totalvfs)`,
        fixes: [`set vfs to ${nic.sriov.totalVfs} or fewer`],
        path: [...path, "vfs"],
      });
    }
  });
}

function explainMisfit(
  w: VnfWork,
  topology: Topology,
  model: HostModel,
  pools: Map<number, NodePool>,
  pagesByNode: Map<number, NodePages>,
  pagesFree: Map<number, number>,
  facts: HostFacts,
  problems: Problems,
): void {
  const spec = w.spec;
  const name = spec.name;
  const size = pageSizeText(topology.host.hugepages.sizeKiB);
  const sizeKiB = topology.host.hugepages.sizeKiB;
  if (spec.threadPolicy === "require" && !model.smt) {
    problems.add({
      vnf: name,
      resource: "cpu",
      node: null,
      need: null,
      have: null,
      message: `${name} has thread policy require, which needs SMT sibling threads, and this host has SMT off`,
      fixes: [`set ${name} threadPolicy to prefer or isolate`, "enable Hyper-Threading/SMT in the BIOS"],
      path: ["vnfs", name, "threadPolicy"],
    });
    return;
  }
  // Report on the candidate node that is closest to fitting.
  const scored = w.candidates.map((node) => {
    const pool = pools.get(node)!;
    const cpu = cpuNeed(pool, spec.vcpus, spec.threadPolicy);
    const cpuFits = allocate(pool, name, spec.vcpus, spec.threadPolicy, model.smt) !== null;
    const left = pagesFree.get(node) ?? 0;
    const pagesShort = Math.max(0, w.pages - left);
    const cpuShort = cpuFits ? 0 : Math.max(1, cpu.need - cpu.have);
    return { node, pool, cpu, cpuFits, left, pagesShort, cpuShort };
  });
  scored.sort(
    (a, b) =>
      Number(!a.cpuFits) + Number(a.pagesShort > 0) - (Number(!b.cpuFits) + Number(b.pagesShort > 0)) ||
      a.cpuShort - b.cpuShort ||
      a.pagesShort - b.pagesShort ||
      a.node - b.node,
  );
  const best = scored[0];
  if (!best) return;
  const pinnedBy = w.pfOf.size > 0 ? [...new Set(w.pfOf.values())][0]! : null;
  const otherNodes = model.nodeIds.filter((n) => n !== best.node);
  const nodeFits = (node: number): boolean =>
    allocate(pools.get(node)!, name, spec.vcpus, spec.threadPolicy, model.smt) !== null &&
    (pagesFree.get(node) ?? 0) >= w.pages;
  const relocation = (): string[] => {
    const fitting = otherNodes.filter(nodeFits);
    if (fitting.length === 0) return [];
    if (spec.node !== undefined) return [`set ${name} node to ${fitting[0]} (it fits there)`];
    if (pinnedBy) {
      const pfs = facts.nics
        .filter((n) => n.sriov && n.name && !n.physfn && fitting.includes(n.node))
        .map((n) => `${n.name} (node ${n.node})`);
      return pfs.length ? [`use another PF for its SR-IOV interfaces: ${pfs.slice(0, 3).join(", ")}`] : [];
    }
    return [];
  };
  const where = w.candidates.length === 1 ? "" : ` (no node fits it; node ${best.node} comes closest)`;

  if (!best.cpuFits) {
    const fixes: string[] = [];
    const allowed = KINDS[spec.kind]?.vcpus ?? null;
    const fit = largestFit(best.pool, spec.threadPolicy, model.smt, allowed, spec.vcpus - 1);
    if (fit > 0) fixes.push(`reduce ${name} vcpus to ${fit}`);
    if (spec.threadPolicy === "isolate" && model.smt && allocate(best.pool, name, spec.vcpus, "prefer", model.smt)) {
      const perCore = Math.max(...best.pool.cores.map((c) => c.threads.length));
      fixes.push(
        `set ${name} threadPolicy to prefer: ${spec.vcpus} vCPUs then take ${Math.ceil(spec.vcpus / perCore)} cores`,
      );
    }
    const iso = topology.host.cpus.isolate;
    if (iso !== "auto") {
      const isoSet = new Set(iso);
      const spare = (model.coresByNode.get(best.node) ?? []).filter(
        (c) => !c.reserved && c.cpus.every((t) => !isoSet.has(t)),
      );
      const missing = best.cpu.unit === "cores" ? best.cpu.need - best.cpu.have : Math.ceil((best.cpu.need - best.cpu.have) / Math.max(1, spare[0]?.cpus.length ?? 1));
      if (missing > 0 && spare.length >= missing) {
        const add = spare.slice(0, missing).flatMap((c) => c.cpus);
        fixes.push(
          `isolate ${plural(missing, "more core")} on node ${best.node}: add ${formatCpuList(add)} to host.cpus.isolate`,
        );
      }
    } else if (model.housekeepingCoresPerNode > 1) {
      fixes.push(
        `lower host.cpus.housekeepingCoresPerNode to 1 (frees ${plural(model.housekeepingCoresPerNode - 1, "core")} per node)`,
      );
    }
    fixes.push(...relocation());
    const neighbours = [
      ...new Set(best.pool.cores.flatMap((c) => c.threadOwner.filter((o): o is string => o !== null))),
    ].sort();
    if (fit === 0 && neighbours.length > 0) {
      fixes.push(`free cores on node ${best.node} by shrinking or moving ${neighbours.join(", ")}`);
    }
    const unitText = best.cpu.unit === "cores" ? "free cores" : "free isolated CPUs";
    problems.add({
      vnf: name,
      resource: iso !== "auto" ? "isolation" : "cpu",
      node: best.node,
      need: best.cpu.need,
      have: best.cpu.have,
      message:
        `${name} needs ${best.cpu.need} ${unitText} on node ${best.node} for ${plural(spec.vcpus, "vCPU")} ` +
        `(thread policy ${spec.threadPolicy}), ${best.cpu.have} ${best.cpu.have === 1 ? "is" : "are"} left${iso !== "auto" ? " in host.cpus.isolate" : ""}${where}`,
      fixes,
      path: ["vnfs", name, "vcpus"],
    });
  }
  if (best.pagesShort > 0) {
    const np = pagesByNode.get(best.node)!;
    const taken = np.capacity - best.left;
    const fixes: string[] = [];
    const target = Math.max(np.total, taken + w.pages);
    const memoryLimited = target > np.memoryPages;
    if (!memoryLimited) {
      fixes.push(
        `reserve ${best.pagesShort} more ${size} pages on node ${best.node}: echo ${target} > ${hugepageSysfsPath(best.node, sizeKiB)}`,
      );
      const count = topology.host.hugepages.count;
      if (count !== undefined) {
        const raise = count + Math.max(0, target - (np.bootShare ?? 0)) * model.nodeIds.length;
        if (raise > count) fixes.push(`raise host.hugepages.count to ${raise}`);
      }
    }
    // When memory is the limit, leave the host its floor rather than suggesting every last page.
    const room = memoryLimited ? best.left * sizeKiB - HOST_MEMORY_FLOOR_KiB : best.left * sizeKiB;
    if (room >= sizeKiB) fixes.push(`reduce ${name} memory to ${sizeText(Math.floor(room / sizeKiB) * sizeKiB)}`);
    fixes.push(...relocation());
    const resource: PlanResource = memoryLimited ? "memory" : "hugepages";
    problems.add({
      vnf: name,
      resource,
      node: best.node,
      need: w.pages,
      have: best.left,
      message: memoryLimited
        ? `${name} needs ${w.pages} x ${size} hugepages on node ${best.node}, the node's memory holds only ${best.left} more${where}`
        : `${name} needs ${w.pages} x ${size} hugepages on node ${best.node}, ${best.left} ${best.left === 1 ? "is" : "are"} left of ${np.capacity} reserved${where}`,
      fixes,
      path: ["vnfs", name, "memory"],
    });
  }
  if (best.cpuFits && best.pagesShort === 0) {
    // Each resource fits alone but not together with the others the search placed.
    problems.add({
      vnf: name,
      resource: "cpu",
      node: best.node,
      need: best.cpu.need,
      have: best.cpu.have,
      message: `${name} does not fit next to the other VNFs: no assignment of NUMA nodes places every VNF`,
      fixes: [`reduce the vCPUs or memory of ${name} or of another VNF`],
      path: ["vnfs", name],
    });
  }
}

function holdVf(pfStates: Map<string, PfState>, pci: string, holder: string): void {
  for (const st of pfStates.values()) {
    const i = st.vfPcis.indexOf(pci);
    if (i >= 0) st.holder[i] = holder;
  }
}

function planInterfaces(
  w: VnfWork,
  node: number,
  topology: Topology,
  pfStates: Map<string, PfState>,
  macs: MacRegistry,
  problems: Problems,
  existing: DeployedVnf | undefined,
): InterfacePlan[] {
  const spec = w.spec;
  const kind = KINDS[spec.kind];
  const defaultModel = kind?.nicModels[0] ?? "virtio";
  const guestName = (i: number): string =>
    kind?.guestInterfacePrefix ? `${kind.guestInterfacePrefix}${i + 1}` : `eth${i}`;
  const out: InterfacePlan[] = [];
  let existingVf = 0;
  spec.interfaces.forEach((iface, i) => {
    const mac =
      existing?.macs[i]?.toLowerCase() ??
      iface.mac?.toLowerCase() ??
      macs.generate(`${topology.name}/${spec.name}/${i}`, `${spec.name} interfaces[${i}]`);
    const base = { index: i, guestName: guestName(i), mac };
    if (iface.type === "macvtap") {
      out.push({ ...base, model: iface.model ?? defaultModel, type: "macvtap", dev: iface.dev, mode: iface.mode });
      return;
    }
    if (iface.type === "bridge") {
      const net = iface.network ? topology.networks.find((n) => n.name === iface.network) : undefined;
      const bridge = iface.bridge ?? (net && net.type === "bridge" ? net.bridge : iface.network ?? "");
      out.push({
        ...base,
        model: iface.model ?? defaultModel,
        type: "bridge",
        bridge,
        ...(iface.network ? { network: iface.network } : {}),
      });
      return;
    }
    if (iface.type === "network") {
      out.push({ ...base, model: iface.model ?? defaultModel, type: "network", network: iface.network });
      return;
    }
    const pfName = w.pfOf.get(i);
    const st = pfName ? pfStates.get(pfName) : undefined;
    if (!st) return;
    let vfIndex = -1;
    if (existing) {
      const pci = existing.vfs[existingVf++];
      vfIndex = pci ? st.vfPcis.indexOf(pci) : -1;
    } else {
      vfIndex = st.holder.indexOf(null);
      if (vfIndex >= 0) st.holder[vfIndex] = spec.name;
    }
    if (vfIndex < 0) {
      if (existing) return;
      const others = [...pfStates.values()]
        .filter((o) => o !== st && (o.nic.node === node || o.nic.node < 0) && o.holder.includes(null))
        .map((o) => `${o.name} (${plural(o.holder.filter((h) => h === null).length, "free VF")})`);
      const fixes: string[] = [];
      if (st.numVfs < st.totalVfs) {
        fixes.push(`raise host.sriov ${st.name} vfs to ${st.numVfs + 1} or more (sriov_totalvfs ${st.totalVfs})`);
      }
      if (others.length) fixes.push(`use another PF on node ${node}: ${others.join(", ")}`);
      problems.add({
        vnf: spec.name,
        resource: "vf",
        node: st.nic.node >= 0 ? st.nic.node : null,
        need: 1,
        have: 0,
        message: `${spec.name} interfaces[${i}] needs a VF of ${st.name}, all ${plural(st.numVfs, "VF")} are taken`,
        fixes,
        path: ["vnfs", spec.name, "interfaces", i],
      });
      return;
    }
    const sr = iface as Extract<InterfaceSpec, { type: "sriov" }>;
    const vf: VfPlan = {
      pf: st.name,
      pfPci: st.nic.pci,
      index: vfIndex,
      pci: st.vfPcis[vfIndex]!,
      name: st.nic.sriov?.vfs.find((v) => v.index === vfIndex)?.name ?? null,
      mac,
      ...(sr.vlan !== undefined ? { vlan: sr.vlan } : {}),
      trust: sr.trust ?? st.spec?.trust ?? false,
      spoofchk: sr.spoofchk ?? st.spec?.spoofchk ?? true,
    };
    const model = defaultModel;
    if (sr.network) out.push({ ...base, model, type: "sriov-pool", network: sr.network, vf });
    else out.push({ ...base, model, type: "sriov-hostdev", vf });
  });
  return out;
}

function checkVlans(works: VnfWork[], pfStates: Map<string, PfState>, problems: Problems): void {
  for (const w of works) {
    w.spec.interfaces.forEach((iface, i) => {
      if (iface.type !== "sriov") return;
      const st = pfStates.get(w.pfOf.get(i) ?? "");
      if (!st) return;
      const vlans = new Set<number>([...(iface.vlan !== undefined ? [iface.vlan] : []), ...(iface.trunkVlans ?? [])]);
      const trusted = iface.trust ?? st.spec?.trust ?? false;
      const driver = st.nic.driver ?? "unknown";
      if (!trusted && st.limits.untrustedPerVf !== null && vlans.size > st.limits.untrustedPerVf) {
        problems.add({
          vnf: w.spec.name,
          resource: "vlan",
          node: st.nic.node >= 0 ? st.nic.node : null,
          need: vlans.size,
          have: st.limits.untrustedPerVf,
          message: `${w.spec.name} interfaces[${i}] uses ${vlans.size} VLANs on an untrusted VF of ${st.name} (${driver}: at most ${st.limits.untrustedPerVf} VLANs per untrusted VF)`,
          fixes: [`set trust: true on ${w.spec.name} interfaces[${i}]`, `use at most ${st.limits.untrustedPerVf} VLANs on it`],
          path: ["vnfs", w.spec.name, "interfaces", i],
        });
      }
      const added = [...vlans].filter((v) => !st.vlans.has(v));
      if (st.limits.perPf !== null && st.vlans.size + added.length > st.limits.perPf) {
        const left = st.limits.perPf - st.vlans.size;
        problems.add({
          vnf: w.spec.name,
          resource: "vlan",
          node: st.nic.node >= 0 ? st.nic.node : null,
          need: added.length,
          have: left,
          message: `${w.spec.name} interfaces[${i}] needs ${plural(added.length, "more VLAN")} on ${st.name} (${driver}: ${st.limits.perPf} VLANs per PF shared by all VFs), ${left} ${left === 1 ? "is" : "are"} left`,
          fixes: [`move some VLANs to a VF of another PF`],
          path: ["vnfs", w.spec.name, "interfaces", i],
        });
        return;
      }
      for (const v of added) st.vlans.add(v);
    });
  }
}

function autoIsolation(pools: Map<number, NodePool>): Set<number> {
  const out = new Set<number>();
  for (const pool of pools.values()) {
    for (const c of pool.cores) {
      if (c.owner !== null || c.threadOwner.some((o) => o !== null)) for (const t of c.core.cpus) out.add(t);
    }
  }
  return out;
}

function buildCpuRoles(
  facts: HostFacts,
  model: HostModel,
  isolated: Set<number>,
  vnfs: VnfPlan[],
  deployed: DeployedVnf[],
): Plan["host"]["cpuRoles"] {
  const roles = new Map<number, CpuRole>();
  const pinned = [
    ...vnfs.map((v) => ({ name: v.name, vcpuPins: v.vcpuPins, emulatorCpus: v.emulatorCpus })),
    ...deployed.filter((d) => !vnfs.some((v) => v.name === d.name)),
  ];
  for (const v of pinned) v.vcpuPins.forEach((cpu, i) => roles.set(cpu, { role: "vcpu", vnf: v.name, vcpu: i }));
  for (const v of pinned) {
    for (const cpu of v.emulatorCpus) {
      if (!roles.has(cpu) && isolated.has(cpu)) roles.set(cpu, { role: "emulator", vnf: v.name });
    }
  }
  return [...facts.cpus]
    .sort((a, b) => a.id - b.id)
    .map((c) => {
      const core = model.coreOfCpu.get(c.id);
      const role: CpuRole = !c.online
        ? { role: "offline" }
        : (roles.get(c.id) ?? (isolated.has(c.id) ? { role: "isolated-free" } : { role: "housekeeping" }));
      return { cpu: c.id, node: c.node, siblings: core ? [...core.cpus] : [...c.siblings], role };
    });
}

function pfPlan(st: PfState, topology: Topology, macs: MacRegistry): PfPlan {
  const vfs: VfPlan[] = st.vfPcis.map((pci, index) => {
    const mac =
      st.adminMacs[index] ?? macs.generate(`${topology.name}/${st.name}/vf${index}`, `${st.name} VF ${index}`);
    return {
      pf: st.name,
      pfPci: st.nic.pci,
      index,
      pci,
      name: st.nic.sriov?.vfs.find((v) => v.index === index)?.name ?? null,
      mac,
      trust: st.spec?.trust ?? false,
      spoofchk: st.spec?.spoofchk ?? true,
    };
  });
  return {
    pf: st.name,
    pci: st.nic.pci,
    driver: st.nic.driver,
    node: st.nic.node,
    numVfs: st.numVfs,
    totalVfs: st.totalVfs,
    ...(st.spec?.mtu !== undefined ? { mtu: st.spec.mtu } : {}),
    vfs,
    vlanLimit: st.limits.perPf,
    vlansUsed: st.vlans.size,
  };
}
