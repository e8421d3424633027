/**
 * The dashboard's view model: host facts, an optional plan and the live VNF states folded into
 * one JSON document the page draws. Pure, so the picture is tested without a browser.
 */
import type { HostFacts, NicFact } from "../facts/types.js";
import { shortfallText } from "../plan/capacity.js";
import type { CpuRole, Plan, PlanProblem } from "../plan/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { LastVerify } from "../verify/last.js";

export type ThreadRole = "housekeeping" | "isolated-free" | "vcpu" | "emulator" | "offline";

export interface ThreadView {
  cpu: number;
  role: ThreadRole;
  vnf?: string;
  vcpu?: number;
  /** Short text drawn in the cell ("vCPU0", "emulator"); the VNF is its colour and tooltip. */
  label: string;
}

export interface CoreView {
  socket: number;
  core: number;
  threads: ThreadView[];
}

export interface PoolView {
  sizeKiB: number;
  total: number;
  free: number;
  used: number;
  /** Pages the plan needs on this node, when a plan is shown. */
  planned?: number;
}

export interface VfView {
  index: number;
  pci: string;
  name: string | null;
  driver: string | null;
  heldBy: string | null;
}

export interface NicView {
  name: string | null;
  pci: string;
  driver: string | null;
  mtu: number | null;
  vfs: VfView[];
  totalVfs: number | null;
}

export interface NodeView {
  id: number;
  memoryKiB: number;
  cpus: string;
  cores: CoreView[];
  hugepages: PoolView[];
  nics: NicView[];
}

export interface SocketView {
  id: number;
  nodes: NodeView[];
}

export interface LiveVnf {
  name: string;
  state: string;
}

export interface VnfView {
  name: string;
  kind: string | null;
  state: string;
  node: number | null;
  vcpuPins: string;
  emulator: string;
  memoryMiB: number | null;
  pageSizeKiB: number | null;
  interfaces: { guest: string; type: string; mac: string; vf: string | null; source: string }[];
  /** The last `nfvhost verify` of this VNF: verdict, when, and one line of evidence per check. */
  verify?: { ok: boolean; at: string; topology: string; evidence: string[] };
}

/** A planner problem with its shortfalls as the CLI words them ("short: ..."), for the page. */
export type ProblemView = PlanProblem & { details: string[] };

export interface HostView {
  hostname: string | null;
  root: string;
  cpuModel: string | null;
  kernelArgs: string | null;
  pendingReboot: boolean;
  sockets: SocketView[];
  vnfs: VnfView[];
  problems: ProblemView[];
  /** What applying the plan would change on this host, in the order apply does it. */
  changes: string[];
  warnings: string[];
}

function pageText(kib: number): string {
  return kib >= 1048576 ? `${kib / 1048576}G` : `${kib / 1024}M`;
}

/** The host-level differences between the facts and a plan, phrased as the steps apply takes. */
export function planChanges(facts: HostFacts, plan: Plan, live: LiveVnf[]): string[] {
  const out: string[] = [];
  for (const c of plan.host.kernelArgs.changes) {
    out.push(`kernel argument ${c.key}: ${c.have ?? "(absent)"} → ${c.want ?? "(removed)"} (needs a reboot)`);
  }
  for (const h of plan.host.hugepages) {
    if (h.reserve !== h.current) {
      out.push(`node ${h.node}: reserve ${h.reserve} x ${pageText(h.sizeKiB)} hugepages (now ${h.current})`);
    }
  }
  for (const pf of plan.host.sriov) {
    const now = facts.nics.find((n) => n.pci === pf.pci)?.sriov?.numVfs ?? 0;
    if (now !== pf.numVfs) out.push(`${pf.pf}: create ${pf.numVfs} VFs (now ${now})`);
  }
  const state = new Map(live.map((l) => [l.name, l.state]));
  for (const v of plan.vnfs) {
    const s = state.get(v.name);
    if (s === undefined) out.push(`${v.name}: define and start on node ${v.node}`);
    else if (s !== "running") out.push(`${v.name}: start (now ${s})`);
  }
  return out;
}

function roleFromPlan(role: CpuRole): Pick<ThreadView, "role" | "vnf" | "vcpu" | "label"> {
  switch (role.role) {
    case "vcpu":
      return { role: "vcpu", vnf: role.vnf, vcpu: role.vcpu, label: `vCPU${role.vcpu}` };
    case "emulator":
      return { role: "emulator", vnf: role.vnf, label: "emu" };
    case "isolated-free":
      return { role: "isolated-free", label: "isolated" };
    case "offline":
      return { role: "offline", label: "offline" };
    default:
      return { role: "housekeeping", label: "host" };
  }
}

/** NICs on a node; PFs and plain NICs only (VFs are listed under their PF). */
function nicsOfNode(facts: HostFacts, node: number, vfHolder: Map<string, string>): NicView[] {
  const single = facts.nodes.length <= 1;
  return facts.nics
    .filter((n) => !n.physfn && (n.node === node || (n.node < 0 && (single || node === 0))))
    .map((n: NicFact) => ({
      name: n.name,
      pci: n.pci,
      driver: n.driver,
      mtu: n.mtu ?? null,
      totalVfs: n.sriov?.totalVfs ?? null,
      vfs: (n.sriov?.vfs ?? []).map((vf) => ({
        index: vf.index,
        pci: vf.pci,
        name: vf.name,
        driver: vf.driver,
        heldBy: vfHolder.get(vf.pci) ?? null,
      })),
    }));
}

function verifyOf(last: LastVerify | null, vnf: string): VnfView["verify"] {
  const group = last?.vnfs[vnf];
  if (!last || !group) return undefined;
  return {
    ok: group.ok,
    at: last.at,
    topology: last.topology,
    evidence: group.checks.map(
      (c) => `${c.status.toUpperCase()} ${c.id}: ${c.actual}${c.evidence ? ` (${c.evidence})` : ""}`,
    ),
  };
}

export function buildHostView(
  facts: HostFacts,
  plan: Plan | null,
  live: LiveVnf[] = [],
  problems: PlanProblem[] = [],
  lastVerify: LastVerify | null = null,
): HostView {
  const isolated = new Set(plan ? plan.host.cpu.isolated : facts.kernel.isolatedCpus);
  const planned = new Map(plan?.host.cpuRoles.map((r) => [r.cpu, r.role]) ?? []);
  const vfHolder = new Map<string, string>();
  for (const vnf of plan?.vnfs ?? []) {
    for (const i of vnf.interfaces) {
      if (i.type === "sriov-pool" || i.type === "sriov-hostdev") vfHolder.set(i.vf.pci, vnf.name);
    }
  }

  const threadOf = (cpu: number, online: boolean): ThreadView => {
    if (!online) return { cpu, role: "offline", label: "offline" };
    const role = planned.get(cpu);
    if (role) return { cpu, ...roleFromPlan(role) };
    return isolated.has(cpu)
      ? { cpu, role: "isolated-free", label: "isolated" }
      : { cpu, role: "housekeeping", label: "host" };
  };

  const socketIds = [...new Set(facts.cpus.map((c) => c.socket))].sort((a, b) => a - b);
  const sockets: SocketView[] = socketIds.map((socket) => {
    const nodeIds = [...new Set(facts.cpus.filter((c) => c.socket === socket).map((c) => c.node))].sort(
      (a, b) => a - b,
    );
    return {
      id: socket,
      nodes: nodeIds.map((nodeId) => {
        const node = facts.nodes.find((n) => n.id === nodeId);
        const cores = new Map<string, CoreView>();
        for (const c of facts.cpus.filter((x) => x.socket === socket && x.node === nodeId)) {
          const key = `${c.socket}:${c.core}`;
          const view = cores.get(key) ?? { socket: c.socket, core: c.core, threads: [] };
          view.threads.push(threadOf(c.id, c.online));
          cores.set(key, view);
        }
        const coreList = [...cores.values()]
          .map((c) => ({ ...c, threads: c.threads.sort((a, b) => a.cpu - b.cpu) }))
          .sort((a, b) => a.threads[0]!.cpu - b.threads[0]!.cpu);
        const hugepages: PoolView[] = Object.entries(node?.hugepages ?? {})
          .map(([size, pool]) => {
            const need = plan?.host.hugepages.find((h) => h.node === nodeId && h.sizeKiB === Number(size));
            return {
              sizeKiB: Number(size),
              total: pool.total,
              free: pool.free,
              used: pool.total - pool.free,
              ...(need ? { planned: need.needed } : {}),
            };
          })
          .sort((a, b) => a.sizeKiB - b.sizeKiB);
        return {
          id: nodeId,
          memoryKiB: node?.memoryKiB ?? 0,
          cpus: formatCpuList(node?.cpus ?? []),
          cores: coreList,
          hugepages,
          nics: nicsOfNode(facts, nodeId, vfHolder),
        };
      }),
    };
  });

  const liveByName = new Map(live.map((l) => [l.name, l.state]));
  const vnfs: VnfView[] = (plan?.vnfs ?? []).map((v) => ({
    name: v.name,
    kind: v.kind,
    state: liveByName.get(v.name) ?? "not deployed",
    ...(lastVerify?.vnfs[v.name] ? { verify: verifyOf(lastVerify, v.name) } : {}),
    node: v.node,
    vcpuPins: v.vcpuPins.map((cpu, i) => `${i}→${cpu}`).join(" "),
    emulator: formatCpuList(v.emulatorCpus),
    memoryMiB: v.memory.KiB / 1024,
    pageSizeKiB: v.memory.pageSizeKiB,
    interfaces: v.interfaces.map((i) => ({
      guest: i.guestName,
      type: i.type,
      mac: i.mac,
      vf: i.type === "sriov-pool" || i.type === "sriov-hostdev" ? i.vf.pci : null,
      source:
        i.type === "macvtap"
          ? `${i.dev} (${i.mode})`
          : i.type === "sriov-pool"
            ? `${i.network} / ${i.vf.pf} VF${i.vf.index}`
            : i.type === "sriov-hostdev"
              ? `${i.vf.pf} VF${i.vf.index}`
              : i.type === "bridge"
                ? i.bridge
                : i.network,
    })),
  }));
  // Domains that run but are not in the plan are shown too: the host picture hides nothing.
  for (const l of live) {
    if (!vnfs.some((v) => v.name === l.name)) {
      vnfs.push({
        name: l.name,
        kind: null,
        state: l.state,
        node: null,
        vcpuPins: "",
        emulator: "",
        memoryMiB: null,
        pageSizeKiB: null,
        interfaces: [],
        ...(lastVerify?.vnfs[l.name] ? { verify: verifyOf(lastVerify, l.name) } : {}),
      });
    }
  }

  return {
    hostname: facts.hostname,
    root: facts.root,
    cpuModel: facts.cpu.model,
    kernelArgs: plan?.host.kernelArgs.line ?? null,
    pendingReboot: plan?.host.kernelArgs.needsReboot ?? false,
    sockets,
    vnfs,
    problems: problems.map((p) => ({
      ...p,
      details: (p.misfits?.shortfalls ?? []).filter((x) => x.short > 0).map(shortfallText),
    })),
    changes: plan ? planChanges(facts, plan, live) : [],
    warnings: [...(plan?.warnings ?? []), ...facts.warnings.map((w) => `${w.path}: ${w.message}`)],
  };
}
