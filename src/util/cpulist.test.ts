import { describe, expect, it } from "vitest";
import { formatCpuList, parseCpuList } from "./cpulist.js";

describe("cpu lists", () => {
  it("parses the seed's isolcpus", () => {
    expect(parseCpuList("1-8,37-44")).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 37, 38, 39, 40, 41, 42, 43, 44]);
  });
  it("parses stride groups and single ids", () => {
    expect(parseCpuList("0-7:2/4,9")).toEqual([0, 1, 4, 5, 9]);
  });
  it("formats ranges the way the kernel prints them", () => {
    expect(formatCpuList([44, 1, 2, 3, 37, 5])).toBe("1-3,5,37,44");
  });
  it("rejects garbage with a message naming the value", () => {
    expect(() => parseCpuList("1-x", "isolcpus")).toThrow(/isolcpus: "1-x"; expected a CPU list/);
  });
  it("refuses ids beyond NR_CPUS at once instead of expanding a huge range", () => {
    expect(parseCpuList("8190-8191")).toEqual([8190, 8191]);
    // Expanding first would die with a RangeError (Set size), not this message.
    expect(() => parseCpuList("1-4000000000", "isolcpus")).toThrow(/CPU ids from 0 to 8191/);
  });
});
