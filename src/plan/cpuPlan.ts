/**
 * CPU decisions around the placement: running VMs' CPUs, the auto isolcpus set, the emulator
 * pinning of running VMs, and the role of every CPU.
 */
import type { HostFacts } from "../facts/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { NodePool, PoolCore } from "./cpuPool.js";
import type { HostModel } from "./hostModel.js";
import type { CpuRole, DeployedVnf, Plan, VnfPlan } from "./types.js";

export function occupyDeployed(
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
export function keptEmulator(
  d: DeployedVnf,
  model: HostModel,
  isolated: Set<number>,
  vcpuCpus: Set<number>,
  housekeeping: number[],
  warnings: string[],
): number[] {
  // Its own cores' threads stay its own; elsewhere only CPUs the host keeps are safe.
  const own = new Set(d.vcpuPins.flatMap((c) => model.coreOfCpu.get(c)?.cpus ?? [c]));
  const before = [...d.emulatorCpus].sort((a, b) => a - b);
  let after = before.filter(
    (c) => (own.has(c) && !vcpuCpus.has(c)) || (!isolated.has(c) && !vcpuCpus.has(c)),
  );
  if (after.length === 0) after = housekeeping;
  if (after.join() !== before.join()) {
    warnings.push(
      `${d.name} keeps its vCPUs and memory; its emulator threads move from CPUs ${formatCpuList(before)} to ` +
        `${formatCpuList(after)} (virsh emulatorpin --live, no restart)`,
    );
  }
  return after;
}

export function autoIsolation(pools: Map<number, NodePool>): Set<number> {
  const out = new Set<number>();
  for (const pool of pools.values()) {
    for (const c of pool.cores) {
      if (c.owner !== null || c.threadOwner.some((o) => o !== null)) for (const t of c.core.cpus) out.add(t);
    }
  }
  return out;
}

export function buildCpuRoles(
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
  for (const v of pinned)
    v.vcpuPins.forEach((cpu, i) => roles.set(cpu, { role: "vcpu", vnf: v.name, vcpu: i }));
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
