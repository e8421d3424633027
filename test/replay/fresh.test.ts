/**
 * A new VNF on a host, replayed from virsh sessions recorded on the real libvirtd
 * (test/fixtures/virsh-sessions/fresh.json): a dry run, a first apply whose start fails and is
 * undone on the spot, rollback of that failed run, a first apply and its rollback, and a domain of
 * the same name nfvhost did not create. No libvirtd.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology, type ApplyReport } from "../../src/apply/index.js";
import type { RollbackStep } from "../../src/apply/operate.js";
import { Journal, type JournalEntry } from "../../src/state/journal.js";
import { verifyTopology, type VerifyReport } from "../../src/verify/index.js";
import { StoryReplay, applyOptions, destroy, rollback } from "./story.js";

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

describe("replayed virsh: someone else's domain of the same name", () => {
  it("destroy refuses it, even with --yes, and asks libvirt nothing that changes it", async () => {
    const { error, replay } = await s.step("destroy-foreign-refused", (e) => destroy(e, true));
    expect(s.unasked("destroy-foreign-refused", replay)).toEqual([]);
    expect(error?.message).toContain(`domain ${VNF}: "not created by nfvhost (no nfvhost metadata)"`);
    expect(error?.message).toContain("--adopt");
    expect(replay.asked.filter((c) => CHANGING.includes(c.args[2]!))).toEqual([]);
  });

  it("adopting the domain takes it over with its own UUID kept", async () => {
    const { result, error, replay } = await s.step("adopt", (e) =>
      applyTopology(applyOptions(e, "v1", { adopt: true })),
    );
    expect(error).toBeUndefined();
    expect(s.unasked("adopt", replay)).toEqual([]);
    expect((result as ApplyReport).changes.map((c) => c.summary)).toEqual([
      `domain ${VNF}: redefine, start, autostart on`,
    ]);
    const define = replay.asked.find((c) => c.args[2] === "define")!;
    expect(Object.values(define.files!)[0]).toContain("<uuid>6d3f0b8e-0000-4000-8000-000000000001</uuid>");
  });

  it("is held without --adopt, and so is the domain on it", async () => {
    const { result, replay } = await s.step("net-held", (e) => applyTopology(applyOptions(e, "v1")));
    expect(s.unasked("net-held", replay)).toEqual([]);
    const r = result as ApplyReport;
    expect(r.changes).toEqual([]);
    expect(r.held).toEqual([
      expect.objectContaining({
        what: `network ${NET}`,
        why: expect.stringContaining("not created by nfvhost"),
        fix: expect.stringContaining("--adopt"),
      }),
      expect.objectContaining({
        what: `domain ${VNF}`,
        why: `its interface uses network ${NET}, which is held back (see above)`,
        domain: VNF,
      }),
    ]);
  });

  it("--adopt marks, starts and autostarts it, journaled; rollback gives it back as it was", async () => {
    const adopt = await s.step("net-adopt", (e) => applyTopology(applyOptions(e, "v1", { adopt: true })));
    expect(adopt.error).toBeUndefined();
    expect(s.unasked("net-adopt", adopt.replay)).toEqual([]);
    expect((adopt.result as ApplyReport).changes.map((c) => c.summary)).toEqual([
      `network ${NET}: redefine, start, autostart`,
    ]);
    const item = (await lastEntry()).items.find((i) => i.kind === "network")!;
    expect(item).toMatchObject({ beforeActive: false, beforeAutostart: false, done: true });
    expect(item.kind === "network" && item.beforeXml).not.toContain("nfvhost");

    const { result, replay } = await s.step("rollback-net-adopt", (e) => rollback(e, [VNF]));
    expect(s.unasked("rollback-net-adopt", replay)).toEqual([]);
    expect((result as { steps: RollbackStep[] }).steps).toContainEqual({
      what: `restore network ${NET}`,
      done: true,
    });
    const netDefine = replay.asked.find((c) => c.args[2] === "net-define")!;
    expect(Object.values(netDefine.files!)[0]).not.toContain("nfvhost");
    expect(replay.asked.map((c) => c.args.slice(2).join(" "))).toContain(`net-autostart --disable ${NET}`);
  });
});

describe("replayed virsh: verify of a VNF that is shut off", () => {
  it("fails on the domain state with the start command, reading no qemu process", async () => {
    const { result, replay } = await s.step("verify-shut-off", (e) =>
      verifyTopology({
        topologyFile: join(e.dir, "v1.yaml"),
        connect: e.uri,
        stateDir: e.state,
        root: e.root,
        env: {},
        persist: false,
      }),
    );
    expect(s.unasked("verify-shut-off", replay)).toEqual([]);
    const v = result as VerifyReport;
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.subject === VNF && c.check === "domain running")).toMatchObject({
      status: "fail",
      have: "shut off",
      fix: `virsh --connect ${s.e.uri} start ${VNF}`,
    });
  });
});

describe("replayed virsh: a first apply on a host whose 2 MiB pages are not reserved", () => {
  // The same libvirt as the recorded first apply; only the host root differs: no 2 MiB pages.
  // Apply's libvirt calls do not depend on it, so the recording answers them as they were.
  let h: StoryReplay;
  const node0 = "sys/devices/system/node/node0/hugepages/hugepages-2048kB";
  beforeAll(async () => {
    h = await StoryReplay.open("fresh");
    for (const f of ["nr_hugepages", "free_hugepages"]) await writeFile(join(h.e.root, node0, f), "0\n");
  });
  afterAll(() => h?.close());

  it("reserves them under the root first, journaled; rollback leaves the reservation and says why", async () => {
    const { result, error, replay } = await h.step("first-apply", (e) =>
      applyTopology(applyOptions(e, "v1")),
    );
    expect(error).toBeUndefined();
    expect(h.unasked("first-apply", replay)).toEqual([]);
    const r = result as ApplyReport;
    const sysfs = r.changes.find((c) => c.kind === "sysfs")!;
    expect(sysfs.name).toBe(`/${node0}/nr_hugepages`);
    expect(sysfs.diff).toEqual([`-/${node0}/nr_hugepages = 0`, `+/${node0}/nr_hugepages = 2048`]);
    expect((await readFile(join(h.e.root, node0, "nr_hugepages"), "utf8")).trim()).toBe("2048");
    const entry = (await new Journal(h.e.state).list()).at(-1)!;
    expect(entry.items[0]).toEqual({
      kind: "sysfs",
      path: `/${node0}/nr_hugepages`,
      before: "0",
      after: "2048",
      done: true,
    });

    const rb = await h.step("rollback-first", (e) => rollback(e, [e.names.vnf]));
    expect(h.unasked("rollback-first", rb.replay)).toEqual([]);
    expect((rb.result as { steps: RollbackStep[] }).steps).toContainEqual({
      what: `/${node0}/nr_hugepages: 0 -> 2048`,
      done: false,
      note: "not lowered: pages and VFs may be in use by others; lower it by hand if you are sure",
    });
    expect((await new Journal(h.e.state).list()).at(-1)!.status).toBe("rolled-back");
  });
});
