import { describe, expect, it } from "vitest";
import { NfvError, NfvErrors } from "../util/errors.js";
import type { Change } from "./changes.js";
import { DOMAIN_CONCURRENCY, groupChanges, runChanges } from "./schedule.js";

function domain(name: string, over: Partial<Extract<Change, { kind: "domain" }>> = {}): Change {
  return {
    kind: "domain",
    name,
    xml: `<domain><name>${name}</name></domain>`,
    define: true,
    restart: false,
    repins: [],
    start: true,
    autostart: true,
    beforeXml: null,
    beforeState: null,
    beforeAutostart: null,
    diff: [],
    ...over,
  };
}
const sysfs: Change = { kind: "sysfs", path: "/sys/hp", from: "0", to: "8", what: "hugepages" };
const iso: Change = {
  kind: "iso",
  vnf: "r1",
  path: "/s/r1.iso",
  label: "cidata",
  files: [],
  digest: "d",
  existed: false,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A step that records when each change starts and ends, and fails the names in `fail`. */
function recorder(fail: Record<string, number> = {}, ms = 30) {
  const log: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const step = async (c: Change) => {
    const n = c.kind === "domain" ? c.name : c.kind;
    log.push(`start ${n}`);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await sleep(fail[n] ?? ms);
      if (n in fail) throw new NfvError({ what: `domain ${n}: \`virsh start ${n}\` failed`, exitCode: 1 });
    } finally {
      inFlight--;
      log.push(`end ${n}`);
    }
  };
  return { log, step, max: () => maxInFlight };
}

describe("groupChanges", () => {
  it("keeps the guide's order; only domains overlap; a running domain's redefinition runs alone", () => {
    const changes = [
      sysfs,
      iso,
      domain("a"),
      domain("b"),
      domain("c", { restart: true }),
      domain("d"),
      domain("e"),
    ];
    expect(groupChanges(changes)).toEqual([
      { kind: "serial", index: 0 },
      { kind: "serial", index: 1 },
      { kind: "parallel", indexes: [2, 3] },
      { kind: "serial", index: 4 },
      { kind: "parallel", indexes: [5, 6] },
    ]);
  });

  it("never puts one domain twice into a group", () => {
    expect(groupChanges([domain("a"), domain("a")])).toEqual([
      { kind: "parallel", indexes: [0] },
      { kind: "parallel", indexes: [1] },
    ]);
  });
});

describe("runChanges", () => {
  it("runs serial steps alone, in order, then the domains side by side, at most the limit at once", async () => {
    const r = recorder();
    const names = ["a", "b", "c", "d", "e", "f"];
    await runChanges([sysfs, iso, ...names.map((n) => domain(n))], r.step, { renderer: "silent" });
    expect(r.log.slice(0, 4)).toEqual(["start sysfs", "end sysfs", "start iso", "end iso"]);
    expect(r.max()).toBe(DOMAIN_CONCURRENCY);
    // Started in planned order; the first DOMAIN_CONCURRENCY before any ended.
    expect(r.log.filter((l) => l.startsWith("start ")).slice(2)).toEqual(names.map((n) => `start ${n}`));
    expect(r.log.slice(4, 4 + DOMAIN_CONCURRENCY)).toEqual(["start a", "start b", "start c", "start d"]);
  });

  it("concurrency 1 is the serial order", async () => {
    const r = recorder();
    await runChanges([domain("a"), domain("b"), domain("c")], r.step, { renderer: "silent", concurrency: 1 });
    expect(r.log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("a failing domain: the ones in flight finish, nothing new starts, the error names it and the ones left", async () => {
    // b fails after 10 ms while a, c (limit 3) are still running; d and e never start.
    const r = recorder({ b: 10 }, 60);
    const err = await runChanges([domain("a"), domain("b"), domain("c"), domain("d"), domain("e")], r.step, {
      renderer: "silent",
      concurrency: 3,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvError);
    const msg = (err as NfvError).message;
    expect(msg).toContain("domain b: `virsh start b` failed");
    expect(msg).toContain("not started because of this failure: d, e (apply again starts them)");
    expect(r.log).toEqual(["start a", "start b", "start c", "end b", "end a", "end c"]);
  });

  it("the progress shows a group with a failed domain as failed, not done", async () => {
    const r = recorder({ b: 5 }, 20);
    let printed = "";
    // listr2 prints progress on stdout and failures on stderr.
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = ((chunk: string | Uint8Array) => ((printed += String(chunk)), true)) as typeof out;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      await runChanges([domain("a"), domain("b"), domain("c")], r.step, { renderer: "simple" }).catch(
        () => null,
      );
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(printed).toMatch(/✖ 3 domains, up to \d+ at a time/);
    expect(printed).not.toMatch(/✔ 3 domains/);
  });

  it("several failures are all reported, in planned order", async () => {
    const r = recorder({ c: 5, a: 20 }, 40);
    const err = await runChanges([domain("a"), domain("b"), domain("c")], r.step, {
      renderer: "silent",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvErrors);
    expect((err as NfvErrors).errors.map((e) => e.details.what)).toEqual([
      "domain a: `virsh start a` failed",
      "domain c: `virsh start c` failed",
    ]);
    expect((err as NfvErrors).message).toMatch(/^2 domains failed \(a, c\)/);
    expect(r.log.filter((l) => l.startsWith("end"))).toHaveLength(3);
  });

  it("a lone domain's error is passed on unchanged; a serial failure stops everything after it", async () => {
    const r = recorder({ a: 1 });
    const e1 = new NfvError({ what: "x", exitCode: 1 });
    await expect(runChanges([domain("a")], () => Promise.reject(e1), { renderer: "silent" })).rejects.toBe(
      e1,
    );
    await expect(
      runChanges([sysfs, domain("b")], (c) => (c.kind === "sysfs" ? Promise.reject(e1) : r.step(c)), {
        renderer: "silent",
      }),
    ).rejects.toBe(e1);
    expect(r.log).toEqual([]);
  });

  it("names the domain when the failure does not", async () => {
    const err = await runChanges(
      [domain("a"), domain("b")],
      async (c) => {
        if (c.kind === "domain" && c.name === "b") throw new Error("EACCES: mkdir /var/log/nfvhost");
      },
      { renderer: "silent" },
    ).catch((e: unknown) => e);
    expect((err as NfvError).message).toContain('domain b: "EACCES: mkdir /var/log/nfvhost"');
  });
});
