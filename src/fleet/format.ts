/** Human output of the fleet commands: per host what changes, then the fleet's summary line. */
import Table from "cli-table3";
import { formatCpuList } from "../util/cpulist.js";
import { colours } from "../util/colour.js";
import type { FleetRun, HostOutcome } from "./ansible.js";
import type { SnapshotOutcome } from "./facts.js";
import type { FleetPlan } from "./types.js";

export function placedCount(plan: FleetPlan): number {
  return Object.keys(plan.assignment).length;
}

export function summaryLine(plan: FleetPlan): string {
  const total = placedCount(plan) + plan.misfits.length;
  const per = plan.hosts.map((h) => `${h.host} ${h.plan.vnfs.length}`).join(", ");
  const base = `placed ${placedCount(plan)} of ${total} VNFs on ${plan.hosts.length} host${plan.hosts.length === 1 ? "" : "s"} (${per})`;
  return plan.misfits.length === 0
    ? `${base}; every VNF fits`
    : `${base}; ${plan.misfits.length} fit nowhere`;
}

export function formatFleetPlan(plan: FleetPlan, opts: { color: boolean }): string {
  const c = colours(opts.color);
  const out: string[] = [`fleet ${c.bold(plan.fleet)}, inventory ${plan.inventory}`];
  for (const h of plan.hosts) {
    const facts = h.facts;
    const vfs = (name: string) =>
      h.plan.vnfs
        .find((v) => v.name === name)!
        .interfaces.flatMap((i) => (i.type === "sriov-pool" || i.type === "sriov-hostdev" ? [i.vf.pci] : []))
        .join(" ") || "-";
    const changes = [
      h.changes.added.length ? `+${h.changes.added.length} new` : "",
      h.changes.kept.length ? `${h.changes.kept.length} kept in place` : "",
    ]
      .filter((s) => s !== "")
      .join(", ");
    out.push(
      "",
      `${c.bold(`host ${h.host}`)} (${facts.cpus.length} CPUs, ${facts.nodes.length} NUMA node${facts.nodes.length === 1 ? "" : "s"}): ${changes || "no VNFs"}`,
    );
    if (h.plan.vnfs.length === 0) continue;
    const t = new Table({
      head: ["VNF", "change", "node", "vCPU -> CPU", "emulator", "memory", "VFs"],
      style: { head: [], border: [], compact: true },
    });
    for (const v of h.plan.vnfs)
      t.push([
        v.name,
        v.existing ? "kept" : "new",
        String(v.node),
        v.vcpuPins.join(","),
        formatCpuList(v.emulatorCpus),
        `${v.memory.pages} x ${v.memory.pageSizeKiB >= 1048576 ? `${v.memory.pageSizeKiB / 1048576}G` : `${v.memory.pageSizeKiB / 1024}M`}`,
        vfs(v.name),
      ]);
    out.push(t.toString());
  }
  if (plan.misfits.length > 0) {
    out.push("", c.bold("does not fit"));
    for (const m of plan.misfits) {
      out.push(`  ${c.red(m.message)}`);
      for (const h of m.hosts) out.push(`    ${h.host}: ${h.reason}`);
    }
  }
  for (const w of plan.warnings) out.push(`${c.yellow("warning")}: ${w}`);
  out.push("", summaryLine(plan));
  return `${out.join("\n")}\n`;
}

export function formatSnapshotLine(o: SnapshotOutcome, color: boolean): string {
  const c = colours(color);
  const head = o.ok ? c.green("ok") : c.red(o.failure ?? "failed");
  return `${o.host}: ${head} ${o.message} (${(o.ms / 1000).toFixed(1)} s)${o.fix ? `; fix: ${o.fix}` : ""}`;
}

function hostLine(h: HostOutcome, mode: "apply" | "verify" | "status", color: boolean): string {
  const c = colours(color);
  const status =
    h.status === "failed" || h.status === "unreachable"
      ? c.red(h.status)
      : h.status === "changed"
        ? c.yellow(h.status)
        : h.status;
  const parts: string[] = [];
  if (mode === "apply" && h.apply) {
    parts.push(
      h.apply.dryRun
        ? `${h.apply.changes.length} change(s) to make`
        : h.apply.converged && h.apply.applied === 0
          ? "converged, nothing changed"
          : `${h.apply.applied} change(s) applied`,
    );
  }
  if (h.vnfs.length > 0) parts.push(`VNFs ${h.vnfs.map((v) => `${v.name} (${v.state})`).join(", ")}`);
  if (h.verify) parts.push(h.verify.ok ? "verified" : `${h.drift.length} drift`);
  if (h.message) parts.push(h.message);
  return `${h.host}: ${status}${parts.length ? `, ${parts.join("; ")}` : ""}`;
}

export function formatFleetRun(run: FleetRun, mode: "apply" | "verify" | "status", color: boolean): string {
  const lines = run.hosts.map((h) => hostLine(h, mode, color));
  for (const h of run.hosts) for (const d of h.drift) lines.push(`  ${h.host} drift: ${d}`);
  const n = (s: HostOutcome["status"]) => run.hosts.filter((h) => h.status === s).length;
  const drift = run.hosts.filter((h) => h.drift.length > 0).length;
  lines.push(
    `${run.hosts.length} hosts: ${n("ok")} ok, ${n("changed")} changed, ${n("failed")} failed, ${n("unreachable")} unreachable, ${n("skipped")} skipped; ${drift} with drift`,
  );
  return `${lines.join("\n")}\n`;
}
