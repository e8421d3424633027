/**
 * `nfvhost apply`: topology -> facts -> plan -> rendered desired state -> diff against the live
 * host -> (unless --dry-run) journaled, locked execution in the guide's order. A second run with
 * the same file finds nothing to do and says so.
 */
import { resolve } from "node:path";
import { Virsh } from "../libvirt/virsh.js";
import { Journal } from "../state/journal.js";
import { appliedPlanPath, loadAppliedPlan, saveAppliedPlan } from "../state/applied.js";
import { acquireHostLock, type LockInfo } from "../state/lock.js";
import { loadTopology } from "../topology/load.js";
import { NfvErrors } from "../util/errors.js";
import { computeChanges, type Change, type ChangeSet } from "./changes.js";
import { describeChange, executeChange, recordFileBefore, type ExecContext } from "./execute.js";
import { runChanges } from "./schedule.js";
import { REBOOT_ADVICE, type PendingReboot } from "../desired/preflight.js";
import type { Plan } from "../plan/types.js";
import { bindHost, prepare } from "../pipeline/index.js";

export {
  prepare,
  readLibvirt,
  readLive,
  type ApplyContext,
  type LibvirtSnapshot,
} from "../pipeline/index.js";

export { DEFAULT_STATE_DIR } from "../host/paths.js";

export interface ApplyOptions {
  topologyFile: string;
  connect: string;
  stateDir: string;
  /** Host root for facts, sysfs and files ("/" on a host; a snapshot copy in tests). */
  root: string;
  dryRun: boolean;
  /** VNF (or PF) names that may be stopped/redefined while running. */
  yes: string[];
  adopt: boolean;
  accel?: "kvm" | "tcg";
  allowUnlocked: boolean;
  stopTimeoutMs: number;
  env: Readonly<Record<string, string | undefined>>;
  /** listr2 renderer: "default" on a terminal, "simple" in logs, "silent" for --json. */
  renderer: "default" | "simple" | "silent";
  /** Test hook: called after each executed change (fault injection); never set by the CLI. */
  afterStep?: (c: Change, index: number) => Promise<void>;
  /**
   * Test hook: the libvirt adapter to use instead of `new Virsh(connect)` (fault injection between
   * two virsh calls of one step); never set by the CLI.
   */
  virsh?: Virsh;
  /**
   * Test and bench hook: domain steps in flight at once (default DOMAIN_CONCURRENCY; 1 runs them
   * one after another); never set by the CLI.
   */
  domainConcurrency?: number;
  /**
   * Test hook: under a snapshot root, run the host commands (boot loader) through the injected
   * process runner so they are recorded, instead of reporting them; never set by the CLI.
   */
  hostCommands?: boolean;
}

export interface ChangeView {
  kind: Change["kind"];
  name: string;
  summary: string;
  diff: string[];
}

export interface ApplyReport {
  topology: string;
  connect: string;
  dryRun: boolean;
  changes: ChangeView[];
  held: ChangeSet["held"];
  pending: PendingReboot[];
  warnings: string[];
  orphans: string[];
  notes: string[];
  /** Nothing to change and nothing held back. */
  converged: boolean;
  applied: number;
  journal: string | null;
  staleLock: LockInfo | null;
}

function nameOf(c: Change): string {
  switch (c.kind) {
    case "host":
      return c.setting.id;
    case "sysfs":
    case "file":
      return c.path;
    case "iso":
      return c.vnf;
    default:
      return c.name;
  }
}

export function viewOf(c: Change): ChangeView {
  const diff =
    c.kind === "sysfs"
      ? [`-${c.path} = ${c.from ?? "(absent)"}`, `+${c.path} = ${c.to}`]
      : c.kind === "iso"
        ? c.files.map((f) => `+${f.name} (${f.content.length} bytes)`)
        : c.diff;
  return { kind: c.kind, name: nameOf(c), summary: describeChange(c), diff };
}

/**
 * What waits for the operator: boot-loader commands not run under --root, and settings this run
 * changes that take full effect only at the next boot (SELinux to or from disabled). The kernel
 * arguments' own reboot is preflight's (it compares with the running kernel).
 */
function hostPending(set: ChangeSet): PendingReboot[] {
  const out: PendingReboot[] = set.deferred.map((d) => ({
    what: d.what,
    command: `on the host: ${d.command}`,
    onHost: true,
  }));
  for (const c of set.changes) {
    if (c.kind === "host" && c.setting.reboot && c.setting.id === "selinux-config")
      out.push({
        what: `${c.setting.what} (now: ${c.have}) takes full effect after a reboot`,
        command: REBOOT_ADVICE,
      });
  }
  return out;
}

/**
 * The plan this run leaves applied: a VNF whose definition was held back keeps the entry of the
 * plan applied before (none when it had none). Saving the new entry would make the next run with
 * --yes look like a drift fix, which rollback keeps instead of restoring the previous definition.
 */
export function appliedAfter(plan: Plan, before: Plan | null, held: ChangeSet["held"]): Plan {
  const heldVnfs = new Set(held.flatMap((h) => (h.domain ? [h.domain] : [])));
  if (heldVnfs.size === 0) return plan;
  const vnfs = plan.vnfs.flatMap((v) => {
    if (!heldVnfs.has(v.name)) return [v];
    const was = before?.vnfs.find((w) => w.name === v.name);
    return was ? [was] : [];
  });
  return { ...plan, vnfs };
}

/**
 * The host lock an apply takes. On this very host it is the libvirt URI alone, the key rollback
 * and destroy take too, so none of them runs beside an apply. A snapshot root (--root) is a host
 * of its own: its files are written under the root, so it does not share the live host's lock (a
 * fleet applies several roots on one machine at once).
 */
export function applyLockKey(uri: string, root: string): string {
  return root === "/" ? uri : `${uri}#root=${resolve(root)}`;
}

export async function applyTopology(opts: ApplyOptions): Promise<ApplyReport> {
  // Facts, host steps and libvirt must be one machine: refused before anything is read or changed.
  bindHost({ root: opts.root, connect: opts.connect, purpose: opts.dryRun ? "apply-dry-run" : "apply" });
  const virsh = opts.virsh ?? new Virsh(opts.connect);
  const pinging = virsh.ping();
  // The file is parsed and schema-checked (CPU work in this process) while libvirtd answers the
  // ping. It reads nothing of the host; its errors still come after the ping's and the lock's.
  const parsed = loadTopology(opts.topologyFile);
  parsed.catch(() => undefined); // awaited in prepare; unhandled if the ping or the lock fails
  // The lock is taken while libvirtd answers the ping (both wait on other processes); libvirtd
  // down is still what the user hears first, and the lock is let go before anything is read.
  const locking = opts.dryRun
    ? Promise.resolve(null)
    : acquireHostLock(applyLockKey(virsh.uri, opts.root), `nfvhost apply ${opts.topologyFile}`);
  // Awaited below, after the ping: a lock held elsewhere rejects first and must not go unhandled.
  locking.catch(() => undefined);
  try {
    await pinging;
  } catch (e) {
    await locking.then((l) => l?.release()).catch(() => undefined);
    throw e;
  }
  const lock = await locking;
  try {
    const ctx = await prepare({ ...opts, createState: !opts.dryRun, parsed }, virsh);
    if (ctx.pre.fatal.length > 0) {
      throw new NfvErrors(ctx.pre.fatal, "this host cannot run the topology as planned; nothing was changed");
    }
    const set = computeChanges(ctx.desired, ctx.live, {
      yes: new Set(opts.yes),
      adopt: opts.adopt,
      topologyName: ctx.parsed.topology.name,
      hostCommands: ctx.host.commands,
    });
    // A domain whose VNF plan is the one applied before is only brought back to it (drift).
    const applied = await loadAppliedPlan(opts.stateDir, ctx.parsed.topology.name);
    for (const c of set.changes) {
      if (c.kind !== "domain") continue;
      const was = applied?.vnfs.find((v) => v.name === c.name);
      const now = ctx.plan.vnfs.find((v) => v.name === c.name);
      c.driftFix = was !== undefined && now !== undefined && JSON.stringify(was) === JSON.stringify(now);
    }
    const report: ApplyReport = {
      topology: ctx.parsed.topology.name,
      connect: virsh.uri,
      dryRun: opts.dryRun,
      changes: set.changes.map(viewOf),
      held: set.held,
      pending: [...ctx.pre.pending, ...hostPending(set)],
      warnings: [...ctx.pre.warnings, ...ctx.plan.warnings],
      orphans: set.orphans,
      notes: [],
      converged: set.changes.length === 0 && set.held.length === 0,
      applied: 0,
      journal: null,
      staleLock: lock?.staleFrom ?? null,
    };
    if (opts.dryRun) return report;
    const appliedNow = appliedAfter(ctx.plan, applied, set.held);
    if (set.changes.length === 0) {
      await saveAppliedPlan(opts.stateDir, appliedNow);
      return report;
    }

    const journal = await new Journal(opts.stateDir).begin(opts.topologyFile, virsh.uri);
    report.journal = journal.journal.pathOf(journal.entry.id);
    const exec: ExecContext = {
      virsh,
      journal,
      host: ctx.host,
      root: opts.root,
      stateDir: opts.stateDir,
      stopTimeoutMs: opts.stopTimeoutMs,
      notes: report.notes,
    };
    // Guide's order across resource types; steps of different domains side by side (see
    // schedule.ts). The progress UI (listr2) is loaded only when there is something to execute.
    try {
      await runChanges(
        set.changes,
        async (c, i) => {
          await executeChange(c, exec);
          report.applied++;
          if (opts.afterStep) await opts.afterStep(c, i);
        },
        { renderer: opts.renderer, concurrency: opts.domainConcurrency },
      );
    } catch (e) {
      await journal.finish("failed", (e as Error).message);
      throw e;
    }
    const appliedItem = await recordFileBefore(
      exec,
      appliedPlanPath(opts.stateDir, ctx.parsed.topology.name),
    );
    await saveAppliedPlan(opts.stateDir, appliedNow);
    await journal.markDone(appliedItem);
    await journal.finish("complete");
    return report;
  } finally {
    await lock?.release();
  }
}
