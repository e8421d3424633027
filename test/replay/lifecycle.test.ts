/**
 * One VNF's life on a host, replayed from virsh sessions recorded on the real libvirtd
 * (test/fixtures/virsh-sessions/lifecycle.json, recorded by test/replay/record.ts): apply, verify,
 * drift, redefinition, rollback, destroy and killed applies, with no libvirtd. Each step answers
 * from its own recording; a call it does not hold fails the test (NFV-TEST-REPLAY), and every
 * recorded call must be asked again, so a change in what apply asks libvirt shows here.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology, type ApplyReport } from "../../src/apply/index.js";
import type { DestroyResult, RollbackStep } from "../../src/apply/operate.js";
import { readStatus, type VnfStatus } from "../../src/apply/status.js";
import { Virsh } from "../../src/libvirt/virsh.js";
import { Journal, type JournalEntry } from "../../src/state/journal.js";
import { verifyTopology, type VerifyReport } from "../../src/verify/index.js";
import { KILL_POINTS } from "./stories.js";
import { StoryReplay, applyOptions, destroy, killedApply, rollback, verify } from "./story.js";

let s: StoryReplay;
let VNF: string;
let NET: string;

beforeAll(async () => {
  s = await StoryReplay.open("lifecycle");
  VNF = s.e.names.vnf;
  NET = s.e.names.net;
});
afterAll(() => s?.close());

const lastEntry = async (): Promise<JournalEntry> => (await new Journal(s.e.state).list()).at(-1)!;
const failed = (v: VerifyReport) => v.checks.filter((c) => c.status === "fail");

/** Runs an apply step and checks that it asked libvirt all its recording holds. */
async function applyStep(id: string, topology: "v1" | "v2" | "no-image", yes = false) {
  const r = await s.step(id, (e) => applyTopology(applyOptions(e, topology, yes ? { yes: [VNF] } : {})));
  expect(s.unasked(id, r.replay)).toEqual([]);
  return r;
}

describe("replayed virsh: one VNF's life (apply, verify, drift, redefine, rollback, destroy)", () => {
  it("first apply defines, starts and autostarts the network and the VNF, builds the day-0 ISO, journaled", async () => {
    const { result, error } = await applyStep("first-apply", "v1");
    expect(error).toBeUndefined();
    const r = result as ApplyReport;
    expect(r.changes.map((c) => c.summary)).toEqual(
      expect.arrayContaining([
        `network ${NET}: define, start, autostart`,
        `domain ${VNF}: define, start, autostart on`,
        expect.stringMatching(new RegExp(`^build day-0 ISO .*${VNF}.* for ${VNF} \\(iosxe_config.txt\\)$`)),
      ]),
    );
    expect(r.applied).toBe(r.changes.length);
    const entry = await lastEntry();
    expect(entry.status).toBe("complete");
    expect(entry.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "network", name: NET, beforeXml: null, done: true }),
        expect.objectContaining({
          kind: "domain",
          name: VNF,
          beforeXml: null,
          done: true,
          steps: ["define", "start", "autostart"],
        }),
      ]),
    );
  });

  it("a second apply changes nothing and says it is converged", async () => {
    const { result } = await applyStep("second-apply", "v1");
    expect(result).toMatchObject({ changes: [], held: [], converged: true, applied: 0, journal: null });
  });

  it("verify passes with no password in the environment", async () => {
    await s.files("proc-1");
    const { result, replay } = await s.step("verify-pass", (e) => verify(e, "proc-1"));
    expect(s.unasked("verify-pass", replay)).toEqual([]);
    const v = result as VerifyReport;
    expect(failed(v)).toEqual([]);
    const byCheck = (c: string) => v.checks.find((x) => x.subject === VNF && x.check === c);
    expect(byCheck("vCPU 0 affinity")).toMatchObject({ status: "pass", have: "1" });
    expect(byCheck("emulator pinning")).toMatchObject({ status: "pass", have: "0" });
    expect(byCheck("domain running")).toMatchObject({ status: "pass" });
    expect(byCheck("day-0 ISO as built")).toMatchObject({ status: "pass" });
    expect(v.ok).toBe(true);
  });

  it("verify of a running VNF whose qemu process this host does not have says so (no /proc evidence)", async () => {
    // The same libvirt answers as above; the default procRoot "/" holds no qemu of this VNF.
    const { result, replay } = await s.step("verify-pass", (e) =>
      verifyTopology({
        topologyFile: join(e.dir, "v1.yaml"),
        connect: e.uri,
        stateDir: e.state,
        root: e.root,
        env: {},
        persist: false,
      }),
    );
    expect(s.unasked("verify-pass", replay)).toEqual([]);
    const v = result as VerifyReport;
    expect(v.checks.find((c) => c.subject === VNF && c.check === "qemu process")).toMatchObject({
      status: "fail",
      want: "a qemu process",
    });
    expect(v.checks.find((c) => c.subject === VNF && c.check === "vCPU 0 affinity")).toMatchObject({
      status: "pass",
    });
  });

  it("status shows the VNF where the plan put it, its live pins and qemu's threads", async () => {
    const { result, replay } = await s.step("status", (e) =>
      readStatus(new Virsh(e.uri), {
        threads: true,
        topology: e.names.topo,
        procRoot: join(e.dir, "proc-1"),
      }),
    );
    expect(s.unasked("status", replay)).toEqual([]);
    const st = result as VnfStatus[];
    expect(st).toHaveLength(1);
    expect(st[0]).toMatchObject({
      name: VNF,
      topology: s.e.names.topo,
      state: "running",
      node: 0,
      emulatorPin: "0",
      vcpuPins: [{ vcpu: 0, cpus: "1" }],
      interfaces: [
        expect.objectContaining({
          mac: s.e.names.mac,
          hostDevice: expect.stringMatching(/^vnet\d+$/),
        }),
      ],
    });
    expect(st[0]!.threads!.find((t) => t.role === "vCPU 0")).toMatchObject({
      comm: "CPU 0/TCG",
      allowed: "1",
    });
    expect(st[0]!.threads!.find((t) => t.tid === st[0]!.qemuPid)).toMatchObject({
      role: "emulator (main)",
      allowed: "0",
    });
  });

  it("verify finds the drift made by hand: vCPU re-pinned (persistent definition), VNF paused, network autostart off", async () => {
    await s.files("proc-2");
    const { result } = await s.step("verify-drift", (e) => verify(e, "proc-2"));
    const v = result as VerifyReport;
    expect(v.ok).toBe(false);
    const f = failed(v).map((c) => `${c.subject}: ${c.check}: want ${c.want}, have ${c.have}`);
    expect(f).toEqual([
      `${VNF}: domain running: want running, have paused`,
      `${VNF}: persistent definition: want /domain/cputune/vcpupin[@vcpu=0]/@cpuset = 1, have /domain/cputune/vcpupin[@vcpu=0]/@cpuset = 0`,
      `${NET}: network autostart: want enabled, have disabled`,
    ]);
    expect(failed(v).find((c) => c.subject === NET)!.fix).toBe(
      `virsh --connect ${s.e.uri} net-autostart ${NET}`,
    );
  });

  it("apply fixes the drift without a restart: re-pin, resume, network autostart; journaled as a drift fix", async () => {
    const { result, error } = await applyStep("drift-fix", "v1");
    expect(error).toBeUndefined();
    const r = result as ApplyReport;
    expect(r.changes.map((c) => c.summary).sort()).toEqual(
      [`domain ${VNF}: re-pin vCPU0->1, resume (it was paused)`, `network ${NET}: autostart`].sort(),
    );
    const item = (await lastEntry()).items.find((i) => i.kind === "domain");
    expect(item).toMatchObject({ driftFix: true, steps: ["repin", "resume"], done: true });
  });

  it("a vCPU re-pinned live only: verify names the live pin and the fix; apply re-pins it live, nothing else", async () => {
    await s.files("proc-3");
    const v = (await s.step("verify-repin-live", (e) => verify(e, "proc-3"))).result as VerifyReport;
    const f = failed(v);
    expect(f.find((c) => c.check === "vCPU 0 affinity")).toMatchObject({
      subject: VNF,
      want: "1",
      have: "0",
      fix: `virsh --connect ${s.e.uri} vcpupin ${VNF} 0 1 --live --config (or nfvhost apply ${join(s.e.dir, "v1.yaml")})`,
    });
    expect(f.map((c) => c.check)).not.toContain("persistent definition");

    const { result, replay } = await applyStep("repin-live-fix", "v1");
    expect((result as ApplyReport).changes.map((c) => c.summary)).toEqual([`domain ${VNF}: re-pin vCPU0->1`]);
    expect(replay.asked.map((c) => c.args.slice(2).join(" "))).toContain(
      `vcpupin ${VNF} 0 1 --live --config`,
    );
    expect((await lastEntry()).items.find((i) => i.kind === "domain")).toMatchObject({
      driftFix: true,
      steps: ["repin"],
      repins: [{ vcpu: 0, before: "0", after: "1" }],
    });
  });

  it("a changed VNF is held while it runs; with --yes it is shut down, redefined and started, its definition backed up", async () => {
    const held = (await applyStep("redefine-held", "v2")).result as ApplyReport;
    expect(held.changes).toEqual([]);
    expect(held.held).toEqual([
      expect.objectContaining({
        what: expect.stringContaining(VNF),
        fix: expect.stringContaining(`--yes ${VNF}`),
      }),
    ]);

    // Held back, the VNF's definition is not applied: the applied plan keeps its old entry, so the
    // --yes run below is a redefinition (that rollback undoes), not a drift fix.
    const applied = JSON.parse(
      await readFile(join(s.e.state, "applied", `${s.e.names.topo}.json`), "utf8"),
    ) as { vnfs: { name: string; boot?: { cmdline?: string } }[] };
    expect(applied.vnfs.find((v) => v.name === VNF)?.boot?.cmdline).toBe("console=ttyS0 nfvt.hold=forever");

    const { result, error } = await applyStep("redefine", "v2", true);
    expect(error).toBeUndefined();
    expect((result as ApplyReport).changes.map((c) => c.summary)).toEqual([
      `domain ${VNF}: shut down, redefine, start`,
    ]);
    const item = (await lastEntry()).items.find((i) => i.kind === "domain")!;
    expect(item).toMatchObject({
      beforeState: "running",
      done: true,
      driftFix: false,
      steps: ["stop", "define", "start"],
    });
    expect(item.kind === "domain" && item.beforeXml).toContain("nfvt.hold=forever</cmdline>");
    expect(item.kind === "domain" && item.xml).toContain("nfvt.v=2");
  });

  it("rollback restores the previous definition and starts it again", async () => {
    const { result, replay } = await s.step("rollback-redefine", (e) => rollback(e, [VNF]));
    expect(s.unasked("rollback-redefine", replay)).toEqual([]);
    const rb = result as { entry: JournalEntry; steps: RollbackStep[] };
    expect(rb.steps).toEqual(
      expect.arrayContaining([
        {
          what: `restore the previous definition of ${VNF} (running)`,
          done: true,
          // Exactly what was done, in order: the VM ran the new definition, so it was stopped first.
          note: `${VNF}: stopped it (it ran the definition that run wrote), restored its previous definition, started it again`,
        },
        { what: expect.stringMatching(/^restore .*\/applied\/.*\.json$/), done: true },
      ]),
    );
    expect((await lastEntry()).status).toBe("rolled-back");
    // What rollback defined is the definition before the redefinition.
    const defined = replay.asked.find((c) => c.args.includes("define"));
    expect(Object.values(defined!.files!)[0]).not.toContain("nfvt.v=2");
  });

  it("a redefinition whose start fails (missing image) is undone on the spot: previous definition, running again", async () => {
    const { error, replay } = await applyStep("redefine-fails", "no-image", true);
    expect(error?.message).toContain("no-such-disk.qcow2");
    // The apply had stopped it already: the undo defines the previous definition, then starts it.
    expect(error?.message).toContain(
      `; ${VNF}: restored its previous definition, started it again; then run apply again`,
    );
    const entry = await lastEntry();
    expect(entry.status).toBe("failed");
    expect(entry.items.find((i) => i.kind === "domain")).toMatchObject({ done: false });
    const ops = replay.asked
      .map((c) => c.args[2])
      .filter((a) => ["destroy", "define", "start", "shutdown"].includes(a!));
    // Stop, define the new one, its start fails; the old definition is defined and started again.
    expect(ops).toEqual(["destroy", "define", "start", "define", "start"]);
  });

  it("destroy refuses a running VNF without --yes; with it stops and undefines it, keeps its disks, journaled", async () => {
    const refused = await s.step("destroy-refused", (e) => destroy(e, false));
    expect(refused.error?.message).toMatch(new RegExp(`destroy ${VNF}: "is running".*--yes`));
    expect(refused.replay.asked.map((c) => c.args[2])).not.toContain("destroy");

    const { result } = await s.step("destroy", (e) => destroy(e, true));
    expect(result as DestroyResult[]).toEqual([
      {
        name: VNF,
        stopped: true,
        undefined: true,
        disks: [join(s.e.dir, "disk.qcow2"), expect.stringContaining("day0")],
      },
    ]);
    expect((await lastEntry()).items).toEqual([
      expect.objectContaining({ kind: "domain", name: VNF, beforeState: "running", done: true }),
    ]);
  });

  it("rollback of the destroy defines the VNF again and starts it", async () => {
    const { result } = await s.step("rollback-destroy", (e) => rollback(e));
    expect((result as { steps: RollbackStep[] }).steps).toEqual([
      { what: `define ${VNF} again and start it`, done: true, note: expect.stringContaining("restored") },
    ]);
  });

  it.each(KILL_POINTS)(
    "a redefinition killed at %s leaves an in-progress entry; rollback undoes it and the VNF runs its previous definition",
    async (point) => {
      const killed = await s.step(`kill-${point}`, async (e) =>
        killedApply(e, await e.rootFor!(point), "v2", point),
      );
      expect(killed.error).toBeUndefined();
      expect(s.unasked(`kill-${point}`, killed.replay)).toEqual([]);
      const newest = await lastEntry();
      expect(newest.status).toBe("in-progress");
      const { result, replay } = await s.step(`rollback-${point}`, (e) => rollback(e, [VNF]));
      expect(s.unasked(`rollback-${point}`, replay)).toEqual([]);
      const rb = result as { entry: JournalEntry; steps: RollbackStep[] };
      expect(rb.entry.id).toBe(newest.id);
      expect(
        rb.steps.every((x) => x.done),
        JSON.stringify(rb.steps),
      ).toBe(true);
      expect((await lastEntry()).status).toBe("rolled-back");
      // Whatever was defined again is the old definition.
      for (const c of replay.asked.filter((x) => x.args[2] === "define"))
        expect(Object.values(c.files!)[0]).not.toContain("nfvt.v=2");
    },
  );

  it("destroy --all needs --yes; with it removes the topology's VNFs", async () => {
    const refused = await s.step("destroy-all-refused", (e) => destroy(e, false, true));
    expect(refused.error?.message).toMatch(/destroy --all.*--yes/);
    const { result } = await s.step("destroy-all", (e) => destroy(e, true, true));
    expect((result as DestroyResult[]).map((d) => d.name)).toEqual([VNF]);
    expect(
      JSON.parse(await readFile(new Journal(s.e.state).pathOf((await lastEntry()).id), "utf8")).status,
    ).toBe("complete");
  });
});
