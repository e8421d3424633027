/**
 * Human output of `nfvhost plan`: the host decisions, a table per VNF, and a CPU map per NUMA
 * node with each physical core's sibling threads side by side. Colour helps, the words carry
 * the meaning (colour off, the map reads the same).
 */
import Table from "cli-table3";
import { formatCpuList } from "../util/cpulist.js";
import { nameList, shortfallText } from "./capacity.js";
import { pageSizeText } from "./hostModel.js";
import type { CpuRole, InterfacePlan, PlacementSummary, Plan, PlanProblem, VnfPlan } from "./types.js";
import { colours } from "../util/colour.js";

export interface FormatOptions {
  color: boolean;
}

type Paint = (s: string) => string;

/** Box without lines between rows: one row per core stays one line per core. */
const COMPACT = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

function painter(color: boolean): Record<CpuRole["role"] | "head", Paint> {
  const c = colours(color);
  return {
    housekeeping: c.dim,
    "isolated-free": c.green,
    vcpu: c.cyan,
    emulator: c.magenta,
    offline: c.gray,
    head: c.bold,
  };
}

export function roleText(role: CpuRole): string {
  switch (role.role) {
    case "housekeeping":
      return "host";
    case "isolated-free":
      return "isolated free";
    case "vcpu":
      return `${role.vnf} vCPU${role.vcpu}`;
    case "emulator":
      return `${role.vnf} emulator`;
    case "offline":
      return "offline";
  }
}

function interfaceText(i: InterfacePlan): string {
  switch (i.type) {
    case "macvtap":
      return `macvtap ${i.dev} (${i.mode})`;
    case "sriov-pool":
      return `VF ${i.vf.pci} of ${i.vf.pf} #${i.vf.index} via ${i.network}${i.vf.vlan !== undefined ? ` vlan ${i.vf.vlan}` : ""}`;
    case "sriov-hostdev":
      return `VF ${i.vf.pci} of ${i.vf.pf} #${i.vf.index} (hostdev)${i.vf.vlan !== undefined ? ` vlan ${i.vf.vlan}` : ""}`;
    case "bridge":
      return `bridge ${i.bridge}${i.network ? ` (network ${i.network})` : ""}`;
    case "network":
      return `network ${i.network}`;
  }
}

function memoryText(v: VnfPlan): string {
  const gib = v.memory.KiB / (1024 * 1024);
  const amount = Number.isInteger(gib) ? `${gib} GiB` : `${Math.round(v.memory.KiB / 1024)} MiB`;
  return `${amount} = ${v.memory.pages} x ${pageSizeText(v.memory.pageSizeKiB)} pages, node ${v.memory.node} ${v.memory.mode}`;
}

function pinText(v: VnfPlan): string {
  // Runs of consecutive pins read like the seed: vCPU0-7 -> 1-8.
  const parts: string[] = [];
  let i = 0;
  while (i < v.vcpuPins.length) {
    let j = i;
    while (j + 1 < v.vcpuPins.length && v.vcpuPins[j + 1] === v.vcpuPins[j]! + 1) j++;
    parts.push(i === j ? `${i}->${v.vcpuPins[i]}` : `${i}-${j}->${v.vcpuPins[i]}-${v.vcpuPins[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

export function formatVnfTable(v: VnfPlan, opts: FormatOptions): string {
  const paint = painter(opts.color);
  const table = new Table({ style: { head: [], border: [] }, wordWrap: true });
  table.push(
    { node: [String(v.node)] },
    { "vCPU -> CPU": [pinText(v)] },
    { "emulator CPUs": [formatCpuList(v.emulatorCpus)] },
    { "thread policy": [v.threadPolicy] },
    { memory: [memoryText(v)] },
  );
  for (const i of v.interfaces) table.push({ [i.guestName]: [`${interfaceText(i)}, MAC ${i.mac}`] });
  const title = `${paint.head(v.name)} (${v.kind}, ${v.vcpus} vCPU${v.existing ? ", running, kept in place" : ""})`;
  return `${title}\n${table.toString()}`;
}

export function formatCpuMap(plan: Plan, opts: FormatOptions): string {
  const paint = painter(opts.color);
  const byNode = new Map<number, Plan["host"]["cpuRoles"]>();
  for (const r of plan.host.cpuRoles) {
    const list = byNode.get(r.node) ?? [];
    list.push(r);
    byNode.set(r.node, list);
  }
  const roleOf = new Map(plan.host.cpuRoles.map((r) => [r.cpu, r.role]));
  const out: string[] = [];
  for (const [node, roles] of [...byNode].sort((a, b) => a[0] - b[0])) {
    const seen = new Set<number>();
    const table = new Table({ style: { head: [], border: [] }, chars: COMPACT });
    for (const r of roles) {
      if (seen.has(r.cpu)) continue;
      const threads = (r.siblings.length ? r.siblings : [r.cpu]).filter((c) => roleOf.has(c));
      for (const t of threads) seen.add(t);
      table.push(
        threads.map((t) => {
          const role = roleOf.get(t)!;
          return paint[role.role](`${String(t).padStart(3)} ${roleText(role)}`);
        }),
      );
    }
    out.push(`${paint.head(`NUMA node ${node}`)} (one row per physical core, sibling threads side by side)`);
    out.push(table.toString());
  }
  out.push(...cpuMapLegend(plan, paint));
  return out.join("\n");
}

/**
 * The map's legend, readable without colour: each role says in words what it means and which CPUs
 * hold it, so a log, a pipe or a colour-blind reader gets the whole partition.
 */
function cpuMapLegend(plan: Plan, paint: ReturnType<typeof painter>): string[] {
  const cpusOf = (role: CpuRole["role"]) =>
    plan.host.cpuRoles.filter((r) => r.role.role === role).map((r) => r.cpu);
  const rows: [CpuRole["role"], string, string][] = [
    ["housekeeping", "host", "housekeeping (the host's own work)"],
    ["vcpu", "VNF vCPUn", "vCPU n of that VNF, pinned here"],
    ["emulator", "VNF emulator", "that VNF's emulator threads"],
    ["isolated-free", "isolated free", "isolated, no VNF on it yet"],
    ["offline", "offline", "offline CPU"],
  ];
  const width = Math.max(...rows.map((r) => r[1].length));
  return [
    "legend:",
    ...rows.map(([role, label, meaning]) => {
      const cpus = formatCpuList(cpusOf(role));
      return `  ${paint[role](label.padEnd(width))}  ${meaning}: ${cpus ? `CPU ${cpus}` : "none"}`;
    }),
  ];
}

export function formatPlan(plan: Plan, opts: FormatOptions): string {
  const paint = painter(opts.color);
  const h = plan.host;
  const lines: string[] = [];
  lines.push(`${paint.head("plan")} ${plan.topology}: ${plan.vnfs.length} VNF(s) fit`);
  lines.push(
    `isolated CPUs (${h.cpu.source}): ${formatCpuList(h.cpu.isolated) || "none"}; housekeeping: ${formatCpuList(h.cpu.housekeeping)}`,
  );
  lines.push(`kernel arguments: ${h.kernelArgs.line}`);
  if (h.kernelArgs.needsReboot) {
    const changes = h.kernelArgs.changes.map(
      (c) => `${c.key}: ${c.have ?? "(absent)"} -> ${c.want ?? "(removed)"}`,
    );
    lines.push(`  reboot needed: ${changes.join("; ")}`);
  } else lines.push("  the running kernel already has them (no reboot needed)");
  for (const r of h.hugepages) {
    lines.push(
      `hugepages node ${r.node}: ${r.needed} x ${pageSizeText(r.sizeKiB)} for VNFs, reserve ${r.reserve} (now ${r.current}) via ${r.sysfsPath}`,
    );
  }
  lines.push(
    `boot reservation: hugepages=${h.bootHugepages.count} of ${pageSizeText(h.bootHugepages.sizeKiB)}`,
  );
  for (const pf of h.sriov) {
    lines.push(
      `SR-IOV ${pf.pf} (${pf.pci}, ${pf.driver ?? "no driver"}, node ${pf.node}): ${pf.numVfs} of ${pf.totalVfs} VFs`,
    );
  }
  lines.push("");
  for (const v of plan.vnfs) {
    lines.push(formatVnfTable(v, opts));
    lines.push("");
  }
  lines.push(formatCpuMap(plan, opts));
  for (const w of plan.warnings) lines.push(`${colours(opts.color).yellow("warning")}: ${w}`);
  return `${lines.join("\n")}\n`;
}

/** Lines "leaving out ..." printed under the placement summary before the rest are only named. */
export const LEFT_OUT_SHOWN = 3;

/** What the placement achieved when not every VNF fits: the most that fit, proven or bounded. */
export function formatPlacementSummary(p: PlacementSummary): string {
  if (p.placed === p.of) return `placement: all ${p.of} new VNFs fit`;
  const head = p.proven
    ? `placement: at most ${p.placed} of the ${p.of} new VNFs fit together (proven optimal)`
    : p.stoppedBy === "time"
      ? `placement: placed ${p.placed} of ${p.of}, at most ${p.bound} possible (search stopped at the time limit; raise --time-limit)`
      : `placement: placed ${p.placed} of ${p.of}, at most ${p.bound} possible (search stopped at its work limit)`;
  const leftOut = p.leftOut ?? [];
  // Many VNFs left out (often alike): the first few lines, then their names (--json has each).
  const shown = leftOut.length > LEFT_OUT_SHOWN + 1 ? leftOut.slice(0, LEFT_OUT_SHOWN) : leftOut;
  const rest = leftOut.slice(shown.length).map((l) => l.vnf);
  return [
    head,
    ...(leftOut.length > 1 ? [`  leaving out these ${leftOut.length} lets the other ${p.placed} fit:`] : []),
    ...shown.map((l) => (leftOut.length > 1 ? `    ${l.text}` : `  ${l.text}`)),
    ...(rest.length > 0 ? [`    ... and ${rest.length} more: ${nameList(rest)}`] : []),
    ...(p.smallestChange ? [`  ${p.smallestChange.text}`] : []),
  ].join("\n");
}

/** One problem as the CLI prints it; `where` is the topology file:line it points at, if any. */
export function formatProblem(p: PlanProblem, where: string | null, opts: FormatOptions): string {
  const c = colours(opts.color);
  const head = `${where ? `${where}: ` : ""}${c.red("cannot fit")}: ${p.message}`;
  const short = (p.misfits?.shortfalls ?? [])
    .filter((s) => s.short > 0)
    .map((s) => `  short: ${shortfallText(s)}`);
  return [head, ...short, ...p.fixes.map((f) => `  fix: ${f}`)].join("\n");
}

/** More VNFs than this with one identical problem are collapsed: the first SHOWN_FULLY, then one line. */
export const COLLAPSE_OVER = 5;
export const SHOWN_FULLY = 3;

/** Problems that differ only in the VNF name (and so in file:line) share a key. */
function shapeKey(p: PlanProblem): string | null {
  if (p.vnf === null || p.misfits) return null;
  const anon = (s: string) => s.split(p.vnf!).join("\u0000");
  return JSON.stringify([p.resource, p.node, p.need, p.have, anon(p.message), p.fixes.map(anon)]);
}

/**
 * Every problem as the CLI prints it, short for hundreds of identical misfits: when more than
 * COLLAPSE_OVER VNFs have the same problem, the first SHOWN_FULLY are printed and one line names
 * the others (--json keeps every problem).
 */
export function formatProblems(
  problems: readonly PlanProblem[],
  where: (p: PlanProblem) => string | null,
  opts: FormatOptions,
): string[] {
  const groups = new Map<string, PlanProblem[]>();
  const keyed = problems.map((p) => {
    const key = shapeKey(p);
    if (key === null) return { p, group: [] as PlanProblem[], at: -1 };
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    group.push(p);
    return { p, group, at: group.length - 1 };
  });
  const out: string[] = [];
  for (const { p, group, at } of keyed) {
    if (group.length <= COLLAPSE_OVER || at < SHOWN_FULLY) out.push(formatProblem(p, where(p), opts));
    if (group.length > COLLAPSE_OVER && at === SHOWN_FULLY - 1) {
      const rest = group.slice(SHOWN_FULLY).map((q) => q.vnf!);
      out.push(
        `... and ${rest.length} more VNFs with the same ${p.resource} problem as ${p.vnf}: ${nameList(rest)}`,
      );
    }
  }
  return out;
}

/** The last line: how many VNFs miss, of how many, and how many problems (the summary not counted). */
export function problemCountLine(problems: readonly PlanProblem[], vnfCount: number): string {
  const own = problems.filter((p) => !p.misfits);
  const vnfs = new Set(own.flatMap((p) => (p.vnf === null ? [] : [p.vnf])));
  const count = own.length === 1 ? "1 problem" : `${own.length} problems`;
  if (vnfs.size === 0) return `the topology does not fit this host (${count})`;
  return `${vnfs.size} of ${vnfCount} VNF${vnfCount === 1 ? "" : "s"} ${vnfs.size === 1 ? "does" : "do"} not fit this host (${count})`;
}
