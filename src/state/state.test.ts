import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "./journal.js";
import { acquireLock } from "./lock.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-apply-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apply lock", () => {
  it("is exclusive while its owner lives, and released on release()", async () => {
    const a = await acquireLock(dir, "nfvhost apply a.yaml");
    expect(a.staleFrom).toBeNull();
    await expect(acquireLock(dir, "nfvhost apply b.yaml")).rejects.toThrow(
      /held by pid \d+ \(nfvhost apply a.yaml/,
    );
    await a.release();
    const b = await acquireLock(dir, "nfvhost apply b.yaml");
    await b.release();
  });

  it("refuses a lock held by another live process, takes over one whose process is gone", async () => {
    const child = spawn("sleep", ["30"]);
    await writeFile(
      join(dir, "apply.lock"),
      JSON.stringify({ pid: child.pid, started: "t0", command: "nfvhost apply x" }),
    );
    await expect(acquireLock(dir, "me")).rejects.toThrow(new RegExp(`held by pid ${child.pid}`));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    const l = await acquireLock(dir, "me");
    expect(l.staleFrom).toEqual({ pid: child.pid, started: "t0", command: "nfvhost apply x" });
    expect(JSON.parse(await readFile(join(dir, "apply.lock"), "utf8")).pid).toBe(process.pid);
    await l.release();
  });

  it("treats an unreadable lock file (killed while writing it) as stale", async () => {
    await writeFile(join(dir, "apply.lock"), "{");
    const l = await acquireLock(dir, "me");
    expect(l.staleFrom?.command).toBe("unreadable lock file");
    await l.release();
  });
});

describe("journal", () => {
  it("records before each step, and last() is the newest entry that changed something", async () => {
    const j = new Journal(dir);
    const r1 = await j.begin("a.yaml", "qemu:///system");
    const item = await r1.record({ kind: "sysfs", path: "/sys/x", before: "0", after: "4", done: false });
    await r1.markDone(item);
    await r1.finish("complete");
    const r2 = await j.begin("a.yaml", "qemu:///system");
    await r2.record({ kind: "sysfs", path: "/sys/y", before: "0", after: "1", done: false });
    // r2 was killed before its step finished: nothing done, so last() still is r1.
    const all = await j.list();
    expect(all.map((e) => e.status)).toEqual(["complete", "in-progress"]);
    expect((await j.last())?.id).toBe(r1.entry.id);
    expect((await j.last())?.items).toEqual([
      { kind: "sysfs", path: "/sys/x", before: "0", after: "4", done: true },
    ]);
  });
});

describe("journal under concurrent steps", () => {
  it("saves one at a time: every item recorded side by side is in the file, which always parses", async () => {
    const j = new Journal(dir);
    const run = await j.begin("a.yaml", "qemu:///system");
    const items = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        run.record({
          kind: "domain",
          name: `r${i}`,
          beforeXml: null,
          beforeState: null,
          beforeAutostart: null,
          action: "define",
          done: false,
        }),
      ),
    );
    await Promise.all(items.filter((_, i) => i % 2 === 0).map((it) => run.markDone(it)));
    const saved = JSON.parse(await readFile(j.pathOf(run.entry.id), "utf8")) as {
      items: { done: boolean }[];
    };
    expect(saved.items).toHaveLength(20);
    expect(saved.items.map((i) => i.done)).toEqual(items.map((_, i) => i % 2 === 0));
  });
});
