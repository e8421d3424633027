/**
 * The parallel story: apply's domain steps side by side, as test/apply-parallel.test.ts runs them
 * on the real libvirtd (computeChanges -> runChanges -> executeChange, journaled), for three
 * test-guest VNFs built from rendered XML (the planner fits one VNF per topology on a 2-CPU
 * machine). The failing run orders its calls with holds, so recording and replay see one order:
 * r1's start waits for r2's failed start, r1's autostart for r2's undo; r3, third in line with two
 * in flight, must never start.
 */
import { join } from "node:path";
import { computeChanges, type Change, type Desired } from "../../src/apply/changes.js";
import { executeChange, type ExecContext } from "../../src/apply/execute.js";
import { readLive } from "../../src/apply/index.js";
import { runChanges } from "../../src/apply/schedule.js";
import { serialLogPath } from "../../src/desired/desired.js";
import { Virsh } from "../../src/libvirt/virsh.js";
import { renderDomainXml } from "../../src/render/libvirt/domain.js";
import { Journal } from "../../src/state/journal.js";
import { testGuestContext, testGuestVnf } from "../support/guest.js";
import { rollback, type StoryEnv } from "./story.js";
import type { Story } from "./stories.js";

export const parallelNames = (e: StoryEnv) => ["p1", "p2", "p3"].map((r) => `${e.names.topo}-${r}`);

function desired(e: StoryEnv, missingImage?: string): Desired {
  const domains = parallelNames(e).map((name, i) => {
    // An image each: QEMU locks a disk image against a second VM.
    const image =
      name === missingImage ? join(e.dir, "no-such-disk.qcow2") : join(e.dir, `disk-p${i + 1}.qcow2`);
    const vnf = testGuestVnf({ name, image, interfaces: [] });
    const ctx = testGuestContext(
      { kernel: join(e.dir, "vmlinuz"), initrd: join(e.dir, "initrd.img") } as Parameters<
        typeof testGuestContext
      >[0],
      { serialLogPath: serialLogPath(e.state, name), holdSeconds: "forever" },
    );
    return { vnf, name, xml: renderDomainXml(vnf, ctx), autostart: true };
  });
  return { sysfs: [], nm: [], isos: [], networks: [], domains };
}

/** Holds a call until a promise settles: orders the calls of different domains. */
class HoldingVirsh extends Virsh {
  hold = new Map<string, Promise<unknown>>();
  after = new Map<string, () => void>();
  private async held<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.hold.get(key);
    try {
      return await fn();
    } finally {
      this.after.get(key)?.();
    }
  }
  override start(name: string) {
    return this.held(`start ${name}`, () => super.start(name));
  }
  override autostart(name: string, enable: boolean) {
    return this.held(`autostart ${name}`, () => super.autostart(name, enable));
  }
  override undefine(name: string) {
    return this.held(`undefine ${name}`, () => super.undefine(name));
  }
}

/** What applyTopology does with a change set: a journal entry, runChanges, finish. */
async function execute(e: StoryEnv, virsh: Virsh, changes: Change[], concurrency?: number): Promise<void> {
  const journal = await new Journal(e.state).begin(`${e.names.topo}-parallel.yaml`, virsh.uri);
  const exec: ExecContext = { virsh, journal, root: e.root, stateDir: e.state, stopTimeoutMs: 0, notes: [] };
  try {
    await runChanges(changes, (c) => executeChange(c, exec), { renderer: "silent", concurrency });
  } catch (err) {
    await journal.finish("failed", (err as Error).message);
    throw err;
  }
  await journal.finish("complete");
}

async function changesFor(e: StoryEnv, virsh: Virsh, d: Desired): Promise<Change[]> {
  return computeChanges(d, await readLive(virsh, d, e.root), {
    yes: new Set(),
    adopt: false,
    topologyName: e.names.topo,
  }).changes;
}

export const PARALLEL_STORY: Story = {
  name: "parallel",
  about:
    "three VNFs' domain steps side by side (the change set, runChanges and executeChange as apply runs them): all started and rolled back; then one VNF's image missing with two in flight: the one in flight finishes, the failing one is undone, the third never starts, rollback removes only what the run created",
  steps: [
    {
      id: "three-new",
      run: async (e) => {
        const virsh = new Virsh(e.uri);
        await execute(e, virsh, await changesFor(e, virsh, desired(e)));
      },
    },
    { id: "rollback-three", run: (e) => rollback(e, parallelNames(e)) },
    {
      id: "one-fails",
      run: async (e) => {
        const [r1, r2, r3] = parallelNames(e) as [string, string, string];
        const virsh = new HoldingVirsh(e.uri);
        const changes = await changesFor(e, virsh, desired(e, r2));
        const order = [r2, r1, r3].map((n) => changes.find((c) => c.kind === "domain" && c.name === n)!);
        let r2Failed!: () => void;
        virsh.hold.set(`start ${r1}`, new Promise<void>((res) => (r2Failed = res)));
        virsh.after.set(`start ${r2}`, () => r2Failed());
        let r2Undone!: () => void;
        virsh.hold.set(
          `autostart ${r1}`,
          new Promise<void>((res) => (r2Undone = res)).then(() => new Promise((res) => setTimeout(res, 300))),
        );
        virsh.after.set(`undefine ${r2}`, () => r2Undone());
        await execute(e, virsh, order, 2);
      },
    },
    { id: "rollback-one-fails", run: (e) => rollback(e, parallelNames(e)) },
  ],
};
