/**
 * Day-2 operations on VNFs nfvhost created: console, capture, destroy, rollback. Each refuses
 * what it must not do (a domain nfvhost did not create, a VF that cannot be captured on the host,
 * --all without --yes) before it does anything; disks are never deleted.
 */
import { overlayPath } from "./overlay.js";
import { readDomains, type LiveDomain } from "../libvirt/deployed.js";
import type { Virsh } from "../libvirt/virsh.js";
import type { DomIfEntry } from "../libvirt/parse.js";
import { Journal, type DomainStep, type JournalEntry } from "../state/journal.js";
import { acquireHostLock } from "../state/lock.js";
import { NfvError } from "../util/errors.js";
import { assertDomainName, assertIfName } from "../util/names.js";
import { undoDomain } from "./execute.js";
import { networkOwner } from "../libvirt/network-owner.js";
import { readMaybe, writeFileAtomic } from "../host/files.js";
import { undoSetting } from "../host/settings.js";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";

/** Console, exec and capture need the VNF running: say how to start it, not just that it is not. */
export function assertRunning(virsh: Virsh, d: LiveDomain): void {
  if (d.state === "running") return;
  throw new NfvError({
    what: `VNF ${d.name}`,
    value: d.state,
    expected: "running",
    fix: `virsh --connect ${virsh.uri} start ${d.name}`,
    exitCode: 1,
  });
}

export async function findDomain(virsh: Virsh, name: string): Promise<LiveDomain> {
  assertDomainName(name, "VNF");
  const d = (await readDomains(virsh)).find((x) => x.name === name);
  if (!d) {
    throw new NfvError({
      what: `VNF ${name}`,
      value: "not defined",
      expected: "a domain on this host",
      fix: "see `nfvhost status`",
      exitCode: 1,
    });
  }
  return d;
}

export interface CaptureTarget {
  device: string;
  mac: string | null;
  type: string;
}

/**
 * The host-side device of a VNF's interface. IFACE may be the guest name the plan gave that vNIC
 * (GigabitEthernet2 on IOS-XE, eth1 on a generic VNF: `guestNames`, from the applied plan, in vNIC
 * order), a 1-based index, a MAC, or the host device (vnet5, macvtap0).
 */
export function captureTarget(
  d: LiveDomain,
  ifs: DomIfEntry[],
  iface: string,
  guestNames: readonly string[] = [],
): CaptureTarget {
  const list = d.summary.interfaces;
  let idx = guestNames.findIndex((g) => g.toLowerCase() === iface.toLowerCase());
  if (idx >= 0) {
    // found by its guest name
  } else if (/^\d+$/.test(iface)) idx = Number(iface) - 1;
  else if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(iface))
    idx = list.findIndex((i) => i.mac === iface.toLowerCase());
  else
    idx = list.findIndex(
      (i) => i.target === iface || ifs.some((x) => x.interface === iface && x.mac === i.mac),
    );
  const chosen = list[idx];
  if (!chosen) {
    throw new NfvError({
      what: `interface ${iface} of ${d.name}`,
      value: "not found",
      expected: `one of ${list.map((i, n) => `${guestNames[n] ?? n + 1} (${i.mac ?? "?"}${i.target ? `, ${i.target}` : ""})`).join(", ") || "(no interfaces)"}`,
      exitCode: 2,
    });
  }
  if (chosen.type === "hostdev") {
    throw new NfvError({
      what: `interface ${iface} of ${d.name}`,
      value: `SR-IOV VF ${chosen.source ?? ""}`.trim(),
      expected: "a vnet/macvtap device on the host",
      fix: "an SR-IOV VF cannot be captured on the host: the VM owns it through vfio-pci and the host has no netdev for it; capture inside the VNF (IOS-XE: monitor capture) or mirror the port on the switch",
      exitCode: 1,
    });
  }
  const device = chosen.target ?? ifs.find((x) => x.mac === chosen.mac)?.interface ?? null;
  if (d.state !== "running" || !device || device === "-") {
    throw new NfvError({
      what: `interface ${iface} of ${d.name}`,
      value: `domain ${d.state}`,
      expected: "a running domain with a host-side device",
      fix: `start it: virsh start ${d.name}`,
      exitCode: 1,
    });
  }
  assertIfName(device, "host interface");
  return { device, mac: chosen.mac, type: chosen.type };
}

export function tcpdumpArgs(
  device: string,
  opts: { write?: string; count?: number; filter?: string[] },
): string[] {
  return [
    "-i",
    device,
    "-nn",
    "-e",
    ...(opts.write ? ["-w", opts.write] : []),
    ...(opts.count !== undefined ? ["-c", String(opts.count)] : []),
    ...(opts.filter ?? []),
  ];
}

/**
 * The program and arguments of a capture. tcpdump has no time limit of its own (-G needs -w), so
 * a duration runs it under coreutils `timeout -s INT`: SIGINT makes tcpdump flush and print its
 * packet counts, and --preserve-status keeps tcpdump's own exit code.
 */
export function captureCommandLine(
  device: string,
  opts: { write?: string; count?: number; durationSeconds?: number; filter?: string[] },
): { program: string; args: string[] } {
  const tcpdump = tcpdumpArgs(device, opts);
  if (opts.durationSeconds === undefined) return { program: "tcpdump", args: tcpdump };
  return {
    program: "timeout",
    args: ["--preserve-status", "-s", "INT", String(opts.durationSeconds), "tcpdump", ...tcpdump],
  };
}

/** A --count / --duration value: a whole number from 1 up, or an error naming the option. */
export function positiveInt(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || !/^\d+$/.test(String(value))) {
    throw new NfvError({
      what: option,
      value: String(value),
      expected: "a whole number from 1 up",
      exitCode: 2,
    });
  }
  return n;
}

export interface DestroyResult {
  name: string;
  stopped: boolean;
  undefined: boolean;
  /** Disks kept. */
  disks: string[];
  /** The overlay removed by --delete-overlay. */
  overlayDeleted?: string;
}

/** Stops and undefines VNFs, journaled so `nfvhost rollback` can define them again. */
export async function destroyVnfs(
  virsh: Virsh,
  names: string[],
  opts: {
    all: boolean;
    yes: boolean;
    adopt: boolean;
    topology?: string;
    stateDir: string;
    /** Also remove the VNFs' qcow2 overlays (STATE/overlays): their disk state is gone for good. */
    deleteOverlay?: boolean;
  },
): Promise<DestroyResult[]> {
  const domains = await readDomains(virsh);
  let targets: LiveDomain[];
  const leftovers: string[] = [];
  if (opts.all) {
    if (!opts.yes) {
      throw new NfvError({
        what: "destroy --all",
        value: "without --yes",
        expected: "--yes to confirm",
        fix: "nfvhost destroy --all --yes (disks are kept)",
        exitCode: 2,
      });
    }
    targets = domains.filter(
      (d) => d.managed && (!opts.topology || d.config.metadata?.topology === opts.topology),
    );
  } else {
    if (names.length === 0)
      throw new NfvError({ what: "destroy", value: "no VNF named", expected: "VNF names or --all --yes" });
    targets = names.flatMap((n) => {
      assertDomainName(n, "VNF");
      const d = domains.find((x) => x.name === n);
      // Destroyed earlier with its disk kept: --delete-overlay still removes the overlay it left.
      const overlay = overlayPath(opts.stateDir, n);
      if (!d && opts.deleteOverlay && existsSync(overlay)) {
        const user = domains.find((x) => x.config.disks.some((k) => k.source === overlay));
        if (user) {
          throw new NfvError({
            what: `overlay ${overlay}`,
            value: `the disk of domain ${user.name}`,
            expected: `an overlay no domain uses (VNF ${n} is gone)`,
            fix: `nfvhost destroy ${user.name} --delete-overlay if that domain is to go`,
            exitCode: 1,
          });
        }
        leftovers.push(n);
        return [];
      }
      if (!d)
        throw new NfvError({
          what: `VNF ${n}`,
          value: "not defined",
          fix: "see `nfvhost status`",
          exitCode: 1,
        });
      if (!d.managed && !opts.adopt) {
        throw new NfvError({
          what: `domain ${n}`,
          value: "not created by nfvhost (no nfvhost metadata)",
          expected: "a domain nfvhost created",
          fix: `nfvhost destroy ${n} --adopt if you really mean it (disks are kept)`,
          exitCode: 1,
        });
      }
      return [d];
    });
    // Stopping a running router cuts its traffic: as with --all, only with consent.
    const running = targets.filter((d) => d.state !== "shut off");
    if (running.length > 0 && !opts.yes) {
      throw new NfvError({
        what: `destroy ${running.map((d) => d.name).join(" ")}`,
        value: `${running.length === 1 ? "is" : "are"} running`,
        expected: "--yes to stop a running VNF",
        fix: `nfvhost destroy ${targets.map((d) => d.name).join(" ")} --yes (disks are kept; nfvhost rollback defines and starts it again)`,
        exitCode: 2,
      });
    }
  }
  if (targets.length === 0 && leftovers.length === 0) return [];
  const lock = await acquireHostLock(
    virsh.uri,
    `nfvhost destroy ${[...targets.map((t) => t.name), ...leftovers].join(" ")}`,
  );
  const journal = await new Journal(opts.stateDir).begin(
    `destroy ${targets.map((t) => t.name).join(" ")}`,
    virsh.uri,
  );
  const out: DestroyResult[] = [];
  try {
    for (const d of targets) {
      const item = await journal.record({
        kind: "domain",
        name: d.name,
        beforeXml: d.configXml,
        beforeState: d.state,
        beforeAutostart: await virsh.isAutostart(d.name),
        action: "destroy + undefine (disks kept)",
        done: false,
      });
      const running = d.state !== "shut off";
      if (running) await virsh.destroy(d.name);
      await virsh.undefine(d.name);
      await journal.markDone(item);
      const disks = d.config.disks.map((x) => x.source).filter((s): s is string => !!s);
      const overlay = overlayPath(opts.stateDir, d.name);
      let overlayDeleted = false;
      if (opts.deleteOverlay && disks.includes(overlay)) {
        await rm(overlay, { force: true });
        overlayDeleted = true;
      }
      out.push({
        name: d.name,
        stopped: running,
        undefined: true,
        disks: disks.filter((p) => !(overlayDeleted && p === overlay)),
        ...(overlayDeleted ? { overlayDeleted: overlay } : {}),
      });
    }
    for (const name of leftovers) {
      const overlay = overlayPath(opts.stateDir, name);
      await rm(overlay, { force: true });
      out.push({ name, stopped: false, undefined: false, disks: [], overlayDeleted: overlay });
    }
    await journal.finish("complete");
  } catch (e) {
    await journal.finish("failed", (e as Error).message);
    throw e;
  } finally {
    await lock.release();
  }
  return out;
}

export interface RollbackStep {
  what: string;
  done: boolean;
  note?: string;
}

/**
 * Undoes the newest journal entry, complete or not (a killed run's entry is the one to undo),
 * newest step first, and only what that run did.
 */
export async function rollbackLast(
  virsh: Virsh,
  opts: { stateDir: string; yes: Set<string>; dryRun: boolean },
): Promise<{ entry: JournalEntry | null; steps: RollbackStep[] }> {
  const journal = new Journal(opts.stateDir);
  const lock = opts.dryRun ? null : await acquireHostLock(virsh.uri, "nfvhost rollback");
  const steps: RollbackStep[] = [];
  let entry: JournalEntry | null = null;
  try {
    // Read under the lock: an apply still running would otherwise be undone under its feet.
    entry = await journal.last();
    if (!entry) return { entry: null, steps: [] };
    const unfinished = entry.status === "in-progress" || entry.status === "failed";
    // The boot loader is regenerated last, from the inputs (grub defaults) already put back.
    const items = [...entry.items].reverse();
    const isBoot = (i: (typeof items)[number]) => i.kind === "host" && i.undo?.kind === "boot";
    for (const item of [...items.filter((i) => !isBoot(i)), ...items.filter(isBoot)]) {
      if (item.kind === "host") {
        const what = `put back ${item.what}`;
        if (opts.dryRun) {
          steps.push({ what, done: false, note: "dry run" });
          continue;
        }
        if (!item.undo) {
          steps.push({ what, done: true, note: "that run had not changed it yet: nothing to undo" });
          continue;
        }
        const host = { root: item.root, live: item.root === "/", commands: item.commands };
        steps.push({ what, done: true, note: await undoSetting(host, item.undo) });
        continue;
      }
      if (item.kind === "domain") {
        if (item.driftFix) {
          steps.push({
            what: `keep ${item.name} as the applied plan has it`,
            done: true,
            note: "that run only put drifted state back to the plan applied before; there is no decision of it to undo",
          });
          continue;
        }
        const started = new Set(item.steps ?? []);
        const exists = await virsh.domainExists(item.name);
        const running = exists && (await virsh.domState(item.name)) !== "shut off";
        const wasRunning = item.beforeState !== null && item.beforeState !== "shut off";
        const onlyRepin = item.beforeXml !== null && !started.has("define") && !started.has("start");
        const what =
          item.beforeXml === null
            ? `remove ${item.name} (${item.done ? "created by that run" : "defined by that unfinished run"}; disks kept)`
            : !exists
              ? `define ${item.name} again${wasRunning ? " and start it" : ""}`
              : onlyRepin && started.has("repin")
                ? `re-pin ${item.name} live as it was`
                : `restore the previous definition of ${item.name}${wasRunning ? " (running)" : ""}`;
        // Stopping a running VM (to remove it, or to bring back its old definition) needs consent.
        const stops = running && (item.beforeXml === null || !onlyRepin);
        if (stops && !opts.yes.has(item.name)) {
          steps.push({ what, done: false, note: `${item.name} is running: re-run with --yes ${item.name}` });
          continue;
        }
        if (opts.dryRun) {
          steps.push({ what, done: false, note: "dry run" });
          continue;
        }
        const happened = item.done ? new Set<DomainStep>(item.steps ?? ["define", "start"]) : null;
        steps.push({ what, done: true, note: await undoDomain(virsh, item, happened) });
      } else if (item.kind === "network") {
        const what = item.beforeXml === null ? `remove network ${item.name}` : `restore network ${item.name}`;
        if (opts.dryRun) {
          steps.push({ what, done: false, note: "dry run" });
          continue;
        }
        const nets = await virsh.listNetworks();
        const now = nets.find((n) => n.name === item.name);
        if (item.beforeXml === null) {
          // An unfinished define may not have happened: remove only a network nfvhost marked.
          const ours =
            now !== undefined &&
            (item.done || networkOwner(await virsh.netDumpXml(item.name, { inactive: true })) !== null);
          if (ours && now.active) await virsh.netDestroy(item.name);
          if (ours) await virsh.netUndefine(item.name);
          steps.push({ what, done: true, note: ours ? undefined : "it was not created: nothing to remove" });
        } else {
          await virsh.netDefine(item.name, item.beforeXml);
          if (item.beforeAutostart !== null && now && now.autostart !== item.beforeAutostart)
            await virsh.netAutostart(item.name, item.beforeAutostart);
          steps.push({ what, done: true });
        }
      } else if (item.kind === "file") {
        const what = item.backup ? `restore ${item.path}` : `remove ${item.path} (it was new)`;
        if (opts.dryRun) {
          steps.push({ what, done: false, note: "dry run" });
          continue;
        }
        if (item.backup) {
          const content = await readMaybe(item.backup);
          if (content)
            await writeFileAtomic(item.path, content, item.path.endsWith(".nmconnection") ? 0o600 : 0o644);
        } else await rm(item.path, { force: true });
        steps.push({ what, done: true });
      } else if (item.kind === "sysfs") {
        steps.push({
          what: `${item.path}: ${item.before ?? "?"} -> ${item.after}`,
          done: false,
          note: "not lowered: pages and VFs may be in use by others; lower it by hand if you are sure",
        });
      }
    }
    if (unfinished) {
      steps.unshift({
        what: `that run ended ${entry.status === "failed" ? "with an error" : "without finishing (killed?)"}`,
        done: true,
        note: "its unfinished step is undone as far as it got",
      });
    }
    if (!opts.dryRun && steps.every((s) => s.done || s.note?.startsWith("not lowered"))) {
      entry.status = "rolled-back";
      await journal.save(entry);
    }
  } finally {
    await lock?.release();
  }
  return { entry, steps };
}
