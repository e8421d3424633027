/**
 * Apply's domain steps side by side, against the real libvirtd + QEMU: three test-guest VNFs
 * (TCG, 1 vCPU each, all sharing CPU 1, emulators on CPU 0, 128 MiB of 2 MiB pages) go through
 * the change set and the same execution apply uses (computeChanges -> runChanges ->
 * executeChange, journaled). The planner fits one VNF per topology on this 2-CPU machine, so the
 * desired state is built from the rendered XML of three test VNFs instead of one topology file.
 * A Virsh that records when each `virsh start` runs proves the starts overlapped. A missing image
 * in one VNF: the others in flight finish, the failing one is undone, nothing new starts, the
 * error names it, the journal and rollback stay intact. Names nfvt-par-*, removed in afterAll.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeChanges, type Change, type Desired } from "../src/apply/changes.js";
import { serialLogPath } from "../src/desired/desired.js";
import { executeChange, type ExecContext } from "../src/apply/execute.js";
import { readLive } from "../src/apply/index.js";
import { rollbackLast } from "../src/apply/operate.js";
import { runChanges } from "../src/apply/schedule.js";
import { Virsh } from "../src/libvirt/virsh.js";
import { renderDomainXml } from "../src/render/libvirt/domain.js";
import { Journal, type JournalEntry } from "../src/state/journal.js";
import type { HeldLock } from "../src/state/lock.js";
import { NfvError } from "../src/util/errors.js";
import { runChecked } from "../src/util/exec.js";
import {
  ensureHugepages,
  ensureTestGuest,
  makeGuestDir,
  removeDomain,
  testGuestContext,
  testGuestVnf,
  uniqueSuffix,
  waitForGuest,
  type TestGuest,
} from "./support/guest.js";
import { withSuiteLock } from "./support/lab.js";

const URI = "qemu:///system";
const sfx = uniqueSuffix();
const TOPO = `nfvt-par-${sfx}`;
const NAMES = ["r1", "r2", "r3"].map((r) => `nfvt-par-${sfx}-${r}`);

/** Records each domain's virsh calls with their times; `hold` keeps a start waiting for a promise. */
class RecordingVirsh extends Virsh {
  readonly calls: { name: string; op: string; t0: number; t1: number; ok: boolean }[] = [];
  hold = new Map<string, Promise<unknown>>();

  private async timed<T>(name: string, op: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const r = await f();
      this.calls.push({ name, op, t0, t1: performance.now(), ok: true });
      return r;
    } catch (e) {
      this.calls.push({ name, op, t0, t1: performance.now(), ok: false });
      throw e;
    }
  }
  override define(name: string, xml: string) {
    return this.timed(name, "define", () => super.define(name, xml));
  }
  override async start(name: string) {
    await this.hold.get(name);
    return this.timed(name, "start", () => super.start(name));
  }
  override async autostart(name: string, enable: boolean) {
    await this.hold.get(`${name} autostart`);
    return this.timed(name, "autostart", () => super.autostart(name, enable));
  }
  of(name: string, op: string) {
    return this.calls.find((c) => c.name === name && c.op === op);
  }
}

let lock: HeldLock | undefined;
let guest: TestGuest;
let dir: string;
let state: string;

async function desired(images: Record<string, string> = {}): Promise<Desired> {
  const domains = NAMES.map((name) => {
    const vnf = testGuestVnf({ name, image: images[name] ?? join(dir, `${name}.qcow2`), interfaces: [] });
    const ctx = testGuestContext(guest, {
      serialLogPath: serialLogPath(state, name),
      holdSeconds: "forever",
    });
    return { vnf, name, xml: renderDomainXml(vnf, ctx), autostart: true };
  });
  return { sysfs: [], nm: [], isos: [], networks: [], domains };
}

async function changesFor(virsh: Virsh, d: Desired): Promise<Change[]> {
  const set = computeChanges(d, await readLive(virsh, d, "/"), {
    yes: new Set(),
    adopt: false,
    topologyName: TOPO,
  });
  return set.changes;
}

/** What applyTopology does with a change set: a journal entry, runChanges, finish. */
async function execute(virsh: Virsh, changes: Change[], concurrency?: number) {
  const journal = await new Journal(state).begin(`${TOPO}.yaml`, URI);
  const exec: ExecContext = { virsh, journal, root: "/", stateDir: state, stopTimeoutMs: 0, notes: [] };
  try {
    await runChanges(changes, (c) => executeChange(c, exec), { renderer: "silent", concurrency });
  } catch (e) {
    await journal.finish("failed", (e as Error).message);
    throw e;
  }
  await journal.finish("complete");
}

async function lastEntry(): Promise<JournalEntry> {
  const all = await new Journal(state).list();
  return all.at(-1)!;
}

const domState = async (name: string) => {
  const r = await new Virsh(URI).raw(["domstate", name]);
  return r.code === 0 ? r.stdout.trim() : "absent";
};

beforeAll(async () => {
  // The apply suites' lock: their guests want CPU 1 too.
  lock = await withSuiteLock("test/apply-parallel.test.ts");
  guest = await ensureTestGuest();
  await ensureHugepages(2048, 3 * 64);
  dir = await makeGuestDir("nfvt-par-");
  state = join(dir, "state");
  await mkdir(state, { mode: 0o755 });
  for (const n of NAMES)
    await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, `${n}.qcow2`), "16M"]);
}, 1_800_000);

afterAll(async () => {
  for (const n of NAMES) await removeDomain(n);
  if (dir) await rm(dir, { recursive: true, force: true });
  await lock?.release();
});

describe("apply runs different domains' steps side by side (real libvirtd)", () => {
  it("starts three new VNFs concurrently, each domain's steps in order, journaled; rollback removes them", async () => {
    const virsh = new RecordingVirsh(URI);
    const changes = await changesFor(virsh, await desired());
    expect(changes.map((c) => `${c.kind} ${c.kind === "domain" ? c.name : ""}`)).toEqual(
      NAMES.map((n) => `domain ${n}`),
    );
    await execute(virsh, changes);
    for (const n of NAMES) expect(await domState(n)).toBe("running");
    // Every start began before any other ended: the three QEMU start-ups overlapped.
    const starts = NAMES.map((n) => virsh.of(n, "start")!);
    expect(Math.max(...starts.map((s) => s.t0))).toBeLessThan(Math.min(...starts.map((s) => s.t1)));
    // Within a domain: define, then start, then autostart.
    for (const n of NAMES) {
      const [d, s, a] = ["define", "start", "autostart"].map((op) => virsh.of(n, op)!);
      expect(d!.t1).toBeLessThanOrEqual(s!.t0);
      expect(s!.t1).toBeLessThanOrEqual(a!.t0);
    }
    const entry = await lastEntry();
    expect(entry.status).toBe("complete");
    expect(entry.items.map((i) => [i.kind, "name" in i ? i.name : "", i.done]).sort()).toEqual(
      NAMES.map((n) => ["domain", n, true]),
    );
    // The journal file parses (serialized writes) and its recorded "before" is a new domain.
    expect(JSON.parse(await readFile(new Journal(state).pathOf(entry.id), "utf8")).items).toHaveLength(3);
    await waitForGuest(NAMES[0]!, serialLogPath(state, NAMES[0]!), {
      timeoutMs: 240_000,
      untilShutOff: false,
    });

    const rb = await rollbackLast(virsh, { stateDir: state, yes: new Set(NAMES), dryRun: false });
    expect(rb.steps.map((s) => s.done)).toEqual([true, true, true]);
    for (const n of NAMES) expect(await domState(n)).toBe("absent");
  }, 600_000);

  it("one VNF's image is missing: the others in flight finish, it is undone, nothing new starts, rollback stays exact", async () => {
    const [r1, r2, r3] = NAMES as [string, string, string];
    const virsh = new RecordingVirsh(URI);
    const changes = await changesFor(virsh, await desired({ [r2]: join(dir, "no-such-disk.qcow2") }));
    // Two at a time; r2 first. r1's start waits until r2's has failed and its autostart until r2
    // was undone (and a moment more, for its step to reject): r1 is in flight when r2 fails, and
    // r3 (third in line) takes r2's slot after the failure, so it must never start.
    const order = [r2, r1, r3].map((n) => changes.find((c) => c.kind === "domain" && c.name === n)!);
    let r2Failed!: () => void;
    virsh.hold.set(r1, new Promise<void>((res) => (r2Failed = res)));
    const start = virsh.start.bind(virsh);
    let r2Undone!: () => void;
    virsh.hold.set(
      `${r1} autostart`,
      new Promise<void>((res) => (r2Undone = res)).then(() => new Promise((res) => setTimeout(res, 300))),
    );
    const undefine = virsh.undefine.bind(virsh);
    virsh.undefine = async (name: string) => {
      try {
        return await undefine(name);
      } finally {
        if (name === r2) r2Undone();
      }
    };
    virsh.start = async (name: string) => {
      try {
        return await start(name);
      } finally {
        if (name === r2) r2Failed();
      }
    };
    const err = await execute(virsh, order, 2).catch((e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(NfvError);
    const msg = (err as NfvError).message;
    expect(msg).toContain(`domain ${r2}: \`virsh --connect ${URI} start ${r2}\` failed`);
    expect(msg).toContain("no-such-disk.qcow2");
    expect(msg).toContain(`removed ${r2}, which this run had defined`);
    expect(msg).toContain(`not started because of this failure: ${r3}`);
    expect(virsh.of(r2, "start")!.ok).toBe(false);
    // r1 was in flight when r2 failed, and finished.
    expect(virsh.of(r1, "define")!.t0).toBeLessThan(virsh.of(r2, "start")!.t1);
    expect(virsh.of(r1, "autostart")!.ok).toBe(true);
    expect(virsh.of(r3, "define")).toBeUndefined();
    expect(await domState(r1)).toBe("running");
    expect(await domState(r2)).toBe("absent");
    expect(await domState(r3)).toBe("absent");
    const entry = await lastEntry();
    expect(entry.status).toBe("failed");
    expect(entry.error).toContain(r2);
    expect(entry.items).toEqual([
      expect.objectContaining({ kind: "domain", name: r2, beforeXml: null, done: false }),
      expect.objectContaining({ kind: "domain", name: r1, beforeXml: null, done: true }),
    ]);

    // Resumable: the next pass with the image back does exactly r2 and r3.
    const next = await changesFor(virsh, await desired());
    expect(next.map((c) => (c.kind === "domain" ? c.name : c.kind)).sort()).toEqual([r2, r3].sort());
    // Rollback of the failed run removes what it created (r1) and nothing else.
    const rb = await rollbackLast(virsh, { stateDir: state, yes: new Set(NAMES), dryRun: false });
    // The steps also name the unfinished run and r2, which apply's own undo had removed already.
    const acted = rb.steps.filter((s) => /^removed /.test(s.note ?? ""));
    expect(acted).toEqual([
      expect.objectContaining({ what: expect.stringContaining(`remove ${r1}`), done: true }),
    ]);
    expect(rb.steps).toContainEqual(
      expect.objectContaining({
        what: expect.stringContaining(`remove ${r2}`),
        note: expect.stringContaining("nothing to undo"),
      }),
    );
    for (const n of NAMES) expect(await domState(n)).toBe("absent");
  }, 600_000);
});
