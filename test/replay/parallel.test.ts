/**
 * Apply's domain steps side by side, replayed from the parallel story recorded on the real
 * libvirtd (test/fixtures/virsh-sessions/parallel.json; test/replay/parallel.ts is the story, the
 * same steps as test/apply-parallel.test.ts). No libvirtd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RollbackStep } from "../../src/apply/operate.js";
import { Journal, type JournalEntry } from "../../src/state/journal.js";
import { PARALLEL_STORY, parallelNames } from "./parallel.js";
import { StoryReplay } from "./story.js";

let s: StoryReplay;
let names: string[];

beforeAll(async () => {
  s = await StoryReplay.open("parallel");
  names = parallelNames(s.e);
});
afterAll(() => s?.close());

const lastEntry = async (): Promise<JournalEntry> => (await new Journal(s.e.state).list()).at(-1)!;
const step = (id: string) => s.step(id, PARALLEL_STORY.steps.find((x) => x.id === id)!.run!);
/** What libvirt was asked for one domain, in order (a define names it in the file it reads). */
const ops = (asked: { args: string[]; files?: Record<string, string> }[], name: string) =>
  asked
    .filter(
      (c) =>
        c.args.includes(name) || Object.values(c.files ?? {}).some((x) => x.includes(`<name>${name}</name>`)),
    )
    .map((c) => c.args[2]);

describe("replayed virsh: domain steps side by side", () => {
  it("three new VNFs: each defined, started and autostarted in order, journaled; rollback removes them", async () => {
    const { error, replay } = await step("three-new");
    expect(error).toBeUndefined();
    expect(s.unasked("three-new", replay)).toEqual([]);
    for (const n of names) {
      expect(ops(replay.asked, n).filter((o) => ["define", "start", "autostart"].includes(o!))).toEqual([
        "define",
        "start",
        "autostart",
      ]);
    }
    const entry = await lastEntry();
    expect(entry.status).toBe("complete");
    expect(entry.items.map((i) => [i.kind, "name" in i ? i.name : "", i.done]).sort()).toEqual(
      names.map((n) => ["domain", n, true]),
    );

    const rb = await step("rollback-three");
    expect(s.unasked("rollback-three", rb.replay)).toEqual([]);
    expect((rb.result as { steps: RollbackStep[] }).steps.map((x) => x.done)).toEqual([true, true, true]);
  });

  it("one VNF's image is missing: the one in flight finishes, it is undone, the third never starts; rollback removes only r1", async () => {
    const [r1, r2, r3] = names as [string, string, string];
    const { error, replay } = await step("one-fails");
    expect(s.unasked("one-fails", replay)).toEqual([]);
    const msg = error?.message ?? "";
    expect(msg).toContain(`domain ${r2}: \`virsh --connect ${s.e.uri} start ${r2}\` failed`);
    expect(msg).toContain("no-such-disk.qcow2");
    expect(msg).toContain(`removed ${r2}, which this run had defined`);
    expect(msg).toContain(`not started because of this failure: ${r3}`);
    expect(ops(replay.asked, r3)).not.toContain("define");
    expect(ops(replay.asked, r1)).toEqual(expect.arrayContaining(["define", "start", "autostart"]));
    const entry = await lastEntry();
    expect(entry.status).toBe("failed");
    expect(entry.items).toEqual([
      expect.objectContaining({ kind: "domain", name: r2, beforeXml: null, done: false }),
      expect.objectContaining({ kind: "domain", name: r1, beforeXml: null, done: true }),
    ]);

    const rb = await step("rollback-one-fails");
    expect(s.unasked("rollback-one-fails", rb.replay)).toEqual([]);
    const steps = (rb.result as { steps: RollbackStep[] }).steps;
    expect(steps.filter((x) => /^removed /.test(x.note ?? ""))).toEqual([
      expect.objectContaining({ what: expect.stringContaining(`remove ${r1}`), done: true }),
    ]);
    expect(steps).toContainEqual(
      expect.objectContaining({
        what: expect.stringContaining(`remove ${r2}`),
        note: expect.stringContaining("nothing to undo"),
      }),
    );
  });
});
