/**
 * The change set: desired state (rendered from the plan) against live state (read from libvirt,
 * sysfs and files), computed before anything is touched. It is what `apply --dry-run` prints and
 * what apply executes, in the guide's order: hugepages, VFs, NetworkManager, libvirt networks,
 * day-0 ISOs, domains.
 */
import { structuredPatch } from "diff";
import {
  networkProjectionLines,
  parseDomainXml,
  parseNetworkXml,
  projectionLines,
  type DomainSummary,
  type NetworkSummary,
} from "../libvirt/domain-xml.js";
import { withNetworkUuid } from "../libvirt/network-owner.js";
import type {
  Desired,
  DesiredDomain,
  DesiredFile,
  DesiredNetwork,
  DesiredSysfs,
  LiveNetwork,
  LiveState,
} from "../desired/types.js";
import { commandText, settingCommands, type HostSetting } from "../host/settings.js";

export type { Desired, DesiredDomain, DesiredFile, DesiredNetwork, DesiredSysfs, LiveNetwork, LiveState };

export type Change =
  | { kind: "host"; setting: HostSetting; have: string; diff: string[] }
  | { kind: "sysfs"; path: string; from: string | null; to: string; what: string }
  | {
      kind: "file";
      path: string;
      content: Buffer;
      mode: number;
      existed: boolean;
      what: string;
      diff: string[];
    }
  | {
      kind: "iso";
      vnf: string;
      path: string;
      label: string;
      files: { name: string; content: Buffer }[];
      dirs?: string[];
      digest: string;
      existed: boolean;
    }
  | {
      kind: "network";
      name: string;
      xml: string;
      define: boolean;
      start: boolean;
      autostart: boolean;
      beforeXml: string | null;
      beforeActive: boolean | null;
      beforeAutostart: boolean | null;
      diff: string[];
    }
  | {
      kind: "domain";
      name: string;
      xml: string;
      /** Create this overlay (when missing) before defining the domain. */
      overlay?: { path: string; base: string };
      /** Redefine the persistent config (new domain, or config drift). */
      define: boolean;
      /** Running and redefined: stop and start it again (only with --yes NAME). */
      restart: boolean;
      /** Live pinning to correct without a restart: vcpu index, or "emulator". */
      repins: PinFix[];
      /** Set by apply: the VNF's plan is the one applied before, so this corrects drift. */
      driftFix?: boolean;
      start: boolean;
      /** Paused (by hand, or by libvirt on an I/O error): a paused VNF forwards nothing. */
      resume?: boolean;
      autostart: boolean | null;
      beforeXml: string | null;
      beforeState: string | null;
      beforeAutostart: boolean | null;
      diff: string[];
    };

/** A change that was not made because it needs explicit consent or a human. */
export interface HeldBack {
  what: string;
  why: string;
  fix: string;
  /** The VNF whose domain definition was held back (not applied): its plan is not the applied one. */
  domain?: string;
}

export interface ChangeSet {
  changes: Change[];
  held: HeldBack[];
  /** Managed domains of this topology that the file no longer lists: reported, never touched. */
  orphans: string[];
  /**
   * Boot-loader commands not run because the host settings act on a snapshot root (they would
   * change this machine's boot loader): the operator runs them on the host.
   */
  deferred: { what: string; command: string }[];
}

export interface ComputeOptions {
  /** VNF names allowed to be stopped/redefined while running (--yes NAME...). */
  yes: Set<string>;
  adopt: boolean;
  topologyName: string;
  /** Host commands (boot loader) may run; false under a snapshot root (they are deferred). */
  hostCommands?: boolean;
}

function lineDiff(before: string[], after: string[]): string[] {
  const p = structuredPatch("live", "desired", `${before.join("\n")}\n`, `${after.join("\n")}\n`, "", "", {
    context: 0,
  });
  const out: string[] = [];
  for (const h of p.hunks) for (const l of h.lines) if (l.startsWith("+") || l.startsWith("-")) out.push(l);
  return out;
}

const cpuset = (a: number[] | null | undefined) => (a && a.length ? a.join(",") : "");

/** Config drift that the live pinning API can fix without a restart. */
function pinOnlyDrift(want: DomainSummary, have: DomainSummary): boolean {
  const strip = (s: DomainSummary) =>
    projectionLines(s)
      .filter((l) => !l.startsWith("/domain/cputune/"))
      .join("\n");
  return strip(want) === strip(have);
}

export interface PinFix {
  vcpu: number | "emulator";
  cpuset: string;
  /** What it is now, for the message. */
  live: string;
  /** What it is now as a cpulist virsh takes back on rollback; null when it is not pinned. */
  was: string | null;
}

function livePinDrift(want: DomainSummary, live: DomainSummary): PinFix[] {
  const out: PinFix[] = [];
  for (let v = 0; v < want.vcpus; v++) {
    const w = cpuset(want.vcpuPins[v]);
    const h = cpuset(live.vcpuPins[v]);
    if (w && w !== h) out.push({ vcpu: v, cpuset: w, live: h || "(unpinned)", was: h || null });
  }
  const we = cpuset(want.emulatorPin);
  const he = cpuset(live.emulatorPin);
  if (we && we !== he) out.push({ vcpu: "emulator", cpuset: we, live: he || "(unpinned)", was: he || null });
  return out;
}

/** The lines a host setting's change shows: the file's diff, the value, the commands. */
function hostDiff(s: HostSetting, r: { have: string; before?: string | null; after?: string }): string[] {
  if (r.after !== undefined) {
    return lineDiff(
      r.before ? r.before.replace(/\n$/, "").split("\n") : [],
      r.after.replace(/\n$/, "").split("\n"),
    );
  }
  switch (s.kind) {
    case "runtime":
      return [`-${s.path} = ${r.have}`, `+${s.path} = ${s.value}`];
    case "service":
      return [`-${s.unit}: ${r.have}`, `+${s.unit}: not enabled, inactive`];
    case "move-aside":
      return r.have.split(", ").map((n) => `~ ${s.dir}/${n} -> ${s.to}/${n}`);
    case "mount":
      return [`+mount -t ${s.fstype} -o ${s.options} ${s.source} ${s.target}`];
    default:
      return settingCommands(s).map((c) => `+run: ${commandText(c)}`);
  }
}

/**
 * Host settings that differ. A boot-loader regeneration also follows a change of its inputs in
 * the same run; under a snapshot root it is deferred (reported, not run).
 */
function hostChanges(
  desired: Desired,
  live: LiveState,
  opts: ComputeOptions,
): Pick<ChangeSet, "changes" | "deferred"> {
  const changes: Change[] = [];
  const deferred: ChangeSet["deferred"] = [];
  const changedPaths = new Set<string>();
  for (const s of desired.host ?? []) {
    const r = live.host?.get(s.id);
    if (!r) continue;
    const inputChanged = s.kind === "boot" && s.inputs.some((p) => changedPaths.has(p));
    if (r.ok && !inputChanged) continue;
    if ((s.kind === "boot" || s.kind === "grubby") && !opts.hostCommands) {
      deferred.push({
        what: `${s.what}: not run under --root (it would change this machine's boot loader)`,
        command: settingCommands(s).map(commandText).join(" && "),
      });
      continue;
    }
    if ("path" in s) changedPaths.add(s.path);
    changes.push({ kind: "host", setting: s, have: r.have, diff: hostDiff(s, r) });
  }
  return { changes, deferred };
}

/** What every stage of one change set reads, and where it records: built once per computeChanges call. */
interface ChangeContext {
  desired: Desired;
  live: LiveState;
  opts: ComputeOptions;
  changes: Change[];
  held: HeldBack[];
  /** Networks held back: a domain on one of them waits for it. */
  heldNetworks: Set<string>;
}

export function computeChanges(desired: Desired, live: LiveState, opts: ComputeOptions): ChangeSet {
  const { changes, deferred } = hostChanges(desired, live, opts);
  const ctx: ChangeContext = { desired, live, opts, changes, held: [], heldNetworks: new Set() };
  // The guide's order: a later stage may rely on what an earlier one converged.
  setSysfsValues(ctx);
  writeKeyfiles(ctx);
  rebuildDay0Isos(ctx);
  for (const n of desired.networks) convergeNetwork(ctx, n);
  for (const d of desired.domains) convergeDomain(ctx, d);
  return { changes, held: ctx.held, orphans: orphansOfTopology(ctx), deferred };
}

/** Hugepage pools and VF counts; a VF count that is not zero changes only with consent. */
function setSysfsValues(ctx: ChangeContext): void {
  for (const s of ctx.desired.sysfs) {
    const have = ctx.live.sysfs.get(s.path) ?? null;
    const haveN = have === null ? null : Number(have);
    const differs = s.rule === "at-least" ? haveN === null || haveN < s.value : haveN !== s.value;
    if (!differs) continue;
    if (s.owner && haveN !== null && haveN > 0 && !ctx.opts.yes.has(s.owner)) {
      ctx.held.push({
        what: `${s.what}: ${have} -> ${s.value}`,
        why: "changing a non-zero VF count removes every VF first (VMs using them lose their NIC)",
        fix: `re-run with --yes ${s.owner}`,
      });
      continue;
    }
    ctx.changes.push({ kind: "sysfs", path: s.path, from: have, to: String(s.value), what: s.what });
  }
}

/** NetworkManager keyfiles whose bytes differ from the plan's. */
function writeKeyfiles(ctx: ChangeContext): void {
  for (const f of ctx.desired.nm) {
    const have = ctx.live.files.get(f.path) ?? null;
    if (have && have.equals(f.content)) continue;
    ctx.changes.push({
      kind: "file",
      path: f.path,
      content: f.content,
      mode: f.mode,
      existed: have !== null,
      what: f.what,
      diff: lineDiff(have ? have.toString("utf8").split("\n") : [], f.content.toString("utf8").split("\n")),
    });
  }
}

/** Day-0 ISOs whose recorded digest is not the one the plan's day-0 builds. */
function rebuildDay0Isos(ctx: ChangeContext): void {
  for (const iso of ctx.desired.isos) {
    const have = ctx.live.isoDigests.get(iso.path) ?? null;
    if (have === iso.digest) continue;
    ctx.changes.push({ kind: "iso", ...iso, existed: have !== null });
  }
}

/** What one planned libvirt network needs: defined and started anew, held, or brought back. */
function convergeNetwork(ctx: ChangeContext, n: DesiredNetwork): void {
  const have = ctx.live.networks.get(n.name);
  if (!have) {
    ctx.changes.push({
      kind: "network",
      name: n.name,
      xml: n.xml,
      define: true,
      start: true,
      autostart: true,
      beforeXml: null,
      beforeActive: null,
      beforeAutostart: null,
      diff: plusLines(n.xml),
    });
    return;
  }
  const net: NetworkAtHand = { want: n, have, live: parseNetworkXml(have.xml) };
  if (!have.managed && !ctx.opts.adopt) holdForeignNetwork(ctx, net);
  else refreshNetwork(ctx, net);
}

/** A planned network and the one libvirt has of that name. */
interface NetworkAtHand {
  want: DesiredNetwork;
  have: LiveNetwork;
  live: NetworkSummary;
}

const networkLines = (net: NetworkAtHand) => ({
  want: networkProjectionLines(parseNetworkXml(net.want.xml)),
  have: networkProjectionLines(net.live),
});

/**
 * Someone else's network: usable as it is when it already says what the plan says, never
 * redefined, started or switched to autostart without consent.
 */
function holdForeignNetwork(ctx: ChangeContext, net: NetworkAtHand): void {
  const lines = networkLines(net);
  const same = lines.want.join("\n") === lines.have.join("\n");
  if (same && net.have.active) return;
  const name = net.want.name;
  ctx.heldNetworks.add(name);
  ctx.held.push({
    what: `network ${name}`,
    why: `exists but was not created by nfvhost (no nfvhost metadata) and ${
      same ? "is not active" : `differs from the plan (${lineDiff(lines.have, lines.want).join("; ")})`
    }; it is never redefined, started or set to autostart without consent`,
    fix: `rename the network in the topology, or re-run with --adopt to let nfvhost take it over (its XML is journaled first; nfvhost rollback restores it)`,
  });
}

/** nfvhost's network (or one adopted now): redefined on drift, started, set to autostart. */
function refreshNetwork(ctx: ChangeContext, net: NetworkAtHand): void {
  const { have } = net;
  const lines = networkLines(net);
  const same = lines.want.join("\n") === lines.have.join("\n");
  // Adopting writes nfvhost's mark, so the next run knows the network as its own.
  const define = !same || !have.managed;
  if (!define && have.active && have.autostart) return;
  ctx.changes.push({
    kind: "network",
    name: net.want.name,
    xml: net.live.uuid ? withNetworkUuid(net.want.xml, net.live.uuid) : net.want.xml,
    define,
    start: !have.active,
    autostart: !have.autostart,
    beforeXml: have.xml,
    beforeActive: have.active,
    beforeAutostart: have.autostart,
    diff: define
      ? same
        ? ["+/network/metadata/nfvhost:network (adopted)"]
        : lineDiff(lines.have, lines.want)
      : [],
  });
}

const plusLines = (xml: string) =>
  xml
    .trimEnd()
    .split("\n")
    .map((l) => `+${l}`);

/** A planned domain and the one libvirt has of that name. */
interface DomainAtHand {
  want: DesiredDomain;
  parsed: DomainSummary;
  have: NonNullable<ReturnType<LiveState["domains"]["get"]>>;
}

/** What one planned domain needs: defined anew, held, redefined, re-pinned, started or resumed. */
function convergeDomain(ctx: ChangeContext, d: DesiredDomain): void {
  const parsed = parseDomainXml(d.xml);
  const have = ctx.live.domains.get(d.name);
  if (waitsForHeldNetwork(ctx, d, parsed)) return;
  if (!have) {
    ctx.changes.push(newDomain(d));
    return;
  }
  const dom: DomainAtHand = { want: d, parsed, have };
  if (!have.managed && !ctx.opts.adopt) {
    holdForeignDomain(ctx, dom);
    return;
  }
  const fix = decideDomainFix(ctx, dom);
  if (fix) ctx.changes.push(fix);
}

function waitsForHeldNetwork(ctx: ChangeContext, d: DesiredDomain, parsed: DomainSummary): boolean {
  const blocked = parsed.interfaces.find((i) => i.type === "network" && ctx.heldNetworks.has(i.source ?? ""));
  if (!blocked) return false;
  ctx.held.push({
    domain: d.name,
    what: `domain ${d.name}`,
    why: `its interface uses network ${blocked.source}, which is held back (see above)`,
    fix: `resolve network ${blocked.source} first`,
  });
  return true;
}

function newDomain(d: DesiredDomain): Change {
  return {
    kind: "domain",
    name: d.name,
    xml: d.xml,
    ...(d.overlay ? { overlay: d.overlay } : {}),
    define: true,
    restart: false,
    repins: [],
    start: true,
    autostart: d.autostart,
    beforeXml: null,
    beforeState: null,
    beforeAutostart: null,
    diff: plusLines(d.xml),
  };
}

/** Someone else's domain of the VNF's name: adopting a running one also needs consent to restart it. */
function holdForeignDomain(ctx: ChangeContext, { want, have }: DomainAtHand): void {
  ctx.held.push({
    domain: want.name,
    what: `domain ${want.name}`,
    why: "exists but was not created by nfvhost (no nfvhost metadata); it is never touched without consent",
    fix: `rename the VNF in the topology, or re-run with --adopt${have.state === "running" ? ` --yes ${want.name}` : ""} to take it over`,
  });
}

/** How a domain that differs from the plan is brought to it while it runs, or why it is not. */
interface Redefinition {
  define: boolean;
  restart: boolean;
  repins: PinFix[];
  diff: string[];
  /** Waits for --yes NAME (reported in the held list). */
  held?: boolean;
}

/** The change that brings a domain nfvhost may touch to the plan, or null when it is there. */
function decideDomainFix(ctx: ChangeContext, dom: DomainAtHand): Change | null {
  const { want: d, have } = dom;
  const running = have.state !== "shut off";
  const { define, restart, repins, diff, held } = decideRedefinition(ctx, dom, running);
  // Someone else's running VM adopted without --yes stays theirs until the takeover is done:
  // re-pinned or set to autostart now, it would serve the plan while still being their domain.
  if (held && !have.managed) return null;
  const start = !running || restart;
  // verify counts a paused VNF as drift; apply resumes it (a restart starts it afresh anyway).
  const resume = have.state === "paused" && !restart;
  const autostart = have.autostart !== d.autostart ? d.autostart : null;
  if (!define && repins.length === 0 && !start && !resume && autostart === null) return null;
  return {
    kind: "domain",
    name: d.name,
    xml: d.xml,
    ...(d.overlay ? { overlay: d.overlay } : {}),
    define,
    restart,
    repins,
    start,
    ...(resume ? { resume } : {}),
    autostart,
    beforeXml: have.configXml,
    beforeState: have.state,
    beforeAutostart: have.autostart,
    diff: define
      ? diff
      : repins.map(
          (r) =>
            `~ live ${r.vcpu === "emulator" ? "emulatorpin" : `vcpupin ${r.vcpu}`}: ${r.live} -> ${r.cpuset}`,
        ),
  };
}

/**
 * Config drift of a running domain: pins alone are fixed live, anything else needs --yes NAME
 * (a stop and a start) and is held without it.
 */
function decideRedefinition(
  ctx: ChangeContext,
  { want: d, parsed: want, have }: DomainAtHand,
  running: boolean,
): Redefinition {
  const wantLines = projectionLines(want);
  const configLines = projectionLines(have.config);
  const configDrift = wantLines.join("\n") !== configLines.join("\n") || !have.managed;
  const diff = configDrift ? lineDiff(configLines, wantLines) : [];
  const repins = running ? livePinDrift(want, have.summary) : [];
  if (!configDrift || !running) return { define: configDrift, restart: false, repins, diff };
  if (have.managed && pinOnlyDrift(want, have.config)) {
    // vcpupin/emulatorpin --live --config fixes both the config and the running domain.
    for (const p of livePinDrift(want, have.config))
      if (!repins.some((r) => r.vcpu === p.vcpu)) repins.push(p);
    return { define: false, restart: false, repins, diff };
  }
  if (ctx.opts.yes.has(d.name)) return { define: true, restart: true, repins: [], diff };
  ctx.held.push({
    domain: d.name,
    what: `domain ${d.name} (running): ${diff.filter((l) => l.startsWith("+")).length} setting(s) differ`,
    why: "a running VM is never stopped or redefined without consent",
    fix: `re-run with --yes ${d.name} (it is shut down and started with the new definition)`,
  });
  return { define: false, restart: false, repins, diff, held: true };
}

/** Managed domains of this topology that the file no longer lists: reported, never touched. */
function orphansOfTopology(ctx: ChangeContext): string[] {
  const wanted = new Set(ctx.desired.domains.map((d) => d.name));
  return [...ctx.live.domains.values()]
    .filter((d) => d.managed && d.config.metadata?.topology === ctx.opts.topologyName && !wanted.has(d.name))
    .map((d) => d.name);
}
