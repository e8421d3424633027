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
import { writeFile } from "node:fs/promises";
import { readStatus } from "../../src/apply/status.js";
import { rollback, type StoryEnv } from "./story.js";
import type { HandTools, Story } from "./stories.js";

export const parallelNames = (e: StoryEnv) => ["p1", "p2", "p3"].map((r) => `${e.names.topo}-${r}`);

/** What a step wants of the three: one's image missing, some rejected by libvirt, all marked. */
interface DesiredOpts {
  missingImage?: string;
  /** Rendered with a machine type QEMU does not have: libvirt refuses their `virsh define`. */
  rejected?: string[];
  /** nfvhost's <metadata> mark of this topology (nfvhost status lists them as the topology's). */
  topology?: string;
}

/**
 * A machine type no QEMU has. Well-formed, so the renderer takes it; named as an i440fx one, so
 * libvirt gives it PCI buses and refuses the define for the machine type itself ("does not support
 * machine type"), not for a missing bus.
 */
export const NO_SUCH_MACHINE = "pc-i440fx-nfvt-none";

function desired(e: StoryEnv, o: DesiredOpts = {}): Desired {
  const domains = parallelNames(e).map((name, i) => {
    // An image each: QEMU locks a disk image against a second VM.
    const image =
      name === o.missingImage ? join(e.dir, "no-such-disk.qcow2") : join(e.dir, `disk-p${i + 1}.qcow2`);
    const vnf = testGuestVnf({ name, image, interfaces: [] });
    const ctx = testGuestContext(
      { kernel: join(e.dir, "vmlinuz"), initrd: join(e.dir, "initrd.img") } as Parameters<
        typeof testGuestContext
      >[0],
      { serialLogPath: serialLogPath(e.state, name), holdSeconds: "forever" },
    );
    const xml = renderDomainXml(vnf, {
      ...ctx,
      ...(o.rejected?.includes(name) ? { machine: NO_SUCH_MACHINE } : {}),
      ...(o.topology !== undefined ? { topology: o.topology } : {}),
    });
    return { vnf, name, xml, autostart: true };
  });
  return { sysfs: [], nm: [], isos: [], networks: [], domains };
}

/**
 * Domains beside the topology's, defined by hand and never started: someone else's (no nfvhost
 * mark) and one nfvhost made for another topology. `nfvhost status` must tell them apart.
 */
export const otherNames = (e: StoryEnv) => ({
  foreign: `${e.names.topo}-f1`,
  otherTopology: `${e.names.topo}-o1`,
});
export const OTHER_TOPOLOGY_SUFFIX = "-other";

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
  override define(name: string, xml: string) {
    return this.held(`define ${name}`, () => super.define(name, xml));
  }
  /** A promise that settles once `key`'s call returned or failed. */
  settled(key: string): Promise<void> {
    return new Promise<void>((res) => this.after.set(key, res));
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
    "three VNFs' domain steps side by side (the change set, runChanges and executeChange as apply runs them): all started and rolled back; then one VNF's image missing with two in flight: the one in flight finishes, the failing one is undone, the third never starts, rollback removes only what the run created; then all three in flight and libvirt refusing two definitions (unknown machine type): both failures reported at once, the third runs; status beside someone else's domain and another topology's; rollback removes the third",
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
        const changes = await changesFor(e, virsh, desired(e, { missingImage: r2 }));
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
    {
      // All three in flight at once; libvirt refuses the definitions of r1 and r2 (a machine type
      // QEMU does not have: an error with no known fix), r3 is defined, started and autostarted.
      // Every define is the same call (`virsh define FILE`): holds keep them in one order
      // (r1, r2, r3), so the replay answers each domain with its own recorded answer.
      id: "two-rejected",
      run: async (e) => {
        const [r1, r2, r3] = parallelNames(e) as [string, string, string];
        const virsh = new HoldingVirsh(e.uri);
        const changes = await changesFor(
          e,
          virsh,
          desired(e, { rejected: [r1, r2], topology: e.names.topo }),
        );
        virsh.hold.set(`define ${r2}`, virsh.settled(`define ${r1}`));
        virsh.hold.set(`define ${r3}`, virsh.settled(`define ${r2}`));
        await execute(e, virsh, changes, 3);
      },
    },
    { id: "others", hand: defineOthers },
    // As `nfvhost status --all`: every domain read; the tests filter the same answers as status does.
    { id: "status", run: (e) => readStatus(new Virsh(e.uri), { threads: false, all: true }) },
    {
      id: "others-gone",
      hand: async (e, t) => {
        for (const n of Object.values(otherNames(e))) await must(t.virsh(["undefine", n]));
      },
    },
    { id: "rollback-two-rejected", run: (e) => rollback(e, parallelNames(e)) },
  ],
};

const must = async (r: ReturnType<HandTools["virsh"]>) => {
  const x = await r;
  if (x.code !== 0) throw new Error(`${x.args.join(" ")}: ${x.stderr}`);
};

/** Someone else's domain (no nfvhost mark) and nfvhost's of another topology, both shut off. */
async function defineOthers(e: StoryEnv, t: HandTools): Promise<void> {
  const { foreign, otherTopology } = otherNames(e);
  const foreignXml = join(e.dir, "f1.xml");
  await writeFile(
    foreignXml,
    `<domain type='qemu'><name>${foreign}</name><uuid>6d3f0b8e-0000-4000-8000-000000000003</uuid><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
  );
  await must(t.virsh(["define", foreignXml]));
  const vnf = testGuestVnf({ name: otherTopology, image: join(e.dir, "disk-p1.qcow2"), interfaces: [] });
  const ctx = testGuestContext(
    { kernel: join(e.dir, "vmlinuz"), initrd: join(e.dir, "initrd.img") } as Parameters<
      typeof testGuestContext
    >[0],
    { serialLogPath: serialLogPath(e.state, otherTopology), holdSeconds: "forever" },
  );
  const otherXml = join(e.dir, "o1.xml");
  await writeFile(
    otherXml,
    renderDomainXml(vnf, { ...ctx, topology: `${e.names.topo}${OTHER_TOPOLOGY_SUFFIX}` }),
  );
  await must(t.virsh(["define", otherXml]));
}
