/**
 * The recorded virsh stories: what apply, verify, rollback and destroy were asked, in order, on
 * the real libvirtd (test/replay/record.ts records them) and what the replay tests ask again
 * without a daemon (test/replay/*.test.ts). Both run these same steps, so a replayed step asks
 * libvirt exactly what the recorded one did.
 *
 * One story is one host's life: its steps share a state directory (journal, applied plan, day-0
 * ISO) and a snapshot root of the recording host (facts; sysfs written under it). A "hand" step
 * is what an operator does behind nfvhost's back (virsh vcpupin, suspend): it runs only when
 * recording; the replay sees its effect in the next step's recorded answers.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyTopology, type ApplyOptions } from "../../src/apply/index.js";
import { destroyVnfs, rollbackLast } from "../../src/apply/operate.js";
import { Virsh } from "../../src/libvirt/virsh.js";
import { hostLockPath } from "../../src/state/lock.js";
import type { NfvError } from "../../src/util/errors.js";
import { withRunner } from "../../src/util/exec.js";
import { ReplayRunner, type RecordedCall } from "../../src/util/recorded.js";
import { verifyTopology } from "../../src/verify/index.js";

export const SESSIONS = fileURLToPath(new URL("../fixtures/virsh-sessions/", import.meta.url));
/** The recording host's snapshot root (taken by the recorder after it made the lab bridge). */
export const HOST_SNAPSHOT = join(SESSIONS, "host");
export const PASSWORD_ENV = "NFVT_REC_ADMIN_PASSWORD";
export const PASSWORD = "nfvt-rec-Secret1";
/** The programs a story records and a replay answers; others (xorriso, flock) run for real. */
export const RECORDED_PROGRAMS = new Set(["virsh", "prlimit", "qemu-img"]);

/** Names of one recording run (unique on the recording host; fixed in the fixture afterwards). */
export interface StoryNames {
  topo: string;
  vnf: string;
  bridge: string;
  net: string;
  mac: string;
  hostname: string;
}

export interface StepRecord {
  id: string;
  calls: RecordedCall[];
  /** Files under $DIR the step reads that the recording host had (qemu's /proc evidence). */
  files?: Record<string, string>;
}

export interface StoryFixture {
  schema: 1;
  story: string;
  about: string;
  recorded: string;
  names: StoryNames;
  /** Placeholders in the calls: $DIR (the story's work directory), $STATE, $URI. */
  steps: StepRecord[];
}

/** Where a story runs: the recorder's real paths or a replay test's temporary ones. */
export interface StoryEnv {
  names: StoryNames;
  dir: string;
  state: string;
  /** Host root: a private copy of HOST_SNAPSHOT (apply writes sysfs under it). */
  root: string;
  uri: string;
  env: Record<string, string | undefined>;
  /** Each apply gets its own root copy when an earlier one may still hold the root's lock. */
  rootFor?: (id: string) => Promise<string>;
}

export const placeholders = (e: Pick<StoryEnv, "dir" | "state" | "uri">) => ({
  $STATE: e.state,
  $DIR: e.dir,
  $URI: e.uri,
});

/**
 * The lab topology of test/fixtures/apply/lab.yaml with a libvirt network in front of the VNF
 * (a bridge the recorder made), so a first apply defines, starts and autostarts a network too.
 */
export function topologyText(
  n: StoryNames,
  dir: string,
  over: { kernel?: string; image?: string; cmdline?: string } = {},
) {
  return `name: ${n.topo}
lab: true
host:
  cpus:
    isolate: [1]
  hugepages:
    size: 2M
networks:
  ${n.net}:
    type: bridge
    bridge: ${n.bridge}
vnfs:
  ${n.vnf}:
    kind: csr1000v
    image: ${over.image ?? join(dir, "disk.qcow2")}
    vcpus: 1
    memory: 4GiB
    thread-policy: prefer
    boot:
      kernel: ${over.kernel ?? join(dir, "vmlinuz")}
      initrd: ${join(dir, "initrd.img")}
      cmdline: "${over.cmdline ?? "console=ttyS0 nfvt.hold=forever"}"
    interfaces:
      - type: network
        network: ${n.net}
        mac: ${n.mac}
    day0:
      mode: autonomous
      hostname: ${n.hostname}
      users:
        admin:
          privilege: 15
          password-env: ${PASSWORD_ENV}
`;
}

/** The topology files a story applies, written into its work directory. */
export const TOPOLOGIES = {
  v1: {},
  v2: { cmdline: "console=ttyS0 nfvt.hold=forever nfvt.v=2" },
  "no-kernel": { kernel: "no-such-vmlinuz" },
  "no-image": { image: "no-such-disk.qcow2", cmdline: "console=ttyS0 nfvt.hold=forever nfvt.v=2" },
} as const;
export type TopologyName = keyof typeof TOPOLOGIES;

export async function writeTopologies(e: Pick<StoryEnv, "names" | "dir">): Promise<void> {
  for (const [name, over] of Object.entries(TOPOLOGIES)) {
    const o: { kernel?: string; image?: string; cmdline?: string } = { ...over };
    if (o.kernel) o.kernel = join(e.dir, o.kernel);
    if (o.image) o.image = join(e.dir, o.image);
    await writeFile(join(e.dir, `${name}.yaml`), topologyText(e.names, e.dir, o));
  }
}

/** A private, writable copy of the host snapshot. */
export async function copyRoot(to: string): Promise<string> {
  await mkdir(dirname(to), { recursive: true });
  await cp(HOST_SNAPSHOT, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

export function applyOptions(
  e: StoryEnv,
  topology: TopologyName,
  over: Partial<ApplyOptions> = {},
): ApplyOptions {
  return {
    topologyFile: join(e.dir, `${topology}.yaml`),
    connect: e.uri,
    stateDir: e.state,
    root: e.root,
    dryRun: false,
    yes: [],
    adopt: false,
    allowUnlocked: false,
    stopTimeoutMs: 0,
    env: e.env,
    renderer: "silent",
    ...over,
  };
}

export const verify = (e: StoryEnv, procRoot: string, topology: TopologyName = "v1") =>
  verifyTopology({
    topologyFile: join(e.dir, `${topology}.yaml`),
    connect: e.uri,
    stateDir: e.state,
    root: e.root,
    procRoot: join(e.dir, procRoot),
    env: Object.fromEntries(Object.entries(e.env).filter(([k]) => k !== PASSWORD_ENV)),
  });

export const rollback = (e: StoryEnv, yes: string[] = []) =>
  rollbackLast(new Virsh(e.uri), { stateDir: e.state, yes: new Set(yes), dryRun: false });

export const destroy = (e: StoryEnv, yes: boolean, all = false) =>
  destroyVnfs(new Virsh(e.uri), all ? [] : [e.names.vnf], {
    all,
    yes,
    adopt: false,
    topology: e.names.topo,
    stateDir: e.state,
  });

/** Where a killed apply stops: before or after one sub-step of its domain change. */
export type KillPoint = `${"before" | "after"}-${"stop" | "define" | "start"}`;

/**
 * An apply "killed" at a point: its libvirt adapter never returns from there, so the run stays
 * in-progress in the journal exactly as a SIGKILLed one (the promise is left pending; the root's
 * lock stays with it, which is why such a step gets a root of its own).
 */
export function killedApply(
  e: StoryEnv,
  root: string,
  topology: TopologyName,
  point: KillPoint,
): Promise<void> {
  let reached!: () => void;
  const there = new Promise<void>((r) => (reached = r));
  const hang = () => {
    reached();
    return new Promise<never>(() => undefined);
  };
  class Pausing extends Virsh {
    private async around<T>(step: string, fn: () => Promise<T>): Promise<T> {
      if (point === `before-${step}`) await hang();
      const r = await fn();
      if (point === `after-${step}`) await hang();
      return r;
    }
    override stop(name: string, timeoutMs: number) {
      return this.around("stop", () => super.stop(name, timeoutMs));
    }
    override define(name: string, xml: string) {
      return this.around("define", () => super.define(name, xml));
    }
    override start(name: string) {
      return this.around("start", () => super.start(name));
    }
  }
  const pending = applyTopology(
    applyOptions({ ...e, root }, topology, { virsh: new Pausing(e.uri), yes: [e.names.vnf] }),
  );
  // It never settles unless it fails before the point; then say so.
  return Promise.race([
    there,
    pending.then(() => Promise.reject(new Error(`apply finished before ${point}`))),
  ]);
}

export async function loadFixture(name: string): Promise<StoryFixture> {
  return JSON.parse(await readFile(join(SESSIONS, `${name}.json`), "utf8")) as StoryFixture;
}

/** A story replayed in a temporary directory, step by step, each step on its own recording. */
export class StoryReplay {
  private constructor(
    readonly fixture: StoryFixture,
    readonly e: StoryEnv,
    private readonly roots: string[],
  ) {}

  static async open(name: string): Promise<StoryReplay> {
    const fixture = await loadFixture(name);
    const dir = await mkdtemp(join(tmpdir(), `nfvhost-replay-${name}-`));
    const state = join(dir, "state");
    await mkdir(state, { mode: 0o755 });
    // Apply reads the image and the kernel only as paths; libvirt (replayed) never opens them.
    for (const f of ["disk.qcow2", "vmlinuz", "initrd.img"]) await writeFile(join(dir, f), "");
    const roots: string[] = [];
    let n = 0;
    const e: StoryEnv = {
      names: fixture.names,
      dir,
      state,
      root: await copyRoot(join(dir, "root")),
      // Another URI than the host's: destroy and rollback lock it, and this is no host's libvirt.
      uri: `qemu:///nfvhost-replay-${process.pid}-${name}`,
      env: { [PASSWORD_ENV]: PASSWORD, PATH: process.env.PATH },
      rootFor: async () => {
        const r = await copyRoot(join(dir, `root-${++n}`));
        roots.push(r);
        return r;
      },
    };
    roots.push(e.root);
    await writeTopologies(e);
    return new StoryReplay(fixture, e, roots);
  }

  record(id: string): StepRecord {
    const s = this.fixture.steps.find((x) => x.id === id);
    if (!s) throw new Error(`step ${id} is not in the recorded story ${this.fixture.story}`);
    return s;
  }

  /** Runs a recorded step against its recording; hand steps only lay down the files they left. */
  async step<T>(
    id: string,
    run: (e: StoryEnv) => Promise<T>,
  ): Promise<{ result?: T; error?: Error; replay: ReplayRunner }> {
    const rec = this.record(id);
    const replay = new ReplayRunner({ schema: 1, calls: rec.calls }, placeholders(this.e), RECORDED_PROGRAMS);
    try {
      return { result: await withRunner(replay, () => run(this.e)), replay };
    } catch (error) {
      if ((error as NfvError).details?.code === "NFV-TEST-REPLAY") throw error;
      return { error: error as Error, replay };
    }
  }

  /** Lays down the files a hand step captured (qemu's /proc evidence). */
  async files(id: string): Promise<void> {
    for (const [rel, text] of Object.entries(this.record(id).files ?? {})) {
      await mkdir(dirname(join(this.e.dir, rel)), { recursive: true });
      await writeFile(join(this.e.dir, rel), text);
    }
  }

  /** The recorded calls a step made that its replay did not ask (none, when the code is unchanged). */
  unasked(id: string, replay: ReplayRunner): string[] {
    const asked = new Map<string, number>();
    for (const c of replay.asked)
      asked.set(JSON.stringify(c.args), (asked.get(JSON.stringify(c.args)) ?? 0) + 1);
    const out: string[] = [];
    for (const c of this.record(id).calls) {
      const k = JSON.stringify(c.args);
      const n = asked.get(k) ?? 0;
      if (n > 0) asked.set(k, n - 1);
      else out.push(`${c.command} ${c.args.join(" ")}`);
    }
    return out;
  }

  async close(): Promise<void> {
    // The host locks these runs took: files of their own under /run/lock/nfvhost.
    const keys = [this.e.uri, ...this.roots.map((r) => `${this.e.uri}#root=${resolve(r)}`)];
    for (const k of keys) await rm(hostLockPath(k), { force: true });
    await rm(this.e.dir, { recursive: true, force: true });
  }
}
