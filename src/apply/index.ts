/**
 * `nfvhost apply`: topology -> facts -> plan -> rendered desired state -> diff against the live
 * host -> (unless --dry-run) journaled, locked execution in the guide's order. A second run with
 * the same file finds nothing to do and says so.
 */
import { discoverHost } from "../facts/discover.js";
import type { HostFacts } from "../facts/types.js";
import { readDomains, toDeployedVnf, type LiveDomain } from "../libvirt/deployed.js";
import { networkOwner } from "../libvirt/network-owner.js";
import type { NetworkListEntry } from "../libvirt/parse.js";
import { Virsh } from "../libvirt/virsh.js";
import { planDeployment } from "../plan/planner.js";
import type { Plan } from "../plan/types.js";
import { Journal } from "../state/journal.js";
import { appliedPlanPath, loadAppliedPlan, saveAppliedPlan } from "../state/applied.js";
import { acquireHostLock, type LockInfo } from "../state/lock.js";
import { loadTopology } from "../topology/load.js";
import type { ParsedTopology } from "../topology/types.js";
import { mapLimit, READ_CONCURRENCY } from "../util/concurrency.js";
import { NfvErrors } from "../util/errors.js";
import { computeChanges, type Change, type ChangeSet, type Desired, type LiveState } from "./changes.js";
import { renderDay0, saltSeed } from "./day0.js";
import { buildDesired } from "./desired.js";
import { describeChange, executeChange, recordFileBefore, type ExecContext } from "./execute.js";
import { readMaybe, readSysfs, underRoot } from "./host-files.js";
import { runChanges } from "./schedule.js";
import { memlockRaisable, preflight, type PendingReboot, type PreflightResult } from "./preflight.js";
import { TopologyDoesNotFit } from "../plan/misfit-error.js";
import { deployedFromPlan } from "../plan/deployed.js";

export const DEFAULT_STATE_DIR = "/var/lib/nfvhost";

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

export interface ApplyContext {
  parsed: ParsedTopology;
  facts: HostFacts;
  plan: Plan;
  pre: PreflightResult;
  desired: Desired;
  live: LiveState;
  /** The plan the last apply carried out, if any. */
  applied: Plan | null;
}

function nameOf(c: Change): string {
  switch (c.kind) {
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

/** What libvirt runs, read once per run: domains (with their XML), autostart flags, networks. */
export interface LibvirtSnapshot {
  domains: LiveDomain[];
  autostart: Set<string>;
  networks: NetworkListEntry[];
}

/** The three reads are independent: each its own virsh process, run side by side. */
export async function readLibvirt(virsh: Virsh): Promise<LibvirtSnapshot> {
  const [domains, autostart, networks] = await Promise.all([
    readDomains(virsh),
    // One `list --autostart` for every domain instead of one `dominfo` each.
    virsh.autostartDomains(),
    virsh.listNetworks(),
  ]);
  return { domains, autostart, networks };
}

/**
 * Live state for the diff. `snapshot` is what the caller already read from libvirt (prepare reads
 * it for the planner): reading libvirt once per run keeps plan and diff on the same snapshot and
 * saves a `list` plus one or two `dumpxml` per domain on the host.
 */
export async function readLive(
  virsh: Virsh,
  desired: Desired,
  root: string,
  snapshot?: LibvirtSnapshot,
): Promise<LiveState> {
  const { domains: listed, autostart, networks: netList } = snapshot ?? (await readLibvirt(virsh));
  const domains: LiveState["domains"] = new Map();
  for (const d of listed) domains.set(d.name, { ...d, autostart: autostart.has(d.name) });
  const networks: LiveState["networks"] = new Map();
  const wanted = netList.filter((n) => desired.networks.some((w) => w.name === n.name));
  const xmls = await mapLimit(wanted, READ_CONCURRENCY, (n) => virsh.netDumpXml(n.name, { inactive: true }));
  wanted.forEach((n, i) => {
    const xml = xmls[i]!;
    networks.set(n.name, {
      name: n.name,
      active: n.active,
      autostart: n.autostart,
      xml,
      managed: networkOwner(xml) !== null,
    });
  });
  const sysfs = new Map<string, string | null>();
  for (const s of desired.sysfs) sysfs.set(s.path, await readSysfs(root, s.path));
  const files = new Map<string, Buffer | null>();
  for (const f of desired.nm) files.set(f.path, await readMaybe(underRoot(root, f.path)));
  const isoDigests = new Map<string, string | null>();
  for (const iso of desired.isos) {
    const iso0 = await readMaybe(iso.path);
    const dig = await readMaybe(`${iso.path}.sha256`);
    isoDigests.set(iso.path, iso0 && dig ? dig.toString("utf8").trim() : null);
  }
  return { domains, networks, sysfs, files, isoDigests };
}

/** Everything up to the change set; shared by apply, --dry-run and verify. */
export async function prepare(
  opts: Pick<ApplyOptions, "topologyFile" | "root" | "stateDir" | "accel" | "allowUnlocked" | "env"> & {
    yes?: string[];
    createState?: boolean;
    /** The topology, when the caller started loading it already (apply does, during its ping). */
    parsed?: Promise<ParsedTopology>;
  },
  virsh: Virsh,
): Promise<ApplyContext> {
  // libvirt is read while the topology is validated and the host discovered (virsh runs in its
  // own processes); nothing here changes anything, and apply holds its lock already.
  const libvirt = readLibvirt(virsh);
  libvirt.catch(() => undefined); // awaited below; a bad topology file must not leave it unhandled
  const parsed = await (opts.parsed ?? loadTopology(opts.topologyFile));
  const facts = await discoverHost({ root: opts.root });
  const snapshot = await libvirt;
  const liveDomains = snapshot.domains;
  const applied = await loadAppliedPlan(opts.stateDir, parsed.topology.name);
  const byName = new Map(parsed.topology.vnfs.map((v) => [v.name, v]));
  // A VNF named in --yes whose size changed in the file is re-planned from scratch; otherwise it
  // keeps its place (and its hugepages are not counted twice).
  const replan = new Set(
    (opts.yes ?? []).filter((n) => {
      const spec = byName.get(n);
      const p = applied?.vnfs.find((v) => v.name === n);
      return !p || !spec || spec.vcpus !== p.vcpus || spec.memoryKiB !== p.memory.KiB;
    }),
  );
  // Running VNFs stay where the last apply put them (a hand re-pin is drift to undo); other
  // managed domains hold their CPUs too. A VNF named in --yes may be re-planned from scratch.
  const deployed = liveDomains
    .filter((d) => d.managed && d.state !== "shut off" && !replan.has(d.name))
    .map((d) => {
      const p = applied?.vnfs.find((v) => v.name === d.name);
      const now = toDeployedVnf(d, facts);
      // Where the last apply placed it; its VFs and MACs as they are now.
      return p ? { ...deployedFromPlan(p), vfs: now.vfs, macs: now.macs } : now;
    });
  const result = planDeployment(facts, parsed.topology, deployed);
  if (!result.ok) throw new TopologyDoesNotFit(result.problems, parsed);
  const plan = result.plan;
  const pre = await preflight(
    facts,
    plan,
    { accel: opts.accel, lab: parsed.topology.lab, allowUnlocked: opts.allowUnlocked, memlockRaisable },
    () => true,
  );
  const day0 = await renderDay0(plan, opts.env, await saltSeed(opts.stateDir, opts.createState ?? false));
  const desired = await buildDesired(plan, facts, pre, {
    uuids: Object.fromEntries(liveDomains.filter((d) => d.config.uuid).map((d) => [d.name, d.config.uuid!])),
    root: opts.root,
    stateDir: opts.stateDir,
    topologyName: parsed.topology.name,
    day0,
  });
  const live = await readLive(virsh, desired, opts.root, snapshot);
  return { parsed, facts, plan, pre, desired, live, applied };
}

export async function applyTopology(opts: ApplyOptions): Promise<ApplyReport> {
  const virsh = opts.virsh ?? new Virsh(opts.connect);
  const pinging = virsh.ping();
  // The file is parsed and schema-checked (CPU work in this process) while libvirtd answers the
  // ping. It reads nothing of the host; its errors still come after the ping's and the lock's.
  const parsed = loadTopology(opts.topologyFile);
  parsed.catch(() => undefined); // awaited in prepare; unhandled if the ping or the lock fails
  // libvirtd down: say so before anything is read or changed.
  await pinging;
  const lock = opts.dryRun ? null : await acquireHostLock(virsh.uri, `nfvhost apply ${opts.topologyFile}`);
  try {
    const ctx = await prepare({ ...opts, createState: !opts.dryRun, parsed }, virsh);
    if (ctx.pre.fatal.length > 0) {
      throw new NfvErrors(ctx.pre.fatal, "this host cannot run the topology as planned; nothing was changed");
    }
    const set = computeChanges(ctx.desired, ctx.live, {
      yes: new Set(opts.yes),
      adopt: opts.adopt,
      topologyName: ctx.parsed.topology.name,
    });
    // A domain whose VNF plan is the one applied before is only brought back to it (drift).
    for (const c of set.changes) {
      if (c.kind !== "domain") continue;
      const was = ctx.applied?.vnfs.find((v) => v.name === c.name);
      const now = ctx.plan.vnfs.find((v) => v.name === c.name);
      c.driftFix = was !== undefined && now !== undefined && JSON.stringify(was) === JSON.stringify(now);
    }
    const report: ApplyReport = {
      topology: ctx.parsed.topology.name,
      connect: virsh.uri,
      dryRun: opts.dryRun,
      changes: set.changes.map(viewOf),
      held: set.held,
      pending: ctx.pre.pending,
      warnings: [...ctx.pre.warnings, ...ctx.plan.warnings],
      orphans: set.orphans,
      notes: [],
      converged: set.changes.length === 0 && set.held.length === 0,
      applied: 0,
      journal: null,
      staleLock: lock?.staleFrom ?? null,
    };
    if (opts.dryRun) return report;
    if (set.changes.length === 0) {
      await saveAppliedPlan(opts.stateDir, ctx.plan);
      return report;
    }

    const journal = await new Journal(opts.stateDir).begin(opts.topologyFile, virsh.uri);
    report.journal = journal.journal.pathOf(journal.entry.id);
    const exec: ExecContext = {
      virsh,
      journal,
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
    await saveAppliedPlan(opts.stateDir, ctx.plan);
    await journal.markDone(appliedItem);
    await journal.finish("complete");
    return report;
  } finally {
    await lock?.release();
  }
}
