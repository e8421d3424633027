/**
 * Apply's domain steps side by side, replayed from the parallel story recorded on the real
 * libvirtd (test/fixtures/virsh-sessions/parallel.json; test/replay/parallel.ts is the story, the
 * same steps as test/apply-parallel.test.ts). No libvirtd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RollbackStep } from "../../src/apply/operate.js";
import { readStatus, type VnfStatus } from "../../src/apply/status.js";
import { Virsh } from "../../src/libvirt/virsh.js";
import { Journal, type JournalEntry } from "../../src/state/journal.js";
import { NfvErrors } from "../../src/util/errors.js";
import {
  NO_SUCH_MACHINE,
  OTHER_TOPOLOGY_SUFFIX,
  PARALLEL_STORY,
  otherNames,
  parallelNames,
} from "./parallel.js";
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

  it("two VNFs' definitions refused by libvirt with the third in flight: each error named with libvirt's words and nothing to undo, the third runs; rollback removes only it", async () => {
    const [r1, r2, r3] = names as [string, string, string];
    const { error, replay } = await step("two-rejected");
    expect(s.unasked("two-rejected", replay)).toEqual([]);
    // Both failures at once, in planned order, each as its domain step threw it (nothing waited).
    expect(error).toBeInstanceOf(NfvErrors);
    const errors = (error as NfvErrors).errors;
    expect(error!.message.split("\n")[0]).toBe(`2 domains failed (${r1}, ${r2}):`);
    expect(errors.map((e) => e.details.what)).toEqual(
      [r1, r2].map((n) =>
        expect.stringMatching(new RegExp(`^domain ${n}: \`virsh --connect \\S+ define \\S+\` failed$`)),
      ),
    );
    for (const [i, n] of [r1, r2].entries()) {
      expect(errors[i]!.details.value).toContain(`machine type '${NO_SUCH_MACHINE}'`);
      // libvirt's message has no fix of its own: the fix is what the undo did, then apply again.
      expect(errors[i]!.details.fix).toBe(
        `${n}: nothing to undo (this run did not create it); then run apply again (steps already done are kept and skipped)`,
      );
    }
    expect(error!.message).not.toContain("not started because of this failure");
    expect(ops(replay.asked, r3)).toEqual(expect.arrayContaining(["define", "start", "autostart"]));
    for (const n of [r1, r2]) expect(ops(replay.asked, n)).not.toContain("start");
    const entry = await lastEntry();
    expect(entry.status).toBe("failed");
    expect(entry.items.map((i) => [i.kind === "domain" && i.name, i.done])).toEqual([
      [r1, false],
      [r2, false],
      [r3, true],
    ]);
  });

  it("status: nfvhost's domains by default (someone else's left out), one topology's with it named, every domain with --all", async () => {
    const [, , r3] = names as [string, string, string];
    const { foreign, otherTopology } = otherNames(s.e);
    // Both filter the answers of one recorded `nfvhost status --all`: the same libvirt calls.
    const read = (opts: Parameters<typeof readStatus>[1]) =>
      s.step("status", (e) => readStatus(new Virsh(e.uri), opts));

    const mine = await read({ threads: false, topology: s.e.names.topo });
    expect(mine.error).toBeUndefined();
    expect(s.unasked("status", mine.replay)).toEqual([]);
    expect((mine.result as VnfStatus[]).map((x) => x.name)).toEqual([r3]);
    expect((mine.result as VnfStatus[])[0]).toMatchObject({
      topology: s.e.names.topo,
      state: "running",
      vcpuPins: [{ vcpu: 0, cpus: "1" }],
      emulatorPin: "0",
    });

    // No topology named: every domain nfvhost made, of any topology; someone else's left out.
    const ours = await read({ threads: false });
    expect(s.unasked("status", ours.replay)).toEqual([]);
    expect((ours.result as VnfStatus[]).map((x) => x.name).sort()).toEqual([r3, otherTopology].sort());

    const none = await read({ threads: false, topology: `${s.e.names.topo}-none` });
    expect(none.result).toEqual([]);

    const all = await read({ threads: false, all: true });
    expect(s.unasked("status", all.replay)).toEqual([]);
    const rows = all.result as VnfStatus[];
    const row = (n: string) => rows.find((x) => x.name === n);
    expect(row(foreign)).toMatchObject({ topology: null, state: "shut off", vcpuPins: [], qemuPid: null });
    expect(row(otherTopology)).toMatchObject({
      topology: `${s.e.names.topo}${OTHER_TOPOLOGY_SUFFIX}`,
      state: "shut off",
      // A shut-off domain's pins are its definition's (no live `virsh vcpupin` to ask).
      vcpuPins: [{ vcpu: 0, cpus: "1" }],
      qemuPid: null,
    });
    expect(row(r3)).toMatchObject({ topology: s.e.names.topo, state: "running" });
    // Only a running domain's live pins are asked.
    const asked = all.replay.asked.map((c) => c.args.slice(2).join(" "));
    for (const n of [foreign, otherTopology]) {
      expect(asked).not.toContain(`vcpupin ${n}`);
      expect(asked).not.toContain(`domiflist ${n}`);
    }
    expect(asked).toContain(`vcpupin ${r3}`);
  });

  it("rollback of the run with two refused definitions removes the one it created", async () => {
    const [r1, r2, r3] = names as [string, string, string];
    const rb = await step("rollback-two-rejected");
    expect(rb.error).toBeUndefined();
    expect(s.unasked("rollback-two-rejected", rb.replay)).toEqual([]);
    const steps = (rb.result as { steps: RollbackStep[] }).steps;
    expect(steps.filter((x) => /^removed /.test(x.note ?? ""))).toEqual([
      expect.objectContaining({ what: expect.stringContaining(`remove ${r3}`), done: true }),
    ]);
    for (const n of [r1, r2])
      expect(steps).toContainEqual(
        expect.objectContaining({
          what: expect.stringContaining(`remove ${n}`),
          note: expect.stringContaining("nothing to undo"),
        }),
      );
    expect((await lastEntry()).status).toBe("rolled-back");
  });
});
