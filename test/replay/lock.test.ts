/**
 * The host lock an apply takes, on the recorded sessions of a new VNF
 * (test/fixtures/virsh-sessions/fresh.json). Replayed applies act on a copy of the recording
 * host's snapshot root, never on `/`; the key of an apply to this very host is the same function
 * of the URI and the root, driven here with root "/": the URI alone, the key rollback and destroy
 * take, so a rollback waits for an apply to the live host and not for one to a snapshot root.
 * No libvirtd.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyLockKey, applyTopology } from "../../src/apply/index.js";
import type { RollbackStep } from "../../src/apply/operate.js";
import { acquireHostLock, hostLockPath } from "../../src/state/lock.js";
import { StoryReplay, applyOptions, rollback } from "./story.js";

let s: StoryReplay;

beforeAll(async () => {
  s = await StoryReplay.open("fresh");
});
afterAll(() => s?.close());

describe("replayed virsh: the host lock of an apply", () => {
  it("an apply on a snapshot root takes that root's own key: held elsewhere, the apply is refused before it reads the host", async () => {
    const rootKey = applyLockKey(s.e.uri, s.e.root);
    expect(rootKey).toBe(`${s.e.uri}#root=${resolve(s.e.root)}`);
    expect(rootKey).not.toBe(applyLockKey(s.e.uri, "/"));
    const other = await acquireHostLock(rootKey, "another apply of this root");
    try {
      const { error, replay } = await s.step("start-fails", (e) =>
        applyTopology(applyOptions(e, "no-kernel")),
      );
      expect(error?.message).toContain(`host lock ${hostLockPath(rootKey)}`);
      expect(error?.message).toContain(`held by pid ${process.pid} (another apply of this root`);
      // Only libvirt's ping came before the lock.
      expect(replay.asked.map((c) => c.args.slice(2).join(" "))).toEqual(["version"]);
    } finally {
      await other.release();
    }
  });

  it("the live host's key (root /) is the URI alone: it does not stop a snapshot-root apply, it stops rollback", async () => {
    const liveKey = applyLockKey(s.e.uri, "/");
    expect(liveKey).toBe(s.e.uri);
    const live = await acquireHostLock(liveKey, "an apply to this very host");
    try {
      const applied = await s.step("start-fails", (e) => applyTopology(applyOptions(e, "no-kernel")));
      expect(s.unasked("start-fails", applied.replay)).toEqual([]);
      expect(applied.error?.message).toContain("no-such-vmlinuz");
      // rollback locks the URI: the same key as an apply to this very host, so it waits for it.
      const refused = await s.step("rollback-failed", (e) => rollback(e));
      expect(refused.error?.message).toContain(`host lock ${hostLockPath(liveKey)}`);
      expect(refused.replay.asked).toEqual([]);
    } finally {
      await live.release();
    }
    const { result, error, replay } = await s.step("rollback-failed", (e) => rollback(e));
    expect(error).toBeUndefined();
    expect(s.unasked("rollback-failed", replay)).toEqual([]);
    expect((result as { steps: RollbackStep[] }).steps[0]).toMatchObject({
      what: "that run ended with an error",
      done: true,
    });
  });
});
