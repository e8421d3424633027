/**
 * Facts of every host of a fleet: gathered over SSH into a snapshot per host (`fleet snapshot`),
 * and read back for planning. A host's snapshot is the same tree `nfvhost snapshot` writes, run on
 * the host itself, plus the plans the host's nfvhost applied (its running VNFs), kept under the
 * snapshot's var/lib/nfvhost/applied/ where they live on the host.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tar from "tar";
import { discoverHost } from "../facts/discover.js";
import { deployedFromPlan } from "../plan/deployed.js";
import type { DeployedVnf, Plan } from "../plan/types.js";
import { mapLimit } from "../util/concurrency.js";
import { NfvError } from "../util/errors.js";
import { SSH_FIX, classifySsh, runSsh, sshArgv, type SshFailure, type SshRunner } from "./ssh.js";
import type { FleetHost, HostInput, Inventory } from "./types.js";

export const DEFAULT_STATE_DIR = "/var/lib/nfvhost";
/** Where a host's applied plans sit inside its snapshot (and on the host). */
export const APPLIED_IN_SNAPSHOT = "var/lib/nfvhost/applied";

/** State directory of a host: its own, or inside its snapshot root when it is one. */
export function stateDirOf(host: FleetHost): string {
  if (host.stateDir !== undefined) return host.stateDir;
  return host.root !== undefined ? join(host.root, DEFAULT_STATE_DIR) : DEFAULT_STATE_DIR;
}

export interface SnapshotOutcome {
  host: string;
  ok: boolean;
  /** Where the snapshot went (OUT/<host>). */
  dir?: string;
  failure?: SshFailure | "no-libvirt";
  message: string;
  fix?: string;
  ms: number;
}

async function step(ssh: SshRunner, host: FleetHost, remote: string[], timeoutMs: number) {
  return ssh(sshArgv(host.ssh, remote), timeoutMs);
}

function failed(
  host: FleetHost,
  what: string,
  r: { code: number; stderr: string },
  t0: number,
): SnapshotOutcome {
  const kind = classifySsh({ command: "ssh", args: [], stdout: "", ...r });
  const detail =
    r.stderr
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .slice(-1)[0] ?? `exit ${r.code}`;
  return {
    host: host.name,
    ok: false,
    failure: kind,
    message: `${kind}: ${what}: ${detail}`,
    fix: SSH_FIX[kind],
    ms: Date.now() - t0,
  };
}

/** One host: nfvhost snapshot on the host, the archive back (base64 on stdout), applied plans. */
export async function snapshotOne(
  host: FleetHost,
  out: string,
  ssh: SshRunner = runSsh,
  timeoutMs = 120_000,
): Promise<SnapshotOutcome> {
  const t0 = Date.now();
  const mk = await step(ssh, host, ["mktemp", "-d", "/tmp/nfvhost-snapshot.XXXXXX"], timeoutMs);
  if (mk.code !== 0) return failed(host, "connect", mk, t0);
  const tmp = mk.stdout.trim();
  try {
    const archive = `${tmp}/snapshot.tar.gz`;
    const snap = await step(
      ssh,
      host,
      [
        ...host.command,
        "snapshot",
        ...(host.root !== undefined ? ["--root", host.root] : []),
        archive,
        "--json",
      ],
      timeoutMs,
    );
    if (snap.code !== 0) return failed(host, `${host.command.join(" ")} snapshot`, snap, t0);
    const b64 = await step(ssh, host, ["base64", "-w0", archive], timeoutMs);
    if (b64.code !== 0) return failed(host, "read the snapshot", b64, t0);
    const dir = join(out, host.name);
    let applied: string[] = [];
    const staging = await mkdtemp(join(out, `.${host.name}.`));
    try {
      const file = join(staging, "snapshot.tar.gz");
      await writeFile(file, Buffer.from(b64.stdout.trim(), "base64"), { mode: 0o600 });
      const root = join(staging, "root");
      await mkdir(root);
      await tar.x({ file, cwd: root, strict: true });
      await rm(file);
      // The snapshot archive holds one top directory; the host tree is inside it.
      const top = await readdir(root);
      const tree = top.length === 1 ? join(root, top[0]!) : root;
      const state = stateDirOf(host);
      const list = await step(
        ssh,
        host,
        ["find", `${state}/applied`, "-maxdepth", "1", "-type", "f", "-name", "*.json"],
        timeoutMs,
      );
      applied = list.code === 0 ? list.stdout.split("\n").filter((l) => l.endsWith(".json")) : [];
      for (const f of applied) {
        const r = await step(ssh, host, ["cat", f], timeoutMs);
        if (r.code !== 0) continue;
        await mkdir(join(tree, APPLIED_IN_SNAPSHOT), { recursive: true });
        await writeFile(join(tree, APPLIED_IN_SNAPSHOT, f.split("/").pop()!), r.stdout, { mode: 0o600 });
      }
      await rm(dir, { recursive: true, force: true });
      await rename(tree, dir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const facts = await discoverHost({ root: dir });
    const libvirt = facts.libvirt !== null;
    return {
      host: host.name,
      ok: libvirt || host.root !== undefined,
      dir,
      ...(libvirt || host.root !== undefined
        ? {
            message: `${facts.cpus.length} CPUs, ${facts.nodes.length} nodes, ${facts.nics.filter((n) => n.sriov).length} SR-IOV PFs${applied.length ? `, ${applied.length} applied plan(s)` : ""}`,
          }
        : {
            failure: "no-libvirt" as const,
            message: "no libvirt: the host answered but has no libvirtd/virsh (snapshot kept)",
            fix: "install libvirt on the host (apt-get install libvirt-daemon-system / dnf install libvirt)",
          }),
      ms: Date.now() - t0,
    };
  } finally {
    await step(ssh, host, ["rm", "-rf", "--", tmp], timeoutMs).catch(() => undefined);
  }
}

/** Every host, `forks` at a time; one host's failure never stops the others. */
export async function snapshotFleet(
  inv: Inventory,
  out: string,
  opts: { forks: number; ssh?: SshRunner; onDone?: (o: SnapshotOutcome) => void },
): Promise<SnapshotOutcome[]> {
  await mkdir(out, { recursive: true, mode: 0o700 });
  return mapLimit(inv.hosts, Math.max(1, opts.forks), async (h) => {
    const o = await snapshotOne(h, out, opts.ssh).catch((e: unknown): SnapshotOutcome => ({
      host: h.name,
      ok: false,
      failure: "failed",
      message: `failed: ${(e as Error).message}`,
      ms: 0,
    }));
    opts.onDone?.(o);
    return o;
  });
}

/** The VMs a host runs per its applied plans (STATE/applied/*.json in its snapshot or root). */
export async function readDeployed(tree: string): Promise<DeployedVnf[]> {
  const dir = join(tree, APPLIED_IN_SNAPSHOT);
  if (!existsSync(dir)) return [];
  const out: DeployedVnf[] = [];
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".json")).sort()) {
    try {
      const plan = JSON.parse(await readFile(join(dir, f), "utf8")) as Plan;
      for (const v of plan.vnfs ?? []) if (!out.some((d) => d.name === v.name)) out.push(deployedFromPlan(v));
    } catch {
      throw new NfvError({
        code: "NFV-FLEET-FACTS",
        what: "applied plan",
        value: join(dir, f),
        expected: "a plan nfvhost apply wrote (JSON)",
        fix: "take the snapshot again with nfvhost fleet snapshot",
      });
    }
  }
  return out;
}

/** Where a host's facts come from: --snapshots DIR/<host>, nfvhost_snapshot, or nfvhost_root. */
export function factsSourceOf(host: FleetHost, snapshots: string | undefined): string {
  if (snapshots !== undefined) {
    for (const p of [join(snapshots, host.name), join(snapshots, `${host.name}.tar.gz`)])
      if (existsSync(p)) return p;
  }
  if (host.snapshot !== undefined) return host.snapshot;
  if (host.root !== undefined && existsSync(host.root)) return host.root;
  throw new NfvError({
    code: "NFV-FLEET-FACTS",
    what: `host ${host.name}`,
    value: snapshots !== undefined ? join(snapshots, host.name) : "no snapshot",
    expected: "the host's facts: a snapshot in --snapshots DIR, or nfvhost_snapshot in the inventory",
    fix: `run: nfvhost fleet snapshot INVENTORY --out DIR, then plan with --snapshots DIR`,
  });
}

export interface LoadedHosts {
  inputs: HostInput[];
  /** Hosts left out of planning: no facts (never snapshotted, or unreachable at snapshot time). */
  skipped: { host: string; reason: string }[];
}

/**
 * Facts of every host. A host without facts is left out and named (an unreachable host must not
 * stop the fleet); with `strict`, it is an error instead.
 */
export async function loadHostInputs(
  inv: Inventory,
  snapshots: string | undefined,
  strict = false,
): Promise<LoadedHosts> {
  const skipped: LoadedHosts["skipped"] = [];
  const inputs = await mapLimit(inv.hosts, 8, async (host): Promise<HostInput | null> => {
    let source: string;
    try {
      source = factsSourceOf(host, snapshots);
    } catch (e) {
      if (strict || !(e instanceof NfvError)) throw e;
      skipped.push({
        host: host.name,
        reason: "no snapshot: run nfvhost fleet snapshot for it (was it unreachable?)",
      });
      return null;
    }
    const facts = await discoverHost({ root: source });
    const deployed = existsSync(join(source, APPLIED_IN_SNAPSHOT)) ? await readDeployed(source) : [];
    return { host, facts, deployed, source };
  });
  const ok = inputs.filter((i): i is HostInput => i !== null);
  if (ok.length === 0)
    throw new NfvError({
      code: "NFV-FLEET-FACTS",
      what: "inventory",
      value: inv.file,
      expected: "facts of at least one host",
      fix: "run: nfvhost fleet snapshot INVENTORY --out DIR, then plan with --snapshots DIR",
    });
  return { inputs: ok, skipped: skipped.sort((a, b) => (a.host < b.host ? -1 : 1)) };
}
