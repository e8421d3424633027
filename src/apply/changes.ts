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
}

function livePinDrift(want: DomainSummary, live: DomainSummary): PinFix[] {
  const out: PinFix[] = [];
  for (let v = 0; v < want.vcpus; v++) {
    const w = cpuset(want.vcpuPins[v]);
    const h = cpuset(live.vcpuPins[v]);
    if (w && w !== h) out.push({ vcpu: v, cpuset: w, live: h || "(unpinned)" });
  }
  const we = cpuset(want.emulatorPin);
  const he = cpuset(live.emulatorPin);
  if (we && we !== he) out.push({ vcpu: "emulator", cpuset: we, live: he || "(unpinned)" });
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

export function computeChanges(desired: Desired, live: LiveState, opts: ComputeOptions): ChangeSet {
  const { changes, deferred } = hostChanges(desired, live, opts);
  const held: HeldBack[] = [];

  for (const s of desired.sysfs) {
    const have = live.sysfs.get(s.path) ?? null;
    const haveN = have === null ? null : Number(have);
    const differs = s.rule === "at-least" ? haveN === null || haveN < s.value : haveN !== s.value;
    if (!differs) continue;
    if (s.owner && haveN !== null && haveN > 0 && !opts.yes.has(s.owner)) {
      held.push({
        what: `${s.what}: ${have} -> ${s.value}`,
        why: "changing a non-zero VF count removes every VF first (VMs using them lose their NIC)",
        fix: `re-run with --yes ${s.owner}`,
      });
      continue;
    }
    changes.push({ kind: "sysfs", path: s.path, from: have, to: String(s.value), what: s.what });
  }

  for (const f of desired.nm) {
    const have = live.files.get(f.path) ?? null;
    if (have && have.equals(f.content)) continue;
    changes.push({
      kind: "file",
      path: f.path,
      content: f.content,
      mode: f.mode,
      existed: have !== null,
      what: f.what,
      diff: lineDiff(have ? have.toString("utf8").split("\n") : [], f.content.toString("utf8").split("\n")),
    });
  }

  for (const iso of desired.isos) {
    const have = live.isoDigests.get(iso.path) ?? null;
    if (have === iso.digest) continue;
    changes.push({ kind: "iso", ...iso, existed: have !== null });
  }

  const heldNetworks = new Set<string>();
  for (const n of desired.networks) {
    const have = live.networks.get(n.name);
    const want = networkProjectionLines(parseNetworkXml(n.xml));
    if (!have) {
      changes.push({
        kind: "network",
        name: n.name,
        xml: n.xml,
        define: true,
        start: true,
        autostart: true,
        beforeXml: null,
        beforeActive: null,
        beforeAutostart: null,
        diff: n.xml
          .trimEnd()
          .split("\n")
          .map((l) => `+${l}`),
      });
      continue;
    }
    const haveNet = parseNetworkXml(have.xml);
    const haveLines = networkProjectionLines(haveNet);
    const same = want.join("\n") === haveLines.join("\n");
    if (!have.managed && !opts.adopt) {
      // Someone else's network: usable as it is when it already says what the plan says, never
      // redefined, started or switched to autostart without consent.
      if (same && have.active) continue;
      heldNetworks.add(n.name);
      held.push({
        what: `network ${n.name}`,
        why: `exists but was not created by nfvhost (no nfvhost metadata) and ${
          same ? "is not active" : `differs from the plan (${lineDiff(haveLines, want).join("; ")})`
        }; it is never redefined, started or set to autostart without consent`,
        fix: `rename the network in the topology, or re-run with --adopt to let nfvhost take it over (its XML is journaled first; nfvhost rollback restores it)`,
      });
      continue;
    }
    // Adopting writes nfvhost's mark, so the next run knows the network as its own.
    const define = !same || !have.managed;
    if (define || !have.active || !have.autostart) {
      changes.push({
        kind: "network",
        name: n.name,
        xml: haveNet.uuid ? withNetworkUuid(n.xml, haveNet.uuid) : n.xml,
        define,
        start: !have.active,
        autostart: !have.autostart,
        beforeXml: have.xml,
        beforeActive: have.active,
        beforeAutostart: have.autostart,
        diff: define
          ? same
            ? ["+/network/metadata/nfvhost:network (adopted)"]
            : lineDiff(haveLines, want)
          : [],
      });
    }
  }

  for (const d of desired.domains) {
    const want = parseDomainXml(d.xml);
    const have = live.domains.get(d.name);
    const blocked = want.interfaces.find((i) => i.type === "network" && heldNetworks.has(i.source ?? ""));
    if (blocked) {
      held.push({
        domain: d.name,
        what: `domain ${d.name}`,
        why: `its interface uses network ${blocked.source}, which is held back (see above)`,
        fix: `resolve network ${blocked.source} first`,
      });
      continue;
    }
    if (!have) {
      changes.push({
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
        diff: d.xml
          .trimEnd()
          .split("\n")
          .map((l) => `+${l}`),
      });
      continue;
    }
    if (!have.managed && !opts.adopt) {
      held.push({
        domain: d.name,
        what: `domain ${d.name}`,
        why: "exists but was not created by nfvhost (no nfvhost metadata); it is never touched without consent",
        fix: `rename the VNF in the topology, or re-run with --adopt${have.state === "running" ? ` --yes ${d.name}` : ""} to take it over`,
      });
      continue;
    }
    const running = have.state !== "shut off";
    const wantLines = projectionLines(want);
    const configLines = projectionLines(have.config);
    const configDrift = wantLines.join("\n") !== configLines.join("\n") || !have.managed;
    const diff = configDrift ? lineDiff(configLines, wantLines) : [];
    let define = configDrift;
    let restart = false;
    let repins = running ? livePinDrift(want, have.summary) : [];
    if (configDrift && running) {
      if (have.managed && pinOnlyDrift(want, have.config)) {
        // vcpupin/emulatorpin --live --config fixes both the config and the running domain.
        define = false;
        const cfgPins = livePinDrift(want, have.config);
        for (const p of cfgPins) if (!repins.some((r) => r.vcpu === p.vcpu)) repins.push(p);
      } else if (opts.yes.has(d.name)) {
        restart = true;
        repins = [];
      } else {
        held.push({
          domain: d.name,
          what: `domain ${d.name} (running): ${diff.filter((l) => l.startsWith("+")).length} setting(s) differ`,
          why: "a running VM is never stopped or redefined without consent",
          fix: `re-run with --yes ${d.name} (it is shut down and started with the new definition)`,
        });
        define = false;
      }
    }
    const start = !running || restart;
    // verify counts a paused VNF as drift; apply resumes it (a restart starts it afresh anyway).
    const resume = have.state === "paused" && !restart;
    const autostart = have.autostart !== d.autostart ? d.autostart : null;
    if (define || repins.length > 0 || start || resume || autostart !== null) {
      changes.push({
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
      });
    }
  }

  const wanted = new Set(desired.domains.map((d) => d.name));
  const orphans = [...live.domains.values()]
    .filter((d) => d.managed && d.config.metadata?.topology === opts.topologyName && !wanted.has(d.name))
    .map((d) => d.name);
  return { changes, held, orphans, deferred };
}
