/**
 * Host settings nfvhost converges outside libvirt (sysctl, THP, SELinux, firewalld, the local
 * package repository, LANG, kernel arguments), as data: render writes them out, apply reads each
 * one back, changes what differs and keeps what it replaced (so rollback can put it back), verify
 * reads them again. Every path is a host path, joined under the executor's root; commands (the
 * boot loader, systemctl, modprobe, mount) run only through the injectable process runner, and
 * under a snapshot root they are not run on this machine but reported (./executor.ts).
 */
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { NfvError } from "../util/errors.js";
import { displayCommand, run, runChecked } from "../util/exec.js";
import { resolveInRoot, sha256, writeFileAtomic } from "./files.js";
import type { HostExecutor } from "./executor.js";

/** A kernel argument: `key` alone or `key=value` (same shape as the plan's). */
export interface BootArg {
  key: string;
  value: string | null;
}

export interface HostCommand {
  command: string;
  args: string[];
}

interface Base {
  /** Stable id, unique in a desired state: "sysctl-file", "runtime:/proc/sys/net/ipv4/ip_forward". */
  id: string;
  /** In words, for the change list and verify. */
  what: string;
  /** A change takes full effect only after a reboot (SELinux mode, kernel arguments). */
  reboot?: boolean;
}

/** A file nfvhost owns whole (sysctl.d, tmpfiles.d, grub.d, the repository definition). */
export interface FileSetting extends Base {
  kind: "file";
  path: string;
  content: string;
  mode: number;
}

/** One `PREFIX...` line of a file the system owns (SELINUX= in /etc/selinux/config, an fstab line). */
export interface LineSetting extends Base {
  kind: "line";
  path: string;
  /** Every line starting with this is the setting: the first is replaced, the others dropped. */
  prefix: string;
  line: string;
  mode: number;
}

/** Kernel arguments inside a shell variable of a defaults file (EL7: GRUB_CMDLINE_LINUX). */
export interface CmdlineSetting extends Base {
  kind: "cmdline";
  path: string;
  variable: string;
  set: BootArg[];
  /** Keys that must not be there (CPU isolation the plan no longer wants). */
  remove: string[];
}

/** A value the kernel holds now (/proc/sys, /sys): lost at reboot, so always paired with a file. */
export interface RuntimeSetting extends Base {
  kind: "runtime";
  path: string;
  value: string;
  /** The file lists the choices and brackets the one in force: `always [madvise] never`. */
  selected?: boolean;
  /** Only when the file exists (/sys/fs/selinux/enforce exists only while SELinux is loaded). */
  ifPresent?: boolean;
  /** On the live host, what makes the path exist when it does not (net.bridge.*: br_netfilter). */
  load?: HostCommand;
}

/** A systemd unit that must be stopped and not started at boot (firewalld, seed (2)). */
export interface ServiceSetting extends Base {
  kind: "service";
  unit: string;
}

/** Files moved aside (never deleted): the distribution's online repositories, seed (3). */
export interface MoveAsideSetting extends Base {
  kind: "move-aside";
  dir: string;
  /** Regular expression (source) on file names in `dir`. */
  pattern: string;
  to: string;
}

/** An ISO mounted at a directory (the local repository); the fstab line is its own setting. */
export interface MountSetting extends Base {
  kind: "mount";
  source: string;
  target: string;
  fstype: string;
  options: string;
}

/**
 * The boot loader's configuration regenerated from its inputs (grub2-mkconfig, update-grub) when
 * they changed since nfvhost last did it: `stamp` (in the state directory, not under the root)
 * keeps the digest of the inputs it was generated from.
 */
export interface BootSetting extends Base {
  kind: "boot";
  inputs: string[];
  commands: HostCommand[];
  stamp: string;
}

/** Kernel arguments of every installed kernel through grubby (EL8+, Fedora). */
export interface GrubbySetting extends Base {
  kind: "grubby";
  set: BootArg[];
  remove: string[];
}

export type HostSetting =
  | FileSetting
  | LineSetting
  | CmdlineSetting
  | RuntimeSetting
  | ServiceSetting
  | MoveAsideSetting
  | MountSetting
  | BootSetting
  | GrubbySetting;

/** What the host has for one setting. */
export interface HostReading {
  /** In words, e.g. "madvise", "enabled, active", "(absent)". */
  have: string;
  ok: boolean;
  /** The text it would become (file-like settings), for the diff. */
  before?: string | null;
  after?: string;
  /** Cannot be read here (a service's run state under a snapshot root): not a failure. */
  unknown?: boolean;
}

/**
 * What apply replaced, enough to put it back (kept in the journal). `created`: the directories that
 * did not exist before the change (host paths, outermost first); the undo removes those that are
 * empty again, so the tree is as it was, and never a directory that was there before.
 */
export type HostUndo = HostUndoOf & { created?: string[] };

type HostUndoOf =
  | { kind: "file"; path: string; before: string | null; mode: number }
  /** `before`: the file's text as it was (a choices file: every choice, the bracketed one in force). */
  | { kind: "runtime"; path: string; before: string | null; selected?: boolean }
  | { kind: "service"; unit: string; links: UnitLink[]; wasActive: boolean }
  | { kind: "moved"; pairs: { from: string; to: string }[] }
  | { kind: "mount"; target: string; mounted: boolean }
  | { kind: "boot"; stamp: string; stampBefore: string | null; commands: HostCommand[] }
  | { kind: "commands"; commands: HostCommand[] }
  | { kind: "none" };

export const argText = (a: BootArg): string => (a.value === null ? a.key : `${a.key}=${a.value}`);

async function readText(exec: HostExecutor, hostPath: string): Promise<string | null> {
  try {
    return await readFile(await resolveInRoot(exec.root, hostPath), "utf8");
  } catch {
    return null;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

// ---- pure text edits ---------------------------------------------------------------------------

/** `text` with the setting's line in place of every line starting with `prefix` (or appended). */
export function setLine(text: string | null, prefix: string, line: string): string {
  const lines = (text ?? "").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const out: string[] = [];
  let placed = false;
  for (const l of lines) {
    if (!l.startsWith(prefix)) out.push(l);
    else if (!placed) {
      out.push(line);
      placed = true;
    }
  }
  if (!placed) out.push(line);
  return `${out.join("\n")}\n`;
}

/** Words of a kernel command line without any `key` or `key=...` of `keys` (hugepages != hugepagesz). */
export function dropArgs(words: readonly string[], keys: ReadonlySet<string>): string[] {
  return words.filter((w) => !keys.has(w.split("=")[0]!));
}

/**
 * `VARIABLE="..."` of a shell defaults file with every managed key removed and the wanted
 * arguments appended in the plan's order; the rest of the line (the distribution's own arguments)
 * keeps its order. Running it on its own output changes nothing.
 */
export function editCmdline(
  text: string | null,
  variable: string,
  set: readonly BootArg[],
  remove: readonly string[],
): string {
  const keys = new Set([...set.map((a) => a.key), ...remove]);
  const re = new RegExp(`^${variable}=(?:"([^"]*)"|'([^']*)'|(\\S*))\\s*$`);
  const lines = (text ?? "").split("\n");
  if (lines.at(-1) === "") lines.pop();
  let found = false;
  const out = lines.map((l) => {
    const m = re.exec(l);
    if (!m || found) return l;
    found = true;
    const words = (m[1] ?? m[2] ?? m[3] ?? "").split(/\s+/).filter(Boolean);
    return `${variable}="${[...dropArgs(words, keys), ...set.map(argText)].join(" ")}"`;
  });
  if (!found) out.push(`${variable}="${set.map(argText).join(" ")}"`);
  return `${out.join("\n")}\n`;
}

/** The arguments of `VARIABLE` in a defaults file, as words ([] when absent). */
export function cmdlineWords(text: string | null, variable: string): string[] {
  const re = new RegExp(`^${variable}=(?:"([^"]*)"|'([^']*)'|(\\S*))\\s*$`, "m");
  const m = re.exec(text ?? "");
  return m ? (m[1] ?? m[2] ?? m[3] ?? "").split(/\s+/).filter(Boolean) : [];
}

/** The choice in force of a kernel "choices" file (`always [madvise] never`), or the plain value. */
export function selectedValue(text: string): string {
  return /\[([^\]]+)\]/.exec(text)?.[1] ?? text.trim().split(/\s+/).join(" ");
}

// ---- reading -----------------------------------------------------------------------------------

/**
 * A symlink in /etc/systemd/system/*.wants/ that enables a unit at boot. A stored snapshot keeps a
 * symlink as a small file holding its target (`file`): it is put back in the form it had.
 */
export interface UnitLink {
  path: string;
  target: string;
  file?: boolean;
}

/**
 * A path whose last component is a link nfvhost reads, removes or makes itself (a unit's enable
 * link): only the directories on the way are resolved inside the root; the link is not followed,
 * so its target (absolute, as systemd writes them) is never opened.
 */
async function linkInRoot(root: string, hostPath: string): Promise<string> {
  return join(await resolveInRoot(root, posix.dirname(hostPath)), posix.basename(hostPath));
}

/** The links that enable `unit` at boot (what systemctl enable makes and disable removes). */
async function unitLinks(exec: HostExecutor, unit: string): Promise<UnitLink[]> {
  const dir = "/etc/systemd/system";
  let names: string[];
  try {
    names = await readdir(await resolveInRoot(exec.root, dir));
  } catch {
    return [];
  }
  const out: UnitLink[] = [];
  for (const n of names.filter((x) => x.endsWith(".wants")).sort()) {
    const p = `${dir}/${n}/${unit}`;
    const full = await linkInRoot(exec.root, p);
    try {
      if ((await lstat(full)).isSymbolicLink()) out.push({ path: p, target: await readlink(full) });
      else out.push({ path: p, target: (await readFile(full, "utf8")).trim(), file: true });
    } catch {
      /* not enabled there */
    }
  }
  return out;
}

async function unitActive(exec: HostExecutor, unit: string): Promise<boolean | null> {
  if (!exec.live) return null;
  const r = await run("systemctl", ["is-active", "--quiet", unit]);
  return r.code === 0;
}

function bootArgsOk(words: readonly string[], set: readonly BootArg[], remove: readonly string[]): boolean {
  const have = new Set(words);
  return set.every((a) => have.has(argText(a))) && !words.some((w) => remove.includes(w.split("=")[0]!));
}

/** `grubby --info=ALL`: the args="..." line of every boot entry. */
export function parseGrubbyArgs(out: string): string[][] {
  return [...out.matchAll(/^args="([^"]*)"/gm)].map((m) => m[1]!.split(/\s+/).filter(Boolean));
}

async function inputsDigest(exec: HostExecutor, inputs: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const p of inputs) parts.push(`${p}\n${sha256((await readText(exec, p)) ?? "(absent)")}`);
  return sha256(parts.join("\n"));
}

export async function readSetting(exec: HostExecutor, s: HostSetting): Promise<HostReading> {
  switch (s.kind) {
    case "file": {
      const have = await readText(exec, s.path);
      return {
        have: have === null ? "(absent)" : have === s.content ? "as planned" : "differs",
        ok: have === s.content,
        before: have,
        after: s.content,
      };
    }
    case "line": {
      const have = await readText(exec, s.path);
      const after = setLine(have, s.prefix, s.line);
      const now = (have ?? "").split("\n").filter((l) => l.startsWith(s.prefix));
      return { have: now.join(" | ") || "(absent)", ok: after === have, before: have, after };
    }
    case "cmdline": {
      const have = await readText(exec, s.path);
      const after = editCmdline(have, s.variable, s.set, s.remove);
      return {
        have: cmdlineWords(have, s.variable).join(" ") || "(empty)",
        ok: after === have,
        before: have,
        after,
      };
    }
    case "runtime": {
      const text = await readText(exec, s.path);
      if (text === null) {
        return s.ifPresent
          ? { have: "(not present: not loaded)", ok: true }
          : { have: "(absent)", ok: false };
      }
      const have = s.selected ? selectedValue(text) : text.trim().split(/\s+/).join(" ");
      return { have, ok: have === s.value.trim().split(/\s+/).join(" ") };
    }
    case "service": {
      const links = await unitLinks(exec, s.unit);
      const active = await unitActive(exec, s.unit);
      const have = `${links.length > 0 ? "enabled" : "not enabled"}, ${active === null ? "run state not read under --root" : active ? "active" : "inactive"}`;
      return { have, ok: links.length === 0 && active !== true, unknown: active === null };
    }
    case "move-aside": {
      const re = new RegExp(s.pattern);
      let names: string[] = [];
      try {
        names = (await readdir(await resolveInRoot(exec.root, s.dir))).filter((n) => re.test(n)).sort();
      } catch {
        /* no such directory: nothing to move */
      }
      return { have: names.length ? names.join(", ") : "(none)", ok: names.length === 0 };
    }
    case "mount": {
      const dir = await resolveInRoot(exec.root, s.target);
      let isDir = false;
      try {
        isDir = (await stat(dir)).isDirectory();
      } catch {
        isDir = false;
      }
      if (!exec.live) {
        return {
          have: isDir ? "mount point present (mounts are not read under --root)" : "(no mount point)",
          ok: isDir,
          unknown: true,
        };
      }
      const mounts = (await readText(exec, "/proc/mounts")) ?? "";
      const mounted = mounts.split("\n").some((l) => l.split(" ")[1] === s.target);
      return { have: mounted ? `mounted at ${s.target}` : "not mounted", ok: mounted };
    }
    case "boot": {
      const digest = await inputsDigest(exec, s.inputs);
      const stamp = (await readMaybeText(s.stamp))?.trim() ?? null;
      return {
        have:
          stamp === null
            ? "not generated by nfvhost yet"
            : stamp === digest
              ? "generated from the current inputs"
              : "inputs changed since it was generated",
        ok: stamp === digest,
      };
    }
    case "grubby": {
      if (!exec.commands)
        return {
          have: "not read under --root (grubby edits the live boot entries)",
          ok: true,
          unknown: true,
        };
      const entries = parseGrubbyArgs((await runChecked("grubby", ["--info=ALL"])).stdout);
      const bad = entries.filter((w) => !bootArgsOk(w, s.set, s.remove));
      return {
        have:
          entries.length === 0
            ? "(no boot entry)"
            : bad.length === 0
              ? "every entry as planned"
              : `${bad.length} of ${entries.length} entries differ`,
        ok: entries.length > 0 && bad.length === 0,
      };
    }
  }
}

async function readMaybeText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

// ---- changing ----------------------------------------------------------------------------------

/** The commands a boot-loader setting runs to converge (for the report and the golden files). */
export function settingCommands(s: HostSetting): HostCommand[] {
  if (s.kind === "boot") return s.commands;
  if (s.kind === "grubby") {
    const out: HostCommand[] = [];
    // Two calls: `--args=""` removes nothing, removal needs its own --remove-args.
    if (s.set.length > 0)
      out.push({
        command: "grubby",
        args: ["--update-kernel=ALL", `--args=${s.set.map(argText).join(" ")}`],
      });
    if (s.remove.length > 0)
      out.push({ command: "grubby", args: ["--update-kernel=ALL", `--remove-args=${s.remove.join(" ")}`] });
    return out;
  }
  return [];
}

export const commandText = (c: HostCommand): string => displayCommand(c.command, c.args);

async function runAll(commands: readonly HostCommand[]): Promise<void> {
  for (const c of commands) await runChecked(c.command, c.args);
}

/** Whether the setting needs commands, which run only when the executor may run them. */
export function needsCommands(s: HostSetting, exec: HostExecutor): boolean {
  return (
    s.kind === "boot" || s.kind === "grubby" || (exec.live && (s.kind === "service" || s.kind === "mount"))
  );
}

/**
 * What it takes to put a setting back as it is now: read BEFORE the change and journaled first, so
 * a run killed in the middle of a change can still be rolled back (each undo is safe to run when
 * the change did not happen).
 */
export async function captureUndo(exec: HostExecutor, s: HostSetting): Promise<HostUndo> {
  const undo = await captureUndoOf(exec, s);
  if (undo.kind === "none") return undo;
  const created = await missingDirs(exec, dirsCreatedBy(exec, s));
  return created.length > 0 ? { ...undo, created } : undo;
}

/** The directory whose missing parts applySetting creates (mkdir -p), if any. */
function dirsCreatedBy(exec: HostExecutor, s: HostSetting): string | null {
  switch (s.kind) {
    case "file":
    case "line":
    case "cmdline":
      return posix.dirname(s.path);
    // On a host the kernel makes the file when the module loads; a snapshot gets the directory.
    case "runtime":
      return exec.live ? null : posix.dirname(s.path);
    case "move-aside":
      return s.to;
    case "mount":
      return s.target;
    default:
      return null;
  }
}

/** `dir` and its parents that do not exist under the root now, outermost first. */
async function missingDirs(exec: HostExecutor, dir: string | null): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; d !== null && d !== "/" && d !== "."; d = posix.dirname(d)) {
    const there = await lstat(await resolveInRoot(exec.root, d)).then(
      () => true,
      () => false,
    );
    if (there) break;
    missing.unshift(d);
  }
  return missing;
}

/** Removes the directories an apply created, innermost first, each only when it is empty again. */
async function removeCreatedDirs(exec: HostExecutor, created: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const d of [...created].reverse()) {
    try {
      await rmdir(await resolveInRoot(exec.root, d));
      removed.push(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Gone already (an undo of a later setting took it), or something else now lives in it.
      if (code === "ENOENT" || code === "ENOTEMPTY" || code === "EEXIST") continue;
      throw e;
    }
  }
  return removed;
}

async function captureUndoOf(exec: HostExecutor, s: HostSetting): Promise<HostUndo> {
  switch (s.kind) {
    case "file":
    case "line":
    case "cmdline": {
      const p = await resolveInRoot(exec.root, s.path);
      const before = await readText(exec, s.path);
      const mode = before === null ? (s.kind === "cmdline" ? 0o644 : s.mode) : await modeOf(p, 0o644);
      return { kind: "file", path: s.path, before, mode };
    }
    case "runtime": {
      const before = await readText(exec, s.path);
      if (before === null && s.ifPresent) return { kind: "none" };
      return {
        kind: "runtime",
        path: s.path,
        before: before === null ? null : before.trim(),
        ...(s.selected ? { selected: true } : {}),
      };
    }
    case "service":
      return {
        kind: "service",
        unit: s.unit,
        links: await unitLinks(exec, s.unit),
        wasActive: (await unitActive(exec, s.unit)) === true,
      };
    case "move-aside": {
      const re = new RegExp(s.pattern);
      const names = (await readdir(await resolveInRoot(exec.root, s.dir)).catch(() => [] as string[]))
        .filter((n) => re.test(n))
        .sort();
      return {
        kind: "moved",
        pairs: names.map((n) => ({ from: posix.join(s.dir, n), to: posix.join(s.to, n) })),
      };
    }
    case "mount":
      return { kind: "mount", target: s.target, mounted: exec.live };
    case "boot":
      return {
        kind: "boot",
        stamp: s.stamp,
        stampBefore: await readMaybeText(s.stamp),
        commands: s.commands,
      };
    case "grubby": {
      const entries = parseGrubbyArgs((await runChecked("grubby", ["--info=ALL"])).stdout);
      // The inverse, from the default entry's arguments before: put back what was there.
      const before = entries[0] ?? [];
      const valueOf = (key: string) => before.find((w) => w.split("=")[0] === key) ?? null;
      const restore: string[] = [];
      const drop: string[] = [];
      for (const a of s.set) {
        const had = valueOf(a.key);
        if (had === null) drop.push(a.key);
        else if (had !== argText(a)) restore.push(had);
      }
      for (const k of s.remove) {
        const had = valueOf(k);
        if (had !== null) restore.push(had);
      }
      const undo: HostCommand[] = [];
      if (drop.length)
        undo.push({ command: "grubby", args: ["--update-kernel=ALL", `--remove-args=${drop.join(" ")}`] });
      if (restore.length)
        undo.push({ command: "grubby", args: ["--update-kernel=ALL", `--args=${restore.join(" ")}`] });
      return { kind: "commands", commands: undo };
    }
  }
}

/** Converges one setting (after captureUndo). Call only when readSetting said !ok. */
export async function applySetting(exec: HostExecutor, s: HostSetting): Promise<void> {
  switch (s.kind) {
    case "file":
    case "line":
    case "cmdline": {
      const p = await resolveInRoot(exec.root, s.path);
      const before = await readText(exec, s.path);
      const after =
        s.kind === "file"
          ? s.content
          : s.kind === "line"
            ? setLine(before, s.prefix, s.line)
            : editCmdline(before, s.variable, s.set, s.remove);
      // An existing file keeps its mode; a new one gets the setting's.
      await writeFileAtomic(
        p,
        after,
        before === null ? (s.kind === "cmdline" ? 0o644 : s.mode) : await modeOf(p, 0o644),
      );
      return;
    }
    case "runtime": {
      const p = await resolveInRoot(exec.root, s.path);
      let before = await readText(exec, s.path);
      if (before === null && s.ifPresent) return;
      if (before === null) {
        if (exec.live && s.load) await runChecked(s.load.command, s.load.args);
        // A snapshot root has no kernel behind it: the module's directory is created instead.
        else if (!exec.live) await mkdir(dirname(p), { recursive: true });
        before = await readText(exec, s.path);
      }
      // The kernel shows a choices file with the new choice bracketed; a snapshot's copy is made to.
      const text =
        !exec.live && s.selected && before !== null
          ? before
              .trim()
              .split(/\s+/)
              .map((w) => w.replace(/^\[|\]$/g, ""))
              .map((w) => (w === s.value ? `[${w}]` : w))
              .join(" ")
          : s.value;
      try {
        await writeKernelValue(p, text);
      } catch (e) {
        throw new NfvError({
          what: `write ${s.path} (${s.what})`,
          value: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
          expected: `the kernel to accept ${s.value}`,
          fix: "run as root on the host",
          exitCode: 1,
        });
      }
      return;
    }
    case "service": {
      if (exec.live) await runChecked("systemctl", ["disable", "--now", s.unit]);
      else
        for (const l of await unitLinks(exec, s.unit))
          await rm(await linkInRoot(exec.root, l.path), { force: true });
      return;
    }
    case "move-aside": {
      const re = new RegExp(s.pattern);
      const names = (await readdir(await resolveInRoot(exec.root, s.dir))).filter((n) => re.test(n)).sort();
      await mkdir(await resolveInRoot(exec.root, s.to), { recursive: true, mode: 0o755 });
      for (const n of names)
        await rename(
          await resolveInRoot(exec.root, posix.join(s.dir, n)),
          await resolveInRoot(exec.root, posix.join(s.to, n)),
        );
      return;
    }
    case "mount": {
      await mkdir(await resolveInRoot(exec.root, s.target), { recursive: true, mode: 0o755 });
      if (exec.live) await runChecked("mount", ["-t", s.fstype, "-o", s.options, s.source, s.target]);
      return;
    }
    case "boot": {
      await runAll(s.commands);
      await writeFileAtomic(s.stamp, `${await inputsDigest(exec, s.inputs)}\n`, 0o644);
      return;
    }
    case "grubby":
      await runAll(settingCommands(s));
      return;
  }
}

async function modeOf(p: string, fallback: number): Promise<number> {
  try {
    return (await stat(p)).mode & 0o7777;
  } catch {
    return fallback;
  }
}

/** A kernel file takes the value in one write; a snapshot's copy is a plain file. */
async function writeKernelValue(p: string, value: string): Promise<void> {
  await writeFile(p, `${value}\n`);
}

/** Puts back what applySetting replaced; returns what it did, in words. */
export async function undoSetting(exec: HostExecutor, u: HostUndo): Promise<string> {
  const did = await undoSettingOf(exec, u);
  const removed = await removeCreatedDirs(exec, u.created ?? []);
  return removed.length > 0
    ? `${did}; removed ${removed.length === 1 ? "the directory" : "the directories"} it had created: ${removed.join(", ")}`
    : did;
}

async function undoSettingOf(exec: HostExecutor, u: HostUndo): Promise<string> {
  switch (u.kind) {
    case "none":
      return "nothing to undo";
    case "file": {
      const p = await resolveInRoot(exec.root, u.path);
      if (u.before === null) {
        await rm(p, { force: true });
        return `removed ${u.path} (it was new)`;
      }
      await writeFileAtomic(p, u.before, u.mode);
      return `restored ${u.path}`;
    }
    case "runtime": {
      if (u.before === null) {
        // Under a snapshot root apply created it (standing in for the module load): it goes again.
        if (exec.live) return `${u.path}: it did not exist before; left as it is`;
        await rm(await resolveInRoot(exec.root, u.path), { force: true });
        return `removed ${u.path} (it was new)`;
      }
      const value = exec.live && u.selected ? selectedValue(u.before) : u.before;
      await writeKernelValue(await resolveInRoot(exec.root, u.path), value);
      return `${u.path} = ${value} again`;
    }
    case "service": {
      for (const l of u.links) {
        const p = await linkInRoot(exec.root, l.path);
        if (await exists(p)) continue;
        await mkdir(dirname(p), { recursive: true });
        if (l.file) await writeFile(p, `${l.target}\n`);
        else await symlink(l.target, p);
      }
      if (exec.live) {
        await runChecked("systemctl", ["daemon-reload"]);
        if (u.wasActive) await runChecked("systemctl", ["start", u.unit]);
      }
      return `${u.unit}: ${u.links.length ? "enabled" : "left disabled"}${u.wasActive && exec.live ? " and started" : ""} again`;
    }
    case "moved": {
      for (const m of u.pairs) {
        const to = await resolveInRoot(exec.root, m.to);
        if (await exists(to)) await rename(to, await resolveInRoot(exec.root, m.from));
      }
      return `moved back ${u.pairs.map((m) => m.from).join(", ") || "nothing"}`;
    }
    case "mount": {
      // Only what is mounted now: a run killed before its mount left nothing to unmount.
      const mounts = exec.live ? ((await readText(exec, "/proc/mounts")) ?? "") : "";
      const now = mounts.split("\n").some((l) => l.split(" ")[1] === u.target);
      if (u.mounted && now) await runChecked("umount", [u.target]);
      return u.mounted && now ? `unmounted ${u.target}` : `${u.target}: nothing mounted by that run`;
    }
    case "boot": {
      if (u.stampBefore === null) await rm(u.stamp, { force: true });
      else await writeFileAtomic(u.stamp, u.stampBefore, 0o644);
      if (!exec.commands) return `boot loader: run on the host: ${u.commands.map(commandText).join("; ")}`;
      await runAll(u.commands);
      return `boot loader configuration regenerated (${u.commands.map(commandText).join("; ")})`;
    }
    case "commands": {
      if (!exec.commands) return `run on the host: ${u.commands.map(commandText).join("; ")}`;
      await runAll(u.commands);
      return u.commands.length ? u.commands.map(commandText).join("; ") : "nothing to undo";
    }
  }
}
