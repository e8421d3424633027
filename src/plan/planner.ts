/**
 * The planner: a pure function of (host facts, topology, VMs already running) that makes every
 * decision of the seed guide's sections 2, SR-IOV and KVM tuning, or explains precisely why the
 * topology cannot fit. No I/O, no clock, no randomness: the same input gives the same plan.
 * The algorithm is described in docs/plan.md.
 */
import type { HostFacts } from "../facts/types.js";
import type { Topology } from "../topology/types.js";
import type { AnalyseContext, VnfWork } from "./checks.js";
import { analyseVnf, checkExplicitIsolation, checkPageSize, checkPfCounts } from "./checks.js";
import { checkHostInterfaces } from "./netdevs.js";
import { autoIsolation, buildCpuRoles, keptEmulator, occupyDeployed } from "./cpuPlan.js";
import type { CpuAlloc, NodePool, PoolCore } from "./cpuPool.js";
import { buildPools } from "./cpuPool.js";
import type { NodePages } from "./hugepages.js";
import { nodePages } from "./hugepages.js";
import type { HostModel } from "./hostModel.js";
import { buildHostModel, hugepageSysfsPath, pageSizeText } from "./hostModel.js";
import { checkVlans, holdVf, pfPlan, planInterfaces } from "./interfaces.js";
import { planKernelArgs } from "./kernelArgs.js";
import { resolvePfNames } from "./pfNames.js";
import { addMisfitSummary, vfShortages } from "./capacity.js";
import type { MisfitInput } from "./misfit.js";
import { explainMisfit, vfMisfit } from "./misfit.js";
import type { LeftOutContext } from "./leftOut.js";
import { leftOutReason, smallestChange } from "./leftOut.js";
import type { PlacementAnswer, PlacementProblem, SolveOptions } from "./solve/index.js";
import {
  DEFAULT_NODE_LIMIT,
  DEFAULT_TIME_LIMIT_S,
  checkAnswer,
  mayPlaceAll,
  solvePlacement,
} from "./solve/index.js";
import { hostProblem, realise } from "./solveHost.js";
import { HOST_MEMORY_FLOOR_KiB, Problems, plural, sizeText } from "./problems.js";
import type { PfState } from "./sriov.js";
import { MacRegistry, buildPfStates } from "./sriov.js";
import type {
  DeployedVnf,
  HugepageReservation,
  NetworkPlan,
  PfPlan,
  PlacementSummary,
  Plan,
  PlanResult,
  VnfPlan,
} from "./types.js";

export interface PlanOptions {
  /** Wall-clock guard of the exact placement stage, seconds (default DEFAULT_TIME_LIMIT_S). */
  timeLimitS?: number;
  /** Branch-and-bound nodes of the exact placement stage (default DEFAULT_NODE_LIMIT): its work limit. */
  nodeLimit?: number;
  /**
   * When one VNF is left out, look for the smallest change that makes every VNF fit (default
   * true; the re-plans that check a change turn it off).
   */
  smallestChange?: boolean;
}

/** What every stage of one plan reads, and where it reports: built once per planDeployment call. */
interface PlanInput {
  facts: HostFacts;
  /** The topology with PF names resolved against the host. */
  topology: Topology;
  options: PlanOptions;
  problems: Problems;
  warnings: string[];
  model: HostModel;
  sizeKiB: number;
  /** "1G" / "2M". */
  size: string;
  fileOrder: string[];
  /** VMs already running, by name order (they are never moved). */
  deployed: DeployedVnf[];
  /** As passed by the caller (the smallest-change re-plans get it unchanged). */
  deployedGiven: DeployedVnf[];
  deployedByName: Map<string, DeployedVnf>;
}

/** Hugepages per node: what the plan may hold there, and what is left after the VNFs placed. */
interface PagePlan {
  pagesByNode: Map<number, NodePages>;
  pagesFree: Map<number, number>;
}

/** The outcome of the joint placement of the new VNFs. */
interface Placed {
  /** New VNFs the placement considered (not blocked, not running). */
  fresh: VnfWork[];
  allocs: Map<string, CpuAlloc>;
  unplaced: Set<string>;
  summary: PlacementSummary;
}

/** Which CPUs are isolated for VNFs and which stay with the host. */
interface CpuPartition {
  /** The isolation list came from host.cpus.isolate, not from the plan. */
  explicit: boolean;
  isolated: Set<number>;
  housekeeping: number[];
  /** CPUs carrying vCPUs, of running and new VNFs. */
  vcpuCpus: Set<number>;
  /** Where a VNF's emulator threads go when it has no siblings of its own. */
  housekeepingOf(node: number): number[];
}

export function planDeployment(
  facts: HostFacts,
  written: Topology,
  deployed: DeployedVnf[] = [],
  options: PlanOptions = {},
): PlanResult {
  const input = readInput(facts, written, deployed, options);
  const isolatedExplicit = checkHostSettings(input);
  if (input.problems.host.length > 0) return { ok: false, problems: input.problems.all(input.fileOrder) };
  const pools = holdRunningCpus(input, isolatedExplicit);
  const pages = pagesPerNode(input);
  const { works, pfStates } = analyseVnfs(input);
  const placed = placeNewVnfs(input, works, pools, pages, pfStates, isolatedExplicit !== null);
  const cpus = partitionCpus(input, pools, isolatedExplicit, placed.allocs);
  const macs = claimMacs(input, works, pfStates);
  const vnfPlans = planVnfs(input, works, placed.allocs, cpus, pfStates, macs);
  warnRunningOutsideTopology(input);
  explainLeftOut(input, works, placed, pools, pages, pfStates);

  const all = input.problems.all(input.fileOrder);
  if (all.length > 0) return { ok: false, problems: all, placement: placed.summary };
  return { ok: true, plan: assemblePlan(input, cpus, pages, pfStates, vnfPlans, placed.summary) };
}

function readInput(
  facts: HostFacts,
  written: Topology,
  deployed: DeployedVnf[],
  options: PlanOptions,
): PlanInput {
  const topology = resolvePfNames(facts, written);
  const sizeKiB = topology.host.hugepages.sizeKiB;
  const deployedSorted = [...deployed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    facts,
    topology,
    options,
    problems: new Problems(),
    warnings: [],
    model: buildHostModel(facts, topology.host.cpus),
    sizeKiB,
    size: pageSizeText(sizeKiB),
    fileOrder: topology.vnfs.map((v) => v.name),
    deployed: deployedSorted,
    deployedGiven: deployed,
    deployedByName: new Map(deployedSorted.map((d) => [d.name, d])),
  };
}

/** Host-wide settings that make any plan pointless when wrong; the explicit isolation list, if any. */
function checkHostSettings(input: PlanInput): Set<number> | null {
  const { facts, sizeKiB, size, problems, model, topology, warnings } = input;
  checkPageSize(facts, sizeKiB, size, problems);
  return checkExplicitIsolation(model, topology, problems, warnings);
}

/** CPUs held by VMs that already run: never moved, new VNFs go around them. */
function holdRunningCpus(input: PlanInput, isolatedExplicit: Set<number> | null): Map<number, NodePool> {
  const { model, fileOrder, deployed, warnings } = input;
  const pools = buildPools(model, isolatedExplicit);
  const poolCoreOf = new Map<number, PoolCore>();
  for (const pool of pools.values())
    for (const c of pool.cores) for (const t of c.threads) poolCoreOf.set(t, c);
  const inTopology = new Set(fileOrder);
  for (const d of deployed) occupyDeployed(d, model, poolCoreOf, !inTopology.has(d.name), warnings);
  return pools;
}

function pagesPerNode(input: PlanInput): PagePlan {
  const { facts, model, sizeKiB, topology, deployed } = input;
  const pagesByNode = nodePages(facts, model.nodeIds, sizeKiB, topology.host.hugepages.count, deployed);
  const pagesFree = new Map<number, number>();
  for (const np of pagesByNode.values()) pagesFree.set(np.node, Math.max(0, np.capacity - np.inUse));
  return { pagesByNode, pagesFree };
}

/** Per-VNF constraints that do not depend on the other VNFs, and the PFs they use. */
function analyseVnfs(input: PlanInput): { works: VnfWork[]; pfStates: Map<string, PfState> } {
  const { topology, facts, problems, warnings } = input;
  const ctx: AnalyseContext = {
    topology,
    facts,
    model: input.model,
    sizeKiB: input.sizeKiB,
    deployedByName: input.deployedByName,
    referencedPfs: new Set<string>(),
    problems,
  };
  const works = topology.vnfs.map((spec, index) => analyseVnf(spec, index, ctx));
  const pfStates = buildPfStates(facts, topology, ctx.referencedPfs, warnings);
  checkPfCounts(topology, facts, problems);
  checkHostInterfaces(topology, facts, problems);
  return { works, pfStates };
}

/** Joint placement of the new VNFs: one optimisation over cores, pages and VFs together. */
function placeNewVnfs(
  input: PlanInput,
  works: VnfWork[],
  pools: Map<number, NodePool>,
  pages: PagePlan,
  pfStates: Map<string, PfState>,
  explicit: boolean,
): Placed {
  const { options, model, sizeKiB, deployed, warnings } = input;
  for (const d of deployed) for (const pci of d.vfs) holdVf(pfStates, pci, d.name);
  const fresh = works.filter((w) => !w.blocked && !w.existing);
  const limits = {
    timeLimitS: options.timeLimitS ?? DEFAULT_TIME_LIMIT_S,
    nodeLimit: options.nodeLimit ?? DEFAULT_NODE_LIMIT,
  };
  const problem = hostProblem(fresh, pools, pages.pagesFree, sizeKiB, pfStates);
  const answer =
    (explicit ? autoAnswerWithin(input, fresh, problem, pages, pfStates, limits) : null) ??
    solvePlacement(problem, limits);
  const allocs = realise(answer.placements, fresh, pools, model.smt);
  for (const p of answer.placements) {
    const w = fresh.find((x) => x.spec.name === p.vnf)!;
    pages.pagesFree.set(p.node, (pages.pagesFree.get(p.node) ?? 0) - w.pages);
  }
  const unplaced = new Set(answer.unplaced);
  const summary: PlacementSummary = {
    placed: answer.placements.length,
    of: fresh.length,
    proven: answer.proven,
    bound: answer.bound,
    method: answer.method,
    ...(answer.stoppedBy ? { stoppedBy: answer.stoppedBy } : {}),
    unplaced: fresh.filter((w) => unplaced.has(w.spec.name)).map((w) => w.spec.name),
  };
  if (!answer.proven) {
    warnings.push(
      answer.stoppedBy === "time"
        ? `placement stopped at the time limit (${options.timeLimitS ?? DEFAULT_TIME_LIMIT_S} s): placed ${answer.placements.length}, ` +
            `at most ${answer.bound} possible; raise --time-limit to search further`
        : `placement stopped at its work limit (${options.nodeLimit ?? DEFAULT_NODE_LIMIT} search nodes) before proving the optimum: placed ${answer.placements.length}, ` +
            `at most ${answer.bound} possible`,
    );
  }
  return { fresh, allocs, unplaced, summary };
}

/**
 * With an explicit host.cpus.isolate, the placement `isolate: auto` would choose, when it places
 * every VNF and fits the listed CPUs. Writing the auto plan's isolcpus into the file (to freeze
 * the kernel command line, which takes a reboot to change) must not move a VM to another node:
 * the solver breaks ties between equally good placements by how much room each node has left,
 * so solving straight on the listed CPUs alone (which leave no room) may pick another one. Null
 * when the auto placement leaves a VNF out or needs CPUs the list does not isolate: the solver
 * then works on the listed CPUs only.
 */
function autoAnswerWithin(
  input: PlanInput,
  fresh: VnfWork[],
  explicitProblem: PlacementProblem,
  pages: PagePlan,
  pfStates: Map<string, PfState>,
  limits: SolveOptions,
): PlacementAnswer | null {
  // Cheap bound first: a list too small for every VNF can never take the auto placement, and the
  // auto solve of an overloaded host may run the exact stage, which is not worth paying twice.
  if (fresh.length === 0 || !mayPlaceAll(explicitProblem)) return null;
  // Running VMs' warnings were given when the listed pools were built; this copy is a probe.
  const autoPools = holdRunningCpus({ ...input, warnings: [] }, null);
  const auto = solvePlacement(
    hostProblem(fresh, autoPools, pages.pagesFree, input.sizeKiB, pfStates),
    limits,
  );
  if (auto.unplaced.length > 0) return null;
  return checkAnswer(explicitProblem, auto.placements).length === 0 ? auto : null;
}

function partitionCpus(
  input: PlanInput,
  pools: Map<number, NodePool>,
  isolatedExplicit: Set<number> | null,
  allocs: Map<string, CpuAlloc>,
): CpuPartition {
  const { model, deployed } = input;
  const isolated = isolatedExplicit ?? autoIsolation(pools);
  const housekeeping = [...model.online].filter((c) => !isolated.has(c)).sort((a, b) => a - b);
  const vcpuCpus = new Set<number>();
  for (const d of deployed) for (const c of d.vcpuPins) vcpuCpus.add(c);
  for (const a of allocs.values()) for (const c of a.vcpuPins) vcpuCpus.add(c);
  const housekeepingOf = (node: number): number[] => {
    const onNode = housekeeping.filter((c) => model.coreOfCpu.get(c)?.node === node && !vcpuCpus.has(c));
    return onNode.length > 0 ? onNode : housekeeping.filter((c) => !vcpuCpus.has(c));
  };
  return { explicit: isolatedExplicit !== null, isolated, housekeeping, vcpuCpus, housekeepingOf };
}

/**
 * MACs unique across the host: host NICs and running VMs first, then the ones the file gives
 * (a clash is a problem), then the VFs' administrative MACs (NetworkManager sets them at boot):
 * given, seen on the host, or generated.
 */
function claimMacs(input: PlanInput, works: VnfWork[], pfStates: Map<string, PfState>): MacRegistry {
  const { facts, deployed, problems, topology } = input;
  const macs = new MacRegistry();
  for (const nic of facts.nics)
    if (nic.mac && !nic.physfn) macs.claim(nic.mac, `host NIC ${nic.name ?? nic.pci}`);
  for (const d of deployed) d.macs.forEach((m, i) => macs.claim(m, `${d.name} interfaces[${i}]`));
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
  for (const st of pfStates.values()) {
    st.adminMacs = st.adminMacs.map((m, i) => {
      if (m === null) return macs.generate(`${topology.name}/${st.name}/vf${i}`, `${st.name} VF ${i}`);
      macs.claim(m, `${st.name} VF ${i}`);
      return m;
    });
  }
  return macs;
}

/** Each VNF that runs or was placed: pins, emulator, memory, interfaces (in file order: VFs too). */
function planVnfs(
  input: PlanInput,
  works: VnfWork[],
  allocs: Map<string, CpuAlloc>,
  cpus: CpuPartition,
  pfStates: Map<string, PfState>,
  macs: MacRegistry,
): VnfPlan[] {
  const { model, topology, problems, warnings, sizeKiB } = input;
  const vnfPlans: VnfPlan[] = [];
  for (const w of works) {
    const d = w.existing;
    const alloc = allocs.get(w.spec.name);
    if (!d && !alloc) continue;
    const node = d ? d.node : alloc!.node;
    const vcpuPins = d ? [...d.vcpuPins] : alloc!.vcpuPins;
    const emulatorCpus = d
      ? keptEmulator(d, model, cpus.isolated, cpus.vcpuCpus, cpus.housekeepingOf(node), warnings)
      : w.spec.threadPolicy === "isolate" && alloc!.ownSiblings.length > 0
        ? alloc!.ownSiblings
        : cpus.housekeepingOf(node);
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
      ...(w.spec.cpu ? { cpu: w.spec.cpu } : {}),
      ...(w.spec.overlay ? { overlay: w.spec.overlay } : {}),
      ...(w.spec.version !== undefined ? { version: w.spec.version } : {}),
    };
    if (d && (d.vcpuPins.length !== w.spec.vcpus || d.memoryKiB !== w.spec.memoryKiB)) {
      warnings.push(
        `${w.spec.name} runs with ${plural(d.vcpuPins.length, "vCPU")} and ${sizeText(d.memoryKiB)}, the topology asks for ` +
          `${plural(w.spec.vcpus, "vCPU")} and ${sizeText(w.spec.memoryKiB)}; it is kept as it runs (redeploy it to change)`,
      );
    }
    if (w.spec.cpu && w.spec.cpu.mode !== "host-passthrough") {
      warnings.push(
        `${w.spec.name} runs with cpu-mode ${w.spec.cpu.mode}${w.spec.cpu.mode === "custom" ? ` (${w.spec.cpu.model})` : ""}: ` +
          "the guest sees fewer CPU features than host-passthrough gives (AVX-512, invtsc, the host's cache layout), " +
          "which costs data-plane throughput; it buys live migration between unlike hosts (nfvhost explain cpu-mode)",
      );
    }
    vnfPlans.push(plan);
  }
  return vnfPlans;
}

function warnRunningOutsideTopology(input: PlanInput): void {
  for (const d of input.deployed) {
    if (!input.topology.vnfs.some((v) => v.name === d.name)) {
      input.warnings.push(
        `${d.name} runs on this host but is not in the topology; its CPUs, pages, VFs and MACs are kept`,
      );
    }
  }
}

/**
 * Why each VNF left out does not fit. Explained after the VFs are handed out, so a VF shortage of
 * a placed VNF counts as "another VNF that does not fit" for the per-VNF fixes. Adds to the
 * placement summary what binds each one and, for a lone one, the smallest change that fits it.
 */
function explainLeftOut(
  input: PlanInput,
  works: VnfWork[],
  placed: Placed,
  pools: Map<number, NodePool>,
  pages: PagePlan,
  pfStates: Map<string, PfState>,
): void {
  const { topology, model, facts, problems, fileOrder, options } = input;
  const { unplaced } = placed;
  const { pagesByNode, pagesFree } = pages;
  // VLAN budgets of the VNFs that fit first, so a VNF left out is the one told it is short.
  checkVlans(
    works.filter((w) => !unplaced.has(w.spec.name)),
    pfStates,
    problems,
  );
  // VNFs left out for want of VFs or VLANs get the problem a VF handout would have raised.
  const missingVfs = new Set(
    works
      .filter((w) => unplaced.has(w.spec.name) && vfMisfit(w, topology, pfStates, problems))
      .map((w) => w.spec.name),
  );
  const vfShort = vfShortages(problems, works);
  const othersMiss = unplaced.size + [...vfShort.keys()].filter((n) => !unplaced.has(n)).length > 1;
  const misfitCtx: MisfitInput = {
    topology,
    model,
    pools,
    pagesByNode,
    pagesFree,
    facts,
    problems,
    othersMiss,
  };
  for (const w of works) {
    if (unplaced.has(w.spec.name)) explainMisfit(w, misfitCtx, missingVfs.has(w.spec.name));
  }
  addMisfitSummary(
    {
      topology,
      model,
      pools,
      pagesByNode,
      pagesFree,
      pfStates,
      works,
      // Left out for VFs alone: counted under VFs, not under cores and pages.
      unplaced: new Set([...unplaced].filter((n) => !missingVfs.has(n))),
      vfShort,
      vnfCount: fileOrder.length,
      deployedCount: input.deployed.length,
    },
    problems,
    fileOrder,
  );
  checkVlans(
    works.filter((w) => unplaced.has(w.spec.name)),
    pfStates,
    problems,
  );
  // What binds each VNF left out, against the plan of the others; for a lone one, the smallest
  // change of the file that makes every VNF fit, checked by planning it.
  const leftOutCtx: LeftOutContext = {
    topology,
    model,
    pools,
    pagesByNode,
    pagesFree,
    pfStates,
    placed: placed.summary.placed,
    leftOut: unplaced.size,
  };
  const leftOutWorks = placed.fresh.filter((w) => unplaced.has(w.spec.name));
  if (leftOutWorks.length === 0) return;
  placed.summary.leftOut = leftOutWorks.map((w) => leftOutReason(w, leftOutCtx));
  if (leftOutWorks.length === 1 && options.smallestChange !== false) {
    const change = smallestChange(
      leftOutWorks[0]!,
      leftOutCtx,
      (t) => planDeployment(facts, t, input.deployedGiven, { ...options, smallestChange: false }).ok,
    );
    if (change) placed.summary.smallestChange = change;
  }
}

/** Hugepages to reserve per node, and the boot count that keeps them after a reboot. */
function reserveHugepages(
  input: PlanInput,
  pages: PagePlan,
  vnfPlans: VnfPlan[],
): { hugepages: HugepageReservation[]; bootCount: number } {
  const { model, sizeKiB, size, topology, facts, warnings } = input;
  const { pagesByNode } = pages;
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
      warnings.push(
        `node ${h.node} keeps only ${sizeText(Math.max(0, left))} outside hugepages for the host`,
      );
    }
  }

  return { hugepages, bootCount };
}

/** The plan as a value: host tuning, networks, VNFs, placement summary, warnings. */
function assemblePlan(
  input: PlanInput,
  cpus: CpuPartition,
  pages: PagePlan,
  pfStates: Map<string, PfState>,
  vnfPlans: VnfPlan[],
  placementSummary: PlacementSummary,
): Plan {
  const { facts, topology, model, sizeKiB, warnings, deployed } = input;
  const { isolated, housekeeping } = cpus;
  const { hugepages, bootCount } = reserveHugepages(input, pages, vnfPlans);
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

  const cpuRoles = buildCpuRoles(facts, model, isolated, vnfPlans, deployed);
  const sriov: PfPlan[] = [...pfStates.values()].map((s) => pfPlan(s));
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
        source: cpus.explicit ? "explicit" : "auto",
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
      ...(topology.host.lang !== undefined ? { lang: topology.host.lang } : {}),
    },
    networks,
    vnfs: vnfPlans,
    placement: placementSummary,
    warnings,
  };
  return plan;
}
