/**
 * Issue 12, "Done when": applies racing each other and applies killed mid-redefinition, on the
 * real libvirtd. 8 applies started in the same millisecond (a fresh, a stale and an empty lock
 * file; half with the lab's --state, half with state directories of their own): exactly one
 * changes the VNF, every other one is refused naming the holder (or, started after it finished,
 * finds nothing of the VNF to change), and the VNF is never lost. Then a redefinition of the
 * running VNF killed at each of its sub-steps: `rollback` undoes that newest, unfinished entry and
 * the VNF runs on its previous definition again.
 *
 * Resources are named nfvt-race-* and removed in afterAll; the suite lock keeps the lab's CPU to
 * one suite at a time.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology } from "../src/apply/index.js";
import { rollbackLast } from "../src/apply/operate.js";
import { Journal } from "../src/state/journal.js";
import { hostLockPath } from "../src/state/lock.js";
import { virsh as virshRaw } from "./support/guest.js";
import { createLab } from "./support/lab.js";

const lab = createLab({ prefix: "race", letter: "r", suite: "test/race.test.ts" });
const { vnf: VNF } = lab.names;
const { env, uri: URI, virsh } = lab;

interface RaceResult {
  ok: boolean;
  applied?: number;
  converged?: boolean;
  domain?: boolean;
  error?: string;
}

function child(args: string[]) {
  const c = spawn(process.execPath, ["--import", "tsx", "test/fixtures/apply/race-apply.ts", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  c.stdout.on("data", (b: Buffer) => (out += b.toString()));
  c.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const closed = new Promise<number | null>((r) => c.once("close", (code) => r(code)));
  return { c, closed, out: () => out, err: () => err };
}

async function qemuPid(): Promise<number | null> {
  return virsh.qemuPid(VNF);
}

beforeAll(async () => {
  await lab.setUp();
}, 1_800_000);

afterAll(async () => {
  await lab.tearDown();
});

describe("applies racing on one host (real libvirtd)", () => {
  it("8 in the same millisecond, same and different --state, with no, a stale or an empty lock file: one changes the VNF, the others are refused naming it, the VNF is never lost", async () => {
    const file = await lab.writeTopology();
    const rounds = ["no lock file content", "a stale lock file", "an empty lock file"] as const;
    for (const [n, round] of rounds.entries()) {
      if (round === "a stale lock file") {
        // A killed holder's record (pid 999999 is not running): no obstacle, never removed by racers.
        await writeFile(hostLockPath(URI), JSON.stringify({ pid: 999999, started: "t0", command: "x" }));
      } else if (round === "an empty lock file") {
        await writeFile(hostLockPath(URI), "");
      }
      // Rounds after the first find the VNF running: its autostart switched off by hand gives
      // every contender exactly one step to race for, on a VNF that must survive untouched.
      const pidBefore = n === 0 ? null : await qemuPid();
      if (n > 0) expect((await virshRaw(["autostart", "--disable", VNF])).code).toBe(0);
      const at = Date.now() + 12_000;
      const racers = Array.from({ length: 8 }, (_, i) =>
        child(["race", file, i < 4 ? lab.state : join(lab.dir, `state-${n}-${i}`), String(at)]),
      );
      await Promise.all(racers.map((r) => r.closed));
      const results = racers.map((r) => {
        const line = r.out().trim().split("\n").at(-1) ?? "";
        expect(line, r.err()).toMatch(/^\{/);
        return JSON.parse(line) as RaceResult;
      });
      const acted = results.filter((r) => r.ok && (r.applied ?? 0) > 0);
      const refused = results.filter((r) => !r.ok);
      expect(refused.length, `${round}: ${JSON.stringify(results)}`).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.error, round).toMatch(
          /host lock \/run\/lock\/nfvhost\/[0-9a-f]+\.lock: "held by (pid \d+ \(nfvhost apply |a process)/,
        );
      }
      // Whoever came after the winner saw the VNF as the winner left it: nothing of it to change.
      // A late contender with a state directory of its own may only build its own day-0 ISO.
      expect(acted.length, `${round}: ${JSON.stringify(results)}`).toBeGreaterThanOrEqual(1);
      expect(await virsh.domState(VNF)).toBe("running");
      if (pidBefore !== null) expect(await qemuPid()).toBe(pidBefore);
      expect(await virsh.isAutostart(VNF)).toBe(true);
      // Exactly one journal entry of the lab's state directory touched the domain in this round.
      const statesWithDomainSteps = [
        lab.state,
        ...Array.from({ length: 4 }, (_, i) => join(lab.dir, `state-${n}-${i + 4}`)),
      ];
      let domainRuns = 0;
      for (const s of statesWithDomainSteps) {
        for (const e of await new Journal(s).list()) {
          if (Date.parse(e.started) >= at - 1000 && e.items.some((i) => i.kind === "domain")) domainRuns++;
        }
      }
      expect(domainRuns, `${round}: ${JSON.stringify(results)}`).toBe(1);
    }
  }, 900_000);

  const points = [
    "before-stop",
    "after-stop",
    "before-define",
    "after-define",
    "before-start",
    "after-start",
    "done",
  ] as const;

  it.each(points)(
    "a redefinition killed at %s, then rollback: the newest entry is undone and the VNF runs on its previous definition",
    async (point) => {
      const v1 = await lab.writeTopology();
      // --yes: the race above may have left the VNF defined from another state directory.
      const r = await applyTopology(lab.applyOptions(v1, { yes: [VNF] }));
      expect(r.held).toEqual([]);
      expect(await virsh.domState(VNF)).toBe("running");
      const before = await virsh.dumpXml(VNF, { inactive: true });
      expect(before).not.toContain("nfvt.race=");
      // The same VNF with another kernel command line: a redefinition that needs a restart.
      const v2 = join(lab.dir, "lab-v2.yaml");
      await writeFile(
        v2,
        (await readFile(v1, "utf8")).replace("nfvt.hold=forever", "nfvt.hold=forever nfvt.race=2"),
      );

      const k = child(["kill", v2, lab.state, point, VNF]);
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (k.out().includes(`AT ${point}`) || k.out().includes("DONE")) {
            clearInterval(t);
            resolve();
          }
        }, 20);
        void k.closed.then(() => {
          clearInterval(t);
          if (!k.out().includes("DONE"))
            reject(new Error(`apply ended before ${point}: ${k.out()}\n${k.err()}`));
        });
      });
      k.c.kill("SIGKILL");
      await k.closed;
      const newest = (await new Journal(lab.state).list()).at(-1)!;
      expect(newest.status).toBe(point === "done" ? "complete" : "in-progress");

      const rb = await rollbackLast(virsh, { stateDir: lab.state, yes: new Set([VNF]), dryRun: false });
      expect(rb.entry?.id).toBe(newest.id);
      expect(
        rb.steps.every((s) => s.done),
        JSON.stringify(rb.steps),
      ).toBe(true);
      expect((await new Journal(lab.state).list()).at(-1)).toMatchObject({
        id: newest.id,
        status: "rolled-back",
      });
      expect(await virsh.domState(VNF)).toBe("running");
      const after = await virsh.dumpXml(VNF, { inactive: true });
      expect(after).not.toContain("nfvt.race=");
      expect(after).toContain("nfvt.hold=forever");
      // The running instance too: not the new definition left running.
      expect(await virsh.dumpXml(VNF)).not.toContain("nfvt.race=");
      // And the next apply of the old file has nothing to do to the domain.
      const again = await applyTopology(lab.applyOptions(v1));
      expect(again.changes.filter((c) => c.kind === "domain")).toEqual([]);
    },
    600_000,
  );
});
