/**
 * Carries out a change set, one journaled step at a time. Each step records what was there
 * before it runs; a libvirt step that fails is undone on the spot (a half-created domain is
 * removed, a redefined one gets its previous XML and state back), so the host is either as it
 * was or resumable by running apply again. Disks are never deleted.
 */
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { buildIso } from "../render/iso.js";
import { ensureOverlay } from "./overlay.js";
import { basename, dirname, join } from "node:path";
import type { Virsh } from "../libvirt/virsh.js";
import type { DomainStep, JournalItem, JournalRun } from "../state/journal.js";
import { parseDomainXml, projectionLines } from "../libvirt/domain-xml.js";
import { NfvError } from "../util/errors.js";
import { run, runChecked } from "../util/exec.js";
import { makePrivateWorkDir, writeNewFile } from "../util/private-files.js";
import type { Change } from "./changes.js";
import { serialLogPath } from "../desired/desired.js";
import { day0ImageDigestPath } from "../desired/day0.js";
import { readMaybe, resolveInRoot, sha256, writeFileAtomic, writeSysfs } from "../host/files.js";
import { hostExecutor, type HostExecutor } from "../host/executor.js";

/** virsh's cpulist for "every physical CPU" (`virsh vcpupin NAME VCPU r`): how a pin is undone. */
const ALL_HOST_CPUS = "r";
import { applySetting, captureUndo, type HostUndo } from "../host/settings.js";

export interface ExecContext {
  virsh: Virsh;
  journal: JournalRun;
  root: string;
  stateDir: string;
  stopTimeoutMs: number;
  /** Where host settings act (default: `root`, commands only on this machine). */
  host?: HostExecutor;
  /** Lines for the report: what was done besides the change itself (fallbacks, restores). */
  notes: string[];
}

export function describeChange(c: Change): string {
  switch (c.kind) {
    case "host":
      return `${c.setting.what} (now: ${c.have})`;
    case "sysfs":
      return `${c.what}: ${c.path} ${c.from ?? "(absent)"} -> ${c.to}`;
    case "file":
      return `${c.existed ? "update" : "write"} ${c.path} (${c.what})`;
    case "iso":
      return `${c.existed ? "rebuild" : "build"} day-0 ISO ${c.path} for ${c.vnf} (${c.files.map((f) => f.name).join(", ")})`;
    case "network": {
      const steps = [
        c.define ? (c.beforeXml ? "redefine" : "define") : null,
        c.start ? "start" : null,
        c.autostart ? "autostart" : null,
      ];
      return `network ${c.name}: ${steps.filter(Boolean).join(", ")}`;
    }
    case "domain": {
      const steps = [
        c.restart ? "shut down" : null,
        c.define ? (c.beforeXml ? "redefine" : "define") : null,
        c.repins.length
          ? `re-pin ${c.repins.map((r) => (r.vcpu === "emulator" ? `emulator->${r.cpuset}` : `vCPU${r.vcpu}->${r.cpuset}`)).join(" ")}`
          : null,
        c.start ? "start" : null,
        c.resume ? "resume (it was paused)" : null,
        c.autostart === null ? null : c.autostart ? "autostart on" : "autostart off",
      ];
      return `domain ${c.name}: ${steps.filter(Boolean).join(", ")}`;
    }
  }
}

async function nmRunning(): Promise<boolean> {
  try {
    const r = await run("nmcli", ["-t", "-f", "RUNNING", "general"]);
    return r.code === 0 && r.stdout.trim() === "running";
  } catch {
    return false;
  }
}

async function buildDay0Iso(c: Extract<Change, { kind: "iso" }>): Promise<void> {
  // The day-0 files hold secrets: a 0700 work directory beside the image (not /tmp, so a killed
  // run's leftovers are found and removed by the next run there), each file created 0600.
  const work = await makePrivateWorkDir(dirname(c.path), "day0");
  try {
    const files: { source: string; as: string }[] = [];
    for (const [i, f] of c.files.entries()) {
      // Flat names in the work dir: the path inside the image is buildIso's to check.
      const p = join(work, `${i}-${basename(f.name)}`);
      await writeNewFile(p, f.content, 0o600);
      files.push({ source: p, as: f.name });
    }
    await buildIso(c.path, c.label, files, c.dirs ?? []);
    await writeFileAtomic(`${c.path}.sha256`, `${c.digest}\n`, 0o644);
    // The built image's own digest: verify proves the ISO with it, without the day-0 secrets.
    const image = sha256(await readFile(c.path));
    await writeFileAtomic(day0ImageDigestPath(c.path), `${image}  ${basename(c.path)}\n`, 0o644);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function backupFile(ctx: ExecContext, path: string): Promise<string | null> {
  const before = await readMaybe(path);
  if (before === null) return null;
  const dir = join(ctx.journal.journal.dir, ctx.journal.entry.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const backup = join(dir, `${sha256(path).slice(0, 12)}-${basename(path)}`);
  await copyFile(path, backup);
  return backup;
}

type DomainItem = Extract<JournalItem, { kind: "domain" }>;

/** Whether the domain libvirt has now carries the definition this item wrote. */
async function holdsItsDefinition(virsh: Virsh, item: DomainItem): Promise<boolean> {
  if (!item.xml) return false;
  const now = await virsh.dumpXml(item.name, { inactive: true });
  return (
    projectionLines(parseDomainXml(now)).join("\n") === projectionLines(parseDomainXml(item.xml)).join("\n")
  );
}

/**
 * Undoes one journaled domain change: only what that run did, newest sub-step first.
 * `happened`: the sub-steps known to have finished (the run's own catch knows them exactly);
 * null after a kill, when every started sub-step may have happened: each undo below is safe to
 * run when its step did not happen, except removing a new domain, which is done only when the
 * domain now carries the definition this run wrote. Returns what it did, for the report.
 */
export async function undoDomain(
  virsh: Virsh,
  item: DomainItem,
  happened: ReadonlySet<DomainStep> | null,
): Promise<string> {
  const steps = new Set<DomainStep>(happened ?? item.steps ?? (item.done ? ["define", "start"] : []));
  const { name, beforeXml, beforeState, beforeAutostart } = item;
  const exists = await virsh.domainExists(name);
  if (beforeXml === null) {
    // Nothing of this run to undo unless its define went through: a define refused because a
    // domain of that name exists must leave that domain alone.
    if (!steps.has("define") || !exists) return `${name}: nothing to undo (this run did not create it)`;
    if (happened === null && !(await holdsItsDefinition(virsh, item))) {
      return `${name}: left as it is (its definition is not the one that run wrote)`;
    }
    const running = (await virsh.domState(name)) !== "shut off";
    if (running) await virsh.destroy(name);
    await virsh.undefine(name);
    return `removed ${name}, which ${item.done ? "that run created" : "this run had defined"}${running ? " (it was running)" : ""}; no disk was touched`;
  }
  // What was done, in the order it was done: the note is read as the story of the undo.
  const did: string[] = [];
  const wasRunning = beforeState !== null && beforeState !== "shut off";
  let state = exists ? await virsh.domState(name) : "shut off";
  // Running on the definition this run wrote: the old one takes effect only by a restart.
  if (state !== "shut off" && steps.has("define") && steps.has("start")) {
    await virsh.destroy(name);
    state = "shut off";
    did.push("stopped it (it ran the definition that run wrote)");
  } else if (state !== "shut off" && !wasRunning && steps.has("start")) {
    await virsh.destroy(name);
    state = "shut off";
    did.push("stopped it (that run had started it)");
  }
  if (steps.has("repin") && state !== "shut off") {
    for (const p of item.repins ?? []) {
      if (p.vcpu === "emulator") await virsh.setEmulatorpin(name, p.before, true);
      else await virsh.setVcpupin(name, p.vcpu, p.before, true);
    }
    if ((item.repins ?? []).length > 0) {
      did.push(
        `re-pinned it live ${(item.repins ?? []).map((p) => `${p.vcpu === "emulator" ? "emulator" : `vCPU${p.vcpu}`}->${p.before === ALL_HOST_CPUS ? "all host CPUs (unpinned)" : p.before}`).join(" ")}`,
      );
    }
  }
  if (steps.has("define") || steps.has("repin") || !exists) {
    await virsh.define(name, beforeXml);
    did.push("restored its previous definition");
  }
  if (wasRunning && state === "shut off") {
    await virsh.start(name);
    did.push("started it again");
  }
  if (beforeAutostart !== null && (steps.has("autostart") || !exists)) {
    await virsh.autostart(name, beforeAutostart);
    did.push(`set autostart ${beforeAutostart ? "on" : "off"} again`);
  }
  return did.length > 0 ? `${name}: ${did.join(", ")}` : `${name}: nothing of that run to undo`;
}

async function applyDomain(c: Extract<Change, { kind: "domain" }>, ctx: ExecContext): Promise<void> {
  const { virsh } = ctx;
  const item = await ctx.journal.record({
    kind: "domain",
    name: c.name,
    beforeXml: c.beforeXml,
    beforeState: c.beforeState,
    beforeAutostart: c.beforeAutostart,
    action: describeChange(c),
    done: false,
    steps: [],
    xml: c.define ? c.xml : null,
    // An unpinned vCPU goes back to every host CPU: virsh's cpulist "r".
    repins: c.repins.map((p) => ({ vcpu: p.vcpu, before: p.was ?? ALL_HOST_CPUS, after: p.cpuset })),
    driftFix: c.driftFix ?? false,
  });
  const happened = new Set<DomainStep>();
  const step = async (s: DomainStep, fn: () => Promise<void>) => {
    await ctx.journal.step(item, s);
    // A re-pin counts as begun once started: half the vCPUs may have moved.
    if (s === "repin") happened.add(s);
    await fn();
    happened.add(s);
  };
  try {
    // virtlogd writes the serial console log here; qemu (as libvirt-qemu) must reach the ISO.
    await mkdir(dirname(serialLogPath(ctx.stateDir, c.name)), { recursive: true, mode: 0o755 });
    if (c.restart) {
      await step("stop", async () => {
        const how = await virsh.stop(c.name, ctx.stopTimeoutMs);
        ctx.notes.push(
          `${c.name}: ${how === "shutdown" ? "shut down" : "stopped (destroy) after the shutdown timeout"} to apply the new definition`,
        );
      });
    }
    if (c.overlay && (c.define || c.start)) {
      if (await ensureOverlay(c.overlay.path, c.overlay.base))
        ctx.notes.push(
          `${c.name}: created overlay ${c.overlay.path} over ${c.overlay.base} (the base is never written)`,
        );
    }
    if (c.define) await step("define", () => virsh.define(c.name, c.xml));
    const running = !c.start && c.beforeState !== null && c.beforeState !== "shut off";
    if (c.repins.length > 0) {
      await step("repin", async () => {
        for (const p of c.repins) {
          if (p.vcpu === "emulator") await virsh.setEmulatorpin(c.name, p.cpuset, running);
          else await virsh.setVcpupin(c.name, p.vcpu, p.cpuset, running);
        }
      });
    }
    if (c.start) await step("start", () => virsh.start(c.name));
    if (c.resume) await step("resume", () => virsh.resume(c.name));
    const autostart = c.autostart;
    if (autostart !== null) await step("autostart", () => virsh.autostart(c.name, autostart));
    await ctx.journal.markDone(item);
  } catch (e) {
    let restored: string;
    try {
      restored = await undoDomain(virsh, item, happened);
    } catch (r) {
      const why = r instanceof NfvError ? r.details.what : (r as Error).message;
      restored = `could not restore ${c.name} (${why}); it stays as it is and the journal keeps its previous state: run \`nfvhost rollback\` or apply again`;
    }
    const inner =
      e instanceof NfvError
        ? e.details
        : { what: (e as Error).message, value: undefined, fix: undefined, valueLimit: undefined };
    throw new NfvError({
      what: inner.what,
      value: inner.value,
      valueLimit: inner.valueLimit,
      fix: `${inner.fix ? `${inner.fix}; ` : ""}${restored}; then run apply again (steps already done are kept and skipped)`,
      exitCode: 1,
    });
  }
}

async function applyNetwork(c: Extract<Change, { kind: "network" }>, ctx: ExecContext): Promise<void> {
  const { virsh } = ctx;
  const item = await ctx.journal.record({
    kind: "network",
    name: c.name,
    beforeXml: c.beforeXml,
    beforeActive: c.beforeActive,
    beforeAutostart: c.beforeAutostart,
    action: describeChange(c),
    done: false,
  });
  try {
    if (c.define) await virsh.netDefine(c.name, c.xml);
    if (c.start) await virsh.netStart(c.name);
    if (c.autostart) await virsh.netAutostart(c.name, true);
    if (c.define && c.beforeXml && c.beforeActive && !c.start) {
      ctx.notes.push(
        `network ${c.name}: new definition takes effect at its next restart (virsh net-destroy ${c.name}; virsh net-start ${c.name}) — not restarted because guests may use it`,
      );
    }
    await ctx.journal.markDone(item);
  } catch (e) {
    if (c.beforeXml === null) {
      const nets = await virsh.listNetworks().catch(() => []);
      const now = nets.find((n) => n.name === c.name);
      if (now?.active) await virsh.netDestroy(c.name).catch(() => undefined);
      if (now) await virsh.netUndefine(c.name).catch(() => undefined);
    } else if (c.define) {
      await virsh.netDefine(c.name, c.beforeXml).catch(() => undefined);
    }
    throw e;
  }
}

/**
 * Journals a file the run replaces besides its changes (the applied plan in the state directory),
 * so that rollback puts it back too: the next apply then judges drift against the plan the host
 * was rolled back to. Mark the returned item done once the file is written.
 */
export async function recordFileBefore(ctx: ExecContext, path: string): Promise<JournalItem> {
  const backup = await backupFile(ctx, path);
  return ctx.journal.record({ kind: "file", path, backup, done: false });
}

export async function executeChange(c: Change, ctx: ExecContext): Promise<void> {
  switch (c.kind) {
    case "host": {
      const host = ctx.host ?? hostExecutor(ctx.root);
      const item = await ctx.journal.record({
        kind: "host",
        id: c.setting.id,
        what: c.setting.what,
        root: host.root,
        commands: host.commands,
        // Read before the change and journaled first (write-ahead), like every other step.
        undo: (await captureUndo(host, c.setting)) as HostUndo | null,
        done: false,
      });
      await applySetting(host, c.setting);
      await ctx.journal.markDone(item);
      return;
    }
    case "sysfs": {
      const item = await ctx.journal.record({
        kind: "sysfs",
        path: c.path,
        before: c.from,
        after: c.to,
        done: false,
      });
      const got = await writeSysfs(ctx.root, c.path, c.to);
      if (got !== c.to) {
        throw new NfvError({
          what: c.what,
          value: `wrote ${c.to} to ${c.path}, the kernel kept ${got ?? "nothing"}`,
          expected: c.to,
          fix: /hugepages/.test(c.path)
            ? "not enough free contiguous memory on that node: free memory (drop caches: sync; echo 3 > /proc/sys/vm/drop_caches) or reserve at boot (hugepages= kernel argument) and reboot"
            : "check dmesg for the driver's reason",
          exitCode: 1,
        });
      }
      await ctx.journal.markDone(item);
      return;
    }
    case "file": {
      const path = await resolveInRoot(ctx.root, c.path);
      const backup = await backupFile(ctx, path);
      const item = await ctx.journal.record({ kind: "file", path, backup, done: false });
      await writeFileAtomic(path, c.content, c.mode);
      if (ctx.root === "/" && (await nmRunning())) {
        await runChecked("nmcli", ["connection", "load", path]);
        ctx.notes.push(`NetworkManager loaded ${c.path}`);
      } else {
        ctx.notes.push(
          `NetworkManager is not running: wrote ${path}; it takes effect when NetworkManager starts (or: nmcli connection load ${c.path})`,
        );
      }
      await ctx.journal.markDone(item);
      return;
    }
    case "iso": {
      const backup = await backupFile(ctx, c.path);
      const item = await ctx.journal.record({ kind: "file", path: c.path, backup, done: false });
      await mkdir(join(c.path, ".."), { recursive: true, mode: 0o755 });
      await buildDay0Iso(c);
      await ctx.journal.markDone(item);
      return;
    }
    case "network":
      return applyNetwork(c, ctx);
    case "domain":
      return applyDomain(c, ctx);
  }
}
