import { describe, expect, it } from "vitest";
import { mapLimit } from "./concurrency.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("mapLimit", () => {
  it("keeps the input order and never runs more than the limit at once", async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([30, 5, 20, 1, 10, 2], 3, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await tick(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(["0:30", "1:5", "2:20", "3:1", "4:10", "5:2"]);
    expect(most).toBe(3);
  });

  it("handles no items and a limit above the item count", async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
    expect(await mapLimit([1, 2], 8, async (x) => x * 2)).toEqual([2, 4]);
  });

  it("rejects with the first failure and starts nothing after it", async () => {
    const started: number[] = [];
    const err = await mapLimit([1, 2, 3, 4, 5], 2, async (x) => {
      started.push(x);
      await tick(x === 2 ? 1 : 20);
      if (x === 2) throw new Error(`item ${x}`);
      return x;
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe("item 2");
    await tick(50);
    expect(started).toEqual([1, 2]);
  });
});
