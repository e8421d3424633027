/**
 * A new VNF on a host, replayed from virsh sessions recorded on the real libvirtd
 * (test/fixtures/virsh-sessions/fresh.json): a dry run, a first apply whose start fails and is
 * undone on the spot, rollback of that failed run, a first apply and its rollback, and a domain of
 * the same name nfvhost did not create. No libvirtd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology, type ApplyReport } from "../../src/apply/index.js";
import type { RollbackStep } from "../../src/apply/operate.js";
import { Journal, type JournalEntry } from "../../src/state/journal.js";
import { StoryReplay, applyOptions, rollback } from "./story.js";

let s: StoryReplay;
let VNF: string;
let NET: string;

beforeAll(async () => {
  s = await StoryReplay.open("fresh");
  VNF = s.e.names.vnf;
  NET = s.e.names.net;
});
afterAll(() => s?.close());

const entries = () => new Journal(s.e.state).list();
const lastEntry = async (): Promise<JournalEntry> => (await entries()).at(-1)!;
const CHANGING = [
  "define",
  "undefine",
  "start",
  "destroy",
  "net-define",
  "net-start",
  "net-autostart",
  "autostart",
];

describe("replayed virsh: a new VNF (dry run, failed start, rollbacks, someone else's domain)", () => {
  it("a dry run shows the network, the ISO and the domain and asks libvirt nothing that changes it", async () => {
    const { result, replay } = await s.step("dry-run", (e) =>
      applyTopology(applyOptions(e, "v1", { dryRun: true })),
    );
    expect(s.unasked("dry-run", replay)).toEqual([]);
    const r = result as ApplyReport;
    expect(r.dryRun).toBe(true);
    expect(r.changes.map((c) => c.kind).sort()).toEqual(expect.arrayContaining(["domain", "iso", "network"]));
    const dom = r.changes.find((c) => c.kind === "domain")!;
    expect(dom.diff.join("\n")).toContain('<vcpupin vcpu="0" cpuset="1"/>');
    expect(r.warnings.join("\n")).toMatch(/NOT FOR PRODUCTION/);
    expect(replay.asked.filter((c) => CHANGING.includes(c.args[2]!))).toEqual([]);
    expect(await entries()).toEqual([]);
  });

  it("a first apply whose start fails (missing kernel) removes the domain it defined; the journal says failed", async () => {
    const { error, replay } = await s.step("start-fails", (e) => applyTopology(applyOptions(e, "no-kernel")));
    expect(s.unasked("start-fails", replay)).toEqual([]);
    const msg = error?.message ?? "";
    expect(msg).toContain(`virsh --connect ${s.e.uri} start ${VNF}`);
    expect(msg).toContain("no-such-vmlinuz");
    expect(msg).toContain(`removed ${VNF}, which this run had defined`);
    const entry = await lastEntry();
    expect(entry.status).toBe("failed");
    expect(entry.items.find((i) => i.kind === "domain")).toMatchObject({
      done: false,
      steps: ["define", "start"],
    });
    expect(replay.asked.map((c) => c.args[2]).filter((a) => a === "undefine")).toEqual(["undefine"]);
  });

  it("rollback of that failed run removes the network it created and finds the domain already undone", async () => {
    const { result, replay } = await s.step("rollback-failed", (e) => rollback(e));
    expect(s.unasked("rollback-failed", replay)).toEqual([]);
    const steps = (result as { steps: RollbackStep[] }).steps;
    expect(steps[0]).toMatchObject({ what: "that run ended with an error", done: true });
    expect(steps).toEqual(
      expect.arrayContaining([
        { what: `remove network ${NET}`, done: true },
        expect.objectContaining({
          what: expect.stringContaining(`remove ${VNF}`),
          note: expect.stringContaining("nothing to undo"),
        }),
      ]),
    );
    expect((await lastEntry()).status).toBe("rolled-back");
  });

  it("rollback of a first apply removes the VNF and the network it created; hugepages are not lowered", async () => {
    const first = await s.step("first-apply", (e) => applyTopology(applyOptions(e, "v1")));
    expect(first.error).toBeUndefined();
    expect(s.unasked("first-apply", first.replay)).toEqual([]);
    const { result, replay } = await s.step("rollback-first", (e) => rollback(e, [VNF]));
    expect(s.unasked("rollback-first", replay)).toEqual([]);
    const steps = (result as { steps: RollbackStep[] }).steps;
    expect(steps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ what: `remove ${VNF} (created by that run; disks kept)`, done: true }),
        { what: `remove network ${NET}`, done: true },
      ]),
    );
    expect((await lastEntry()).status).toBe("rolled-back");
    const ops = replay.asked.map((c) => c.args[2]);
    expect(ops).toEqual(expect.arrayContaining(["destroy", "undefine", "net-destroy", "net-undefine"]));
  });

  it("a domain of the VNF's name that nfvhost did not create is held without --adopt", async () => {
    const { result, replay } = await s.step("foreign-held", (e) => applyTopology(applyOptions(e, "v1")));
    expect(s.unasked("foreign-held", replay)).toEqual([]);
    const r = result as ApplyReport;
    expect(r.held).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          what: expect.stringContaining(VNF),
          why: expect.stringContaining("not created by nfvhost"),
          fix: expect.stringContaining("--adopt"),
        }),
      ]),
    );
    expect(r.changes.filter((c) => c.kind === "domain")).toEqual([]);
  });
});
