/**
 * A running domain of the VNF's name that nfvhost did not create, replayed from virsh sessions
 * recorded on the real libvirtd (test/fixtures/virsh-sessions/foreign-running.json): refused
 * with the way to take it over (--adopt --yes NAME), held again with --adopt alone, taken over
 * with both, and given back by rollback. No libvirtd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology, type ApplyReport } from "../../src/apply/index.js";
import type { RollbackStep } from "../../src/apply/operate.js";
import { Journal, type JournalEntry } from "../../src/state/journal.js";
import { StoryReplay, applyOptions, rollback } from "./story.js";

let s: StoryReplay;
let VNF: string;

beforeAll(async () => {
  s = await StoryReplay.open("foreign-running");
  VNF = s.e.names.vnf;
});
afterAll(() => s?.close());

const FOREIGN_UUID = "6d3f0b8e-0000-4000-8000-000000000002";
const lastEntry = async (): Promise<JournalEntry> => (await new Journal(s.e.state).list()).at(-1)!;
/** virsh calls that change a domain. */
const DOMAIN_CHANGING = [
  "define",
  "undefine",
  "start",
  "destroy",
  "shutdown",
  "vcpupin",
  "emulatorpin",
  "autostart",
];
const domainChanges = (asked: { args: string[] }[]) =>
  asked.filter((c) => DOMAIN_CHANGING.includes(c.args[2]!));

describe("replayed virsh: someone else's running VM has the VNF's name", () => {
  it("a dry run holds it and says how to take it over: --adopt --yes NAME", async () => {
    const { result, error, replay } = await s.step("dry-run", (e) =>
      applyTopology(applyOptions(e, "v1", { dryRun: true })),
    );
    expect(error).toBeUndefined();
    expect(s.unasked("dry-run", replay)).toEqual([]);
    const r = result as ApplyReport;
    expect(r.held).toEqual([
      {
        domain: VNF,
        what: `domain ${VNF}`,
        why: "exists but was not created by nfvhost (no nfvhost metadata); it is never touched without consent",
        fix: `rename the VNF in the topology, or re-run with --adopt --yes ${VNF} to take it over`,
      },
    ]);
    expect(r.changes.filter((c) => c.kind === "domain")).toEqual([]);
    expect(domainChanges(replay.asked)).toEqual([]);
  });

  it("apply refuses it with the same fix, touches nothing of it, and builds the rest", async () => {
    const { result, error, replay } = await s.step("running-held", (e) =>
      applyTopology(applyOptions(e, "v1")),
    );
    expect(error).toBeUndefined();
    expect(s.unasked("running-held", replay)).toEqual([]);
    const r = result as ApplyReport;
    expect(r.held.map((h) => h.fix)).toEqual([
      `rename the VNF in the topology, or re-run with --adopt --yes ${VNF} to take it over`,
    ]);
    expect(r.converged).toBe(false);
    expect(r.changes.map((c) => c.kind).sort()).toEqual(["iso", "network"]);
    expect(domainChanges(replay.asked)).toEqual([]);
  });

  it("--adopt alone still holds it: a running VM is never stopped without --yes NAME, nor re-pinned meanwhile", async () => {
    const { result, error, replay } = await s.step("adopt-held", (e) =>
      applyTopology(applyOptions(e, "v1", { adopt: true })),
    );
    expect(error).toBeUndefined();
    expect(s.unasked("adopt-held", replay)).toEqual([]);
    const r = result as ApplyReport;
    expect(r.changes).toEqual([]);
    expect(r.held).toEqual([
      expect.objectContaining({
        domain: VNF,
        what: expect.stringMatching(new RegExp(`^domain ${VNF} \\(running\\): \\d+ setting\\(s\\) differ$`)),
        why: "a running VM is never stopped or redefined without consent",
        fix: `re-run with --yes ${VNF} (it is shut down and started with the new definition)`,
      }),
    ]);
    expect(domainChanges(replay.asked)).toEqual([]);
  });

  it("--adopt --yes NAME stops it, defines the VNF on its UUID and starts it, journaled", async () => {
    const { result, error, replay } = await s.step("adopt-yes", (e) =>
      applyTopology(applyOptions(e, "v1", { adopt: true, yes: [e.names.vnf] })),
    );
    expect(error).toBeUndefined();
    expect(s.unasked("adopt-yes", replay)).toEqual([]);
    expect((result as ApplyReport).changes.map((c) => c.summary)).toEqual([
      `domain ${VNF}: shut down, redefine, start, autostart on`,
    ]);
    const define = replay.asked.find((c) => c.args[2] === "define")!;
    const xml = Object.values(define.files!)[0]!;
    expect(xml).toContain(`<uuid>${FOREIGN_UUID}</uuid>`);
    expect(xml).toContain("nfvhost:vnf");
    const item = (await lastEntry()).items.find((i) => i.kind === "domain")!;
    expect(item).toMatchObject({ beforeState: "running", beforeAutostart: false, done: true });
    expect(item.kind === "domain" && item.beforeXml).not.toContain("nfvhost");
  });

  it("rollback gives the VM back: its own definition, running again, autostart off", async () => {
    const { result, error, replay } = await s.step("rollback-adopt", (e) => rollback(e, [e.names.vnf]));
    expect(error).toBeUndefined();
    expect(s.unasked("rollback-adopt", replay)).toEqual([]);
    const steps = (result as { steps: RollbackStep[] }).steps;
    expect(steps).toContainEqual(
      expect.objectContaining({
        what: expect.stringContaining(VNF),
        done: true,
        note: `${VNF}: stopped it (it ran the definition that run wrote), restored its previous definition, started it again, set autostart off again`,
      }),
    );
    const define = replay.asked.find((c) => c.args[2] === "define")!;
    const xml = Object.values(define.files!)[0]!;
    expect(xml).toContain(`<uuid>${FOREIGN_UUID}</uuid>`);
    expect(xml).not.toContain("nfvhost");
    expect(replay.asked.map((c) => c.args.slice(2).join(" "))).toContain(`autostart --disable ${VNF}`);
    expect((await lastEntry()).status).toBe("rolled-back");
  });
});
