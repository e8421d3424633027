/**
 * The planner: a pure function of (host facts, topology, VMs already running) that makes every
 * decision of the seed guide's sections 2, SR-IOV and KVM tuning, or explains precisely why the
 * topology cannot fit. No I/O, no clock, no randomness: the same input gives the same plan.
 * The algorithm is described in docs/plan.md.
 */
import type { HostFacts } from "../facts/types.js";
import type { Topology } from "../topology/types.js";
import type { VnfWork } from "./checks.js";
import { analyseVnf, checkExplicitIsolation, checkPageSize, checkPfCounts } from "./checks.js";
import { checkHostInterfaces } from "./netdevs.js";
import { autoIsolation, buildCpuRoles, keptEmulator, occupyDeployed } from "./cpuPlan.js";
import type { PoolCore } from "./cpuPool.js";
import { buildPools } from "./cpuPool.js";
import { nodePages } from "./hugepages.js";
import { buildHostModel, hugepageSysfsPath, pageSizeText } from "./hostModel.js";
import { checkVlans, holdVf, pfPlan, planInterfaces } from "./interfaces.js";
import { planKernelArgs } from "./kernelArgs.js";
import { resolvePfNames } from "./pfNames.js";
import { addMisfitSummary, vfShortages } from "./capacity.js";
import type { MisfitInput } from "./misfit.js";
import { explainMisfit, vfMisfit } from "./misfit.js";
import { DEFAULT_TIME_LIMIT_S, solvePlacement } from "./solve/index.js";
import { hostProblem, realise } from "./solveHost.js";
import { HOST_MEMORY_FLOOR_KiB, Problems, plural, sizeText } from "./problems.js";
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
  /** Wall-clock limit of the exact placement stage, seconds (default DEFAULT_TIME_LIMIT_S). */
  timeLimitS?: number;
}

export function planDeployment(
  facts: HostFacts,
  written: Topology,
  deployed: DeployedVnf[] = [],
  options: PlanOptions = {},
): PlanResult {
  const topology = resolvePfNames(facts, written);
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
  for (const pool of pools.values())
    for (const c of pool.cores) for (const t of c.threads) poolCoreOf.set(t, c);
  const inTopology = new Set(fileOrder);
  for (const d of deployedSorted) occupyDeployed(d, model, poolCoreOf, !inTopology.has(d.name), warnings);

  // --- Hugepages per node.
  const pagesByNode = nodePages(facts, model.nodeIds, sizeKiB, topology.host.hugepages.count, deployedSorted);
  const pagesFree = new Map<number, number>();
  for (const np of pagesByNode.values()) pagesFree.set(np.node, Math.max(0, np.capacity - np.inUse));

  // --- Per-VNF constraints that do not depend on the other VNFs.
  const referencedPfs = new Set<string>();
  const works: VnfWork[] = topology.vnfs.map((spec, index) =>
    analyseVnf(
      spec,
      index,
      topology,
      facts,
      model,
      deployedByName.get(spec.name),
      referencedPfs,
      problems,
      sizeKiB,
    ),
  );
  const pfStates = buildPfStates(facts, topology, referencedPfs, warnings);
  checkPfCounts(topology, facts, problems);
  checkHostInterfaces(topology, facts, problems);

  // --- Joint placement of the new VNFs: one optimisation over cores, pages and VFs together.
  for (const d of deployedSorted) for (const pci of d.vfs) holdVf(pfStates, pci, d.name);
  const fresh = works.filter((w) => !w.blocked && !w.existing);
  const answer = solvePlacement(hostProblem(fresh, pools, pagesFree, sizeKiB, pfStates), {
    timeLimitS: options.timeLimitS ?? DEFAULT_TIME_LIMIT_S,
  });
  const allocs = realise(answer.placements, fresh, pools, model.smt);
  for (const p of answer.placements) {
    const w = fresh.find((x) => x.spec.name === p.vnf)!;
    pagesFree.set(p.node, (pagesFree.get(p.node) ?? 0) - w.pages);
  }
  const placement = { allocs };
  const unplaced = new Set(answer.unplaced);
  const placementSummary: PlacementSummary = {
    placed: answer.placements.length,
    of: fresh.length,
    proven: answer.proven,
    bound: answer.bound,
    method: answer.method,
    unplaced: fresh.filter((w) => unplaced.has(w.spec.name)).map((w) => w.spec.name),
  };
  if (!answer.proven) {
    warnings.push(
      `placement stopped at the time limit (${options.timeLimitS ?? DEFAULT_TIME_LIMIT_S} s): placed ${answer.placements.length}, ` +
        `at most ${answer.bound} possible; raise --time-limit to search further`,
    );
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
  for (const nic of facts.nics)
    if (nic.mac && !nic.physfn) macs.claim(nic.mac, `host NIC ${nic.name ?? nic.pci}`);
  for (const d of deployedSorted) d.macs.forEach((m, i) => macs.claim(m, `${d.name} interfaces[${i}]`));
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

  // VF administrative MACs (NetworkManager sets them at boot): given, seen on the host, or generated.
  for (const st of pfStates.values()) {
    st.adminMacs = st.adminMacs.map((m, i) => {
      if (m === null) return macs.generate(`${topology.name}/${st.name}/vf${i}`, `${st.name} VF ${i}`);
      macs.claim(m, `${st.name} VF ${i}`);
      return m;
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
      ? keptEmulator(d, model, isolated, vcpuCpus, housekeepingOf(node), warnings)
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
  for (const d of deployedSorted) {
    if (!topology.vnfs.some((v) => v.name === d.name)) {
      warnings.push(
        `${d.name} runs on this host but is not in the topology; its CPUs, pages, VFs and MACs are kept`,
      );
    }
  }
  // Why each unplaced VNF does not fit; explained after the VFs are handed out, so a VF shortage
  // of a placed VNF counts as "another VNF that does not fit" for the per-VNF fixes.
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
      deployedCount: deployedSorted.length,
    },
    problems,
    fileOrder,
  );
  checkVlans(
    works.filter((w) => unplaced.has(w.spec.name)),
    pfStates,
    problems,
  );

  const all = problems.all(fileOrder);
  if (all.length > 0) return { ok: false, problems: all, placement: placementSummary };

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
      warnings.push(
        `node ${h.node} keeps only ${sizeText(Math.max(0, left))} outside hugepages for the host`,
      );
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
      ...(topology.host.lang !== undefined ? { lang: topology.host.lang } : {}),
    },
    networks,
    vnfs: vnfPlans,
    placement: placementSummary,
    warnings,
  };
  return { ok: true, plan };
}
