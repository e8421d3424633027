/**
 * The rules every plan must obey, checked independently of how the planner reached it. Tests run
 * it over many generated cases; verify can run it over a plan read back from disk.
 */
import type { HostFacts } from "../facts/types.js";
import type { Topology } from "../topology/types.js";
import type { DeployedVnf, Plan } from "./types.js";

/** Returns one line per violated rule; empty when the plan is sound. */
export function checkPlanInvariants(
  facts: HostFacts,
  topology: Topology,
  plan: Plan,
  deployed: DeployedVnf[] = [],
): string[] {
  const out: string[] = [];
  const cpuNode = new Map(facts.cpus.map((c) => [c.id, c.node]));
  const online = new Set(facts.cpus.filter((c) => c.online).map((c) => c.id));
  const isolated = new Set(plan.host.cpu.isolated);
  const policy = new Map(plan.vnfs.map((v) => [v.name, v.threadPolicy]));
  const vms = [
    ...plan.vnfs.map((v) => ({
      name: v.name,
      vcpuPins: v.vcpuPins,
      emulatorCpus: v.emulatorCpus,
      existing: v.existing,
    })),
    ...deployed
      .filter((d) => !plan.vnfs.some((v) => v.name === d.name))
      .map((d) => ({ name: d.name, vcpuPins: d.vcpuPins, emulatorCpus: d.emulatorCpus, existing: true })),
  ];

  // No CPU carries two vCPUs.
  const vcpuOwner = new Map<number, string>();
  for (const vm of vms) {
    for (const cpu of vm.vcpuPins) {
      const prev = vcpuOwner.get(cpu);
      if (prev !== undefined) out.push(`CPU ${cpu} carries vCPUs of ${prev} and ${vm.name}`);
      vcpuOwner.set(cpu, vm.name);
    }
  }
  // Emulator threads never on another VM's vCPU; isolated emulator CPUs belong to one VM.
  const emuOwner = new Map<number, string>();
  for (const vm of vms) {
    for (const cpu of vm.emulatorCpus) {
      const v = vcpuOwner.get(cpu);
      if (v !== undefined && v !== vm.name) out.push(`emulator of ${vm.name} on CPU ${cpu}, a vCPU of ${v}`);
      if (isolated.has(cpu)) {
        const prev = emuOwner.get(cpu);
        if (prev !== undefined && prev !== vm.name)
          out.push(`isolated CPU ${cpu} carries emulators of ${prev} and ${vm.name}`);
        emuOwner.set(cpu, vm.name);
      }
    }
  }
  // New VNFs: vCPUs on isolated CPUs of their node, one node, 1:1.
  for (const v of plan.vnfs) {
    if (v.existing) continue;
    if (v.vcpuPins.length !== v.vcpus)
      out.push(`${v.name} has ${v.vcpuPins.length} pins for ${v.vcpus} vCPUs`);
    for (const cpu of v.vcpuPins) {
      if (!isolated.has(cpu)) out.push(`${v.name} vCPU on CPU ${cpu}, which is not isolated`);
      if (cpuNode.get(cpu) !== v.node) out.push(`${v.name} vCPU on CPU ${cpu} outside node ${v.node}`);
    }
    if (v.memory.node !== v.node)
      out.push(`${v.name} memory on node ${v.memory.node}, vCPUs on node ${v.node}`);
    const spec = topology.vnfs.find((s) => s.name === v.name);
    if (spec?.node !== undefined && spec.node !== v.node)
      out.push(`${v.name} asked for node ${spec.node}, got ${v.node}`);
    if (v.emulatorCpus.length === 0) out.push(`${v.name} has no emulator CPUs`);
  }
  // Sibling threads of one core: one VM, unless every VM there says share.
  const coreKey = new Map(facts.cpus.map((c) => [c.id, [...c.siblings].sort((a, b) => a - b).join(",")]));
  const coreUsers = new Map<string, Set<string>>();
  const use = (cpu: number, vm: string): void => {
    const key = coreKey.get(cpu) ?? String(cpu);
    const set = coreUsers.get(key) ?? new Set<string>();
    set.add(vm);
    coreUsers.set(key, set);
  };
  for (const vm of vms) {
    for (const cpu of vm.vcpuPins) use(cpu, vm.name);
    for (const cpu of vm.emulatorCpus) if (isolated.has(cpu)) use(cpu, vm.name);
  }
  for (const [key, users] of coreUsers) {
    if (users.size > 1 && ![...users].every((u) => policy.get(u) === "share")) {
      out.push(`core ${key} is shared by ${[...users].sort().join(", ")} without thread policy share`);
    }
  }
  // Isolation keeps CPU 0 and whole cores for the host on every node.
  if (isolated.has(0)) out.push("CPU 0 is isolated");
  const perNodeKept = new Map<number, number>();
  for (const [key, node] of new Map(
    facts.cpus.filter((c) => c.online).map((c) => [coreKey.get(c.id)!, c.node]),
  )) {
    const cpus = key
      .split(",")
      .map(Number)
      .filter((c) => online.has(c));
    if (
      plan.host.cpu.source === "auto" &&
      cpus.some((c) => isolated.has(c)) &&
      !cpus.every((c) => isolated.has(c))
    ) {
      out.push(`core ${key} is isolated only in part`);
    }
    if (cpus.every((c) => !isolated.has(c))) perNodeKept.set(node, (perNodeKept.get(node) ?? 0) + 1);
  }
  const keep = Math.max(1, topology.host.cpus.housekeepingCoresPerNode);
  for (const n of facts.nodes) {
    if (n.cpus.some((c) => online.has(c)) && (perNodeKept.get(n.id) ?? 0) < keep) {
      out.push(
        `node ${n.id} keeps ${perNodeKept.get(n.id) ?? 0} whole cores for the host, fewer than ${keep}`,
      );
    }
  }
  // Hugepages: each node's reservation holds its VNFs and fits in its memory.
  for (const r of plan.host.hugepages) {
    const used = plan.vnfs
      .filter((v) => v.node === r.node && v.memory.pageSizeKiB === r.sizeKiB)
      .reduce((s, v) => s + v.memory.pages, 0);
    if (used !== r.needed) out.push(`node ${r.node} needed ${r.needed} pages, VNFs hold ${used}`);
    if (r.reserve < used) out.push(`node ${r.node} reserves ${r.reserve} pages for ${used} needed`);
    const mem = facts.nodes.find((n) => n.id === r.node)?.memoryKiB ?? 0;
    if (used * r.sizeKiB > mem) out.push(`node ${r.node} VNFs need more hugepage memory than the node has`);
  }
  for (const v of plan.vnfs) {
    if (v.memory.pages * v.memory.pageSizeKiB < v.memory.KiB)
      out.push(`${v.name} pages do not cover its memory`);
  }
  // VFs: one holder each, from a PF local to the VNF; MACs unique across the host.
  const vfHolder = new Map<string, string>();
  for (const d of deployed) for (const pci of d.vfs) vfHolder.set(pci, d.name);
  const macHolder = new Map<string, string>();
  for (const d of deployed) {
    if (plan.vnfs.some((v) => v.name === d.name)) continue;
    for (const m of d.macs) macHolder.set(m.toLowerCase(), d.name);
  }
  for (const v of plan.vnfs) {
    for (const i of v.interfaces) {
      const prevMac = macHolder.get(i.mac);
      if (prevMac !== undefined) out.push(`MAC ${i.mac} of ${v.name} also used by ${prevMac}`);
      macHolder.set(i.mac, `${v.name}#${i.index}`);
      if (i.type !== "sriov-pool" && i.type !== "sriov-hostdev") continue;
      const prev = vfHolder.get(i.vf.pci);
      if (prev !== undefined && !(v.existing && prev === v.name))
        out.push(`VF ${i.vf.pci} held by ${prev} and ${v.name}`);
      vfHolder.set(i.vf.pci, `${v.name}#${i.index}`);
      const pf = plan.host.sriov.find((p) => p.pf === i.vf.pf);
      if (!pf) out.push(`${v.name} VF of ${i.vf.pf}, a PF the plan does not set up`);
      else {
        if (pf.node >= 0 && pf.node !== v.node)
          out.push(`${v.name} on node ${v.node} uses a VF of ${pf.pf} on node ${pf.node}`);
        if (i.vf.index >= pf.numVfs)
          out.push(`${v.name} uses VF ${i.vf.index} of ${pf.pf}, which has ${pf.numVfs}`);
        if (pf.numVfs > pf.totalVfs) out.push(`${pf.pf} plans ${pf.numVfs} VFs, more than ${pf.totalVfs}`);
      }
    }
  }
  // Deployed VMs stay where they run.
  for (const d of deployed) {
    const v = plan.vnfs.find((p) => p.name === d.name);
    if (!v) continue;
    if (v.node !== d.node || v.vcpuPins.join() !== d.vcpuPins.join())
      out.push(`deployed ${d.name} was moved`);
  }
  // Every CPU has a role.
  if (plan.host.cpuRoles.length !== facts.cpus.length) out.push("cpuRoles does not cover every CPU");
  return out;
}
