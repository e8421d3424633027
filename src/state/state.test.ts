import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "./journal.js";
import { acquireLockFile, hostLockPath } from "./lock.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-apply-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("host lock (flock)", () => {
  const holdInChild = async (path: string, command: string) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import { acquireLockFile } from "./src/state/lock.ts"; await acquireLockFile(${JSON.stringify(path)}, ${JSON.stringify(command)}); console.log("HELD"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => (b.toString().includes("HELD") ? resolve() : undefined));
      child.once("exit", (c) => reject(new Error(`holder exited ${c}`)));
    });
    return child;
  };

  it("is exclusive, also within one process, and released on release()", async () => {
    const path = join(dir, "h.lock");
    const a = await acquireLockFile(path, "nfvhost apply a.yaml");
    expect(a.staleFrom).toBeNull();
    await expect(acquireLockFile(path, "nfvhost apply b.yaml")).rejects.toThrow(
      /held by pid \d+ \(nfvhost apply a.yaml/,
    );
    await a.release();
    const b = await acquireLockFile(path, "nfvhost apply b.yaml");
    expect(b.staleFrom).toBeNull();
    await b.release();
  });

  it("refuses while another process holds it; its death frees it, and the next owner is told", async () => {
    const path = join(dir, "h.lock");
    const child = await holdInChild(path, "nfvhost apply x");
    await expect(acquireLockFile(path, "me")).rejects.toThrow(
      new RegExp(`held by pid ${child.pid} \\(nfvhost apply x`),
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    const l = await acquireLockFile(path, "me");
    expect(l.staleFrom).toMatchObject({ pid: child.pid, command: "nfvhost apply x" });
    expect(JSON.parse(await readFile(path, "utf8")).pid).toBe(process.pid);
    await l.release();
    expect(await readFile(path, "utf8")).toBe("");
  });

  it("a stale or empty lock file is no obstacle and is never deleted under a live owner", async () => {
    const path = join(dir, "h.lock");
    await writeFile(path, "{");
    const l = await acquireLockFile(path, "me");
    expect(l.staleFrom?.command).toBe("unreadable lock file");
    await l.release();
    await writeFile(path, "");
    const m = await acquireLockFile(path, "me");
    expect(m.staleFrom).toBeNull();
    await m.release();
  });

  it("waits for a holder that finishes within waitMs", async () => {
    const path = join(dir, "h.lock");
    const a = await acquireLockFile(path, "first");
    setTimeout(() => void a.release(), 300);
    const b = await acquireLockFile(path, "second", 5000);
    expect(JSON.parse(await readFile(path, "utf8")).command).toBe("second");
    await b.release();
  });

  it("is one per libvirt connection, whatever the state directory; test:/// is per process", () => {
    expect(hostLockPath("qemu:///system")).toBe(hostLockPath(" qemu:///system"));
    expect(hostLockPath("qemu:///system")).not.toBe(hostLockPath("qemu:///session"));
    expect(hostLockPath("qemu:///system")).toMatch(/^\/run\/lock\/nfvhost\/[0-9a-f]{16}\.lock$/);
    expect(hostLockPath("test:///default")).not.toBe(hostLockPath("qemu:///system"));
  });

  it("8 processes started at once: exactly one holds it, the others are refused naming it", async () => {
    const path = join(dir, "race.lock");
    const release = join(dir, "release");
    await writeFile(path, JSON.stringify({ pid: 999999, started: "t0", command: "stale" }));
    // The holder keeps the lock until every contender has tried (the test then creates `release`),
    // however late a contender starts on a loaded machine.
    const script = `import { acquireLockFile } from "./src/state/lock.ts"; import { existsSync } from "node:fs";
      const at = Number(process.argv[1]); while (Date.now() < at) {}
      try { const l = await acquireLockFile(${JSON.stringify(path)}, "racer " + process.pid); console.log("GOT");
        while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 50)); await l.release(); }
      catch (e) { console.log("REFUSED " + e.message); }`;
    const at = Date.now() + 3000;
    const outs: string[] = Array.from({ length: 8 }, () => "");
    const children = outs.map((_, i) => {
      const c = spawn(process.execPath, ["--import", "tsx", "-e", script, String(at)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      c.stdout.on("data", (b: Buffer) => (outs[i] += b.toString()));
      return new Promise<void>((resolve) => c.once("close", () => resolve()));
    });
    while (outs.filter((o) => o.trim() !== "").length < 8) await new Promise((r) => setTimeout(r, 50));
    await writeFile(release, "");
    await Promise.all(children);
    const results = outs.map((o) => o.trim());
    expect(results.filter((r) => r === "GOT")).toHaveLength(1);
    const refused = results.filter((r) => r.startsWith("REFUSED"));
    expect(refused).toHaveLength(7);
    for (const r of refused)
      expect(r).toMatch(/held by (pid \d+ \(racer \d+|a process that has not written)/);
  }, 120_000);
});

describe("journal", () => {
  it("records before each step, and last() is the newest entry, finished or not", async () => {
    const j = new Journal(dir);
    const r1 = await j.begin("a.yaml", "qemu:///system");
    const item = await r1.record({ kind: "sysfs", path: "/sys/x", before: "0", after: "4", done: false });
    await r1.markDone(item);
    await r1.finish("complete");
    const r2 = await j.begin("a.yaml", "qemu:///system");
    await r2.record({ kind: "sysfs", path: "/sys/y", before: "0", after: "1", done: false });
    // r2 was killed before its step finished: it is still the one rollback must undo, not r1.
    const all = await j.list();
    expect(all.map((e) => e.status)).toEqual(["complete", "in-progress"]);
    expect((await j.last())?.id).toBe(r2.entry.id);
    // An entry that recorded nothing (killed right after begin) is passed over.
    await j.begin("a.yaml", "qemu:///system");
    expect((await j.last())?.id).toBe(r2.entry.id);
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
