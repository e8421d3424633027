/**
 * The compact picture `nfvhost discover` prints without --json: a few summary lines, then per
 * NUMA node its cores (siblings side by side, isolated ones marked), memory, hugepage pools and
 * the NICs/VFs attached to it. Pure: facts in, text out.
 */
import Table from "cli-table3";
import { colours, type Colours } from "../util/colour.js";
import { formatCpuList } from "../util/cpulist.js";
import type { CpuFact, HostFacts, NicFact, NodeFact } from "./types.js";

const CORES_PER_LINE = 6;
const VFS_SHOWN = 4;

export function formatKiB(kib: number): string {
  if (kib >= 1024 * 1024) return `${(kib / 1024 / 1024).toFixed(1)} GiB`;
  if (kib >= 1024) return `${(kib / 1024).toFixed(0)} MiB`;
  return `${kib} KiB`;
}

/** 1048576 -> "1G", 2048 -> "2M". */
export function pageLabel(kib: number): string {
  if (kib % (1024 * 1024) === 0) return `${kib / 1024 / 1024}G`;
  if (kib % 1024 === 0) return `${kib / 1024}M`;
  return `${kib}K`;
}

function cpuLabel(pc: Colours, c: CpuFact, isolated: Set<number>): string {
  let s = String(c.id);
  if (isolated.has(c.id)) s = pc.yellow(`${s}*`);
  if (!c.online) s = pc.dim(`${s}~`);
  return s;
}

/** Cores of a node as sibling groups "0/36 1*\/37*", wrapped. */
function coreLines(pc: Colours, node: NodeFact, byId: Map<number, CpuFact>, isolated: Set<number>): string {
  const seen = new Set<number>();
  const groups: string[] = [];
  for (const id of node.cpus) {
    if (seen.has(id)) continue;
    const cpu = byId.get(id);
    const members = (cpu?.siblings ?? [id]).filter((s) => node.cpus.includes(s));
    for (const m of members) seen.add(m);
    groups.push(
      members.map((m) => (byId.has(m) ? cpuLabel(pc, byId.get(m)!, isolated) : String(m))).join("/"),
    );
  }
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += CORES_PER_LINE)
    lines.push(groups.slice(i, i + CORES_PER_LINE).join("  "));
  return lines.join("\n") || pc.dim("(no CPUs)");
}

function hugepageLines(pc: Colours, node: NodeFact): string {
  const sizes = Object.keys(node.hugepages).sort((a, b) => Number(b) - Number(a));
  return sizes
    .map((s) => {
      const p = node.hugepages[s]!;
      const text = `${pageLabel(Number(s))}: ${p.free}/${p.total} free`;
      return p.total > 0 ? pc.green(text) : pc.dim(text);
    })
    .join("\n");
}

function shortPci(pci: string): string {
  return pci.replace(/^0000:/, "");
}

function nicLines(pc: Colours, nics: NicFact[], all: NicFact[]): string {
  const lines: string[] = [];
  for (const n of nics.filter((x) => !x.physfn)) {
    const bits = [n.name ?? pc.dim("(no netdev)"), shortPci(n.pci), n.driver ?? pc.dim("no driver")];
    if (n.mtu !== undefined) bits.push(`mtu ${n.mtu}`);
    if (n.operstate) bits.push(n.operstate === "up" ? pc.green("up") : pc.dim(n.operstate));
    lines.push(bits.join(" "));
    if (n.sriov) {
      lines.push(`  SR-IOV ${n.sriov.numVfs}/${n.sriov.totalVfs} VFs`);
      for (const vf of n.sriov.vfs.slice(0, VFS_SHOWN)) {
        lines.push(
          `  └ vf${vf.index} ${shortPci(vf.pci)} ${vf.name ?? pc.dim("(no netdev)")} ${vf.driver ?? "-"}`,
        );
      }
      if (n.sriov.vfs.length > VFS_SHOWN)
        lines.push(pc.dim(`  └ … ${n.sriov.vfs.length - VFS_SHOWN} more VFs`));
    }
  }
  // VFs whose PF is on another node (rare, but then they belong here).
  for (const vf of nics.filter((x) => x.physfn && all.find((p) => p.pci === x.physfn)?.node !== x.node)) {
    lines.push(`vf ${shortPci(vf.pci)} ${vf.name ?? pc.dim("(no netdev)")} of ${vf.physfn}`);
  }
  return lines.join("\n") || pc.dim("-");
}

function yesNo(pc: Colours, v: boolean | null): string {
  return v === null ? pc.dim("unknown") : v ? "yes" : pc.red("no");
}

export function renderPicture(facts: HostFacts, opts: { color: boolean }): string {
  const pc = colours(opts.color);
  const out: string[] = [];
  const isolated = new Set(facts.kernel.isolatedCpus);
  const byId = new Map(facts.cpus.map((c) => [c.id, c]));
  const online = facts.cpus.filter((c) => c.online).length;
  const sockets = new Set(facts.cpus.map((c) => c.socket).filter((s) => s >= 0)).size;
  const k = facts.kernel;
  const label = (s: string) => pc.bold(s.padEnd(8));

  out.push(`${pc.bold(facts.hostname ?? "(no hostname)")} ${pc.dim(`root ${facts.root}`)}`);
  const hw = [facts.dmi.vendor, facts.dmi.product].filter(Boolean).join(" ");
  out.push(
    `${label("system")}${[hw, facts.os.pretty, k.release && `kernel ${k.release}`].filter(Boolean).join(" · ") || pc.dim("unknown (no DMI, os-release or kernel release)")}`,
  );
  out.push(
    `${label("cpu")}${[
      facts.cpu.model ?? "unknown model",
      `${facts.cpus.length} CPUs (${online} online)`,
      `${sockets} socket(s), ${facts.nodes.length} NUMA node(s)`,
      `SMT ${facts.cpu.smt ? "on" : "off"}`,
      facts.cpu.virtualization ?? pc.red("no VT-x/AMD-V"),
      facts.cpu.pages1G ? "1G pages" : pc.yellow("no 1G pages"),
    ].join(" · ")}`,
  );
  const huge = k.hugepages.map((h) => `${pageLabel(h.sizeKiB)}×${h.count}`).join(" ") || "none";
  out.push(
    `${label("kernel")}${[
      `isolcpus ${k.isolatedCpus.length ? formatCpuList(k.isolatedCpus) : "none"}${k.isolcpusFlags.length ? ` (${k.isolcpusFlags.join(",")})` : ""}`,
      `hugepages ${huge}${k.defaultHugepageKiB ? ` (default ${pageLabel(k.defaultHugepageKiB)})` : ""}`,
      `IOMMU ${k.iommu.enabled ? "on" : pc.red("off")}${k.iommu.passthrough ? " pt" : ""}`,
    ].join(" · ")}`,
  );
  out.push(
    `${label("virt")}${[
      `libvirt ${facts.libvirt?.version ?? pc.dim("n/a")}`,
      `QEMU ${facts.qemu?.version ?? pc.dim("n/a")}`,
      `/dev/kvm ${yesNo(pc, facts.devices.kvm)}`,
      `vhost-net ${yesNo(pc, facts.devices.vhostNet)}`,
      `THP ${facts.thp.enabled ?? "?"}`,
    ].join(" · ")}`,
  );

  const table = new Table({
    head: ["node", "cores (siblings; * isolated, ~ offline)", "memory", "hugepages", "NICs"],
    style: { head: [], border: [] },
  });
  const single = facts.nodes.length === 1;
  for (const node of facts.nodes) {
    // The kernel says -1 when it has no NUMA information; on one node that is node 0.
    const nics = facts.nics.filter((n) => n.node === node.id || (single && n.node < 0));
    table.push([
      String(node.id),
      coreLines(pc, node, byId, isolated),
      formatKiB(node.memoryKiB),
      hugepageLines(pc, node),
      nicLines(pc, nics, facts.nics),
    ]);
  }
  const orphans = single
    ? []
    : facts.nics.filter((n) => n.node < 0 || !facts.nodes.some((x) => x.id === n.node));
  if (orphans.length)
    table.push([
      pc.dim("-1"),
      pc.dim("NICs without NUMA affinity"),
      "",
      "",
      nicLines(pc, orphans, facts.nics),
    ]);
  out.push(table.toString());
  // The marks are the legend's words, so it reads the same without colour.
  const offline = facts.cpus.filter((c) => !c.online).map((c) => c.id);
  const units = facts.cpus.some((c) => c.computeUnit);
  out.push(
    `legend: a/b = thread siblings of one core; * isolated (isolcpus): ${formatCpuList(k.isolatedCpus) || "none"}; ~ offline: ${formatCpuList(offline) || "none"}${units ? "; AMD compute-unit cores are listed as separate cores" : ""}`,
  );

  if (facts.warnings.length) {
    out.push(pc.yellow(`${facts.warnings.length} warning(s):`));
    for (const w of facts.warnings) out.push(`  ${w.path}: ${w.message}`);
  }
  return `${out.join("\n")}\n`;
}
