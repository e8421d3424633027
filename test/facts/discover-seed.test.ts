/**
 * The reference host: `discover --root examples/hosts/seed-c240m5 --json` must equal the truth
 * file on every field the truth file states (extra fields in the output are allowed).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { discoverHost } from "../../src/facts/discover.js";

const ROOT = "examples/hosts/seed-c240m5";
const truth = JSON.parse(readFileSync("examples/hosts/seed-c240m5.truth.json", "utf8")) as Record<
  string,
  unknown
>;

/** Every difference between what `expected` states and `actual`, as "path: expected X, got Y". */
function statedDiffs(expected: unknown, actual: unknown, at = "$"): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length)
      return [`${at}: expected ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((e, i) => statedDiffs(e, actual[i], `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object")
      return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([k, v]) =>
      statedDiffs(v, (actual as Record<string, unknown>)[k], `${at}.${k}`),
    );
  }
  return Object.is(expected, actual)
    ? []
    : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

async function cliJson(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await main(["node", "nfvhost", ...args]);
    return { code, out };
  } finally {
    process.stdout.write = write;
  }
}

describe("discover on the reference host seed-c240m5", () => {
  it("the comparison itself catches a wrong stated field", () => {
    expect(statedDiffs({ a: [{ b: 1 }] }, { a: [{ b: 2, c: 3 }] })).toEqual(["$.a[0].b: expected 1, got 2"]);
    expect(statedDiffs({ a: [1, 2] }, { a: [1] })).toEqual(["$.a: expected 2 items, got 1"]);
  });

  it("`discover --root ... --json` states every truth field exactly", async () => {
    const { code, out } = await cliJson(["discover", "--root", ROOT, "--json"]);
    expect(code).toBe(0);
    const facts = JSON.parse(out);
    expect(statedDiffs(truth, facts)).toEqual([]);
    // The truth file states these sections; make sure none was silently skipped.
    expect(Object.keys(truth).sort()).toEqual(["cpu", "cpus", "kernel", "nics", "nodes"]);
  });

  it("reads the seed's other facts from its files", async () => {
    const facts = await discoverHost({ root: ROOT });
    expect(facts.kernel.hugepages).toEqual([{ sizeKiB: 1048576, count: 32 }]);
    expect(facts.kernel.defaultHugepageKiB).toBe(1048576);
    expect(facts.kernel.iommu).toMatchObject({
      enabled: true,
      passthrough: true,
      evidence: ["intel_iommu=on", "iommu=pt"],
    });
    expect(facts.kernel.release).toBe("3.10.0-1127.18.2.el7.x86_64");
    const eno2 = facts.nics.find((n) => n.name === "eno2")!;
    expect([eno2.sriov!.offset, eno2.sriov!.stride]).toEqual([128, 2]);
    expect(facts.cpu.model).toBe("Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz");
    expect(facts.os).toEqual({
      id: "centos",
      version: "7",
      pretty: "CentOS Linux 7 (Core)",
      like: ["rhel", "fedora"],
    });
    expect(facts.selinux).toEqual({ configured: "disabled", current: null });
    expect(facts.thp.enabled).toBe("always");
    expect(facts.sysctl["net.ipv4.ip_forward"]).toBe("1");
    expect(facts.dmi).toEqual({ vendor: "Cisco Systems Inc", product: "UCSC-C240-M5SX" });
    // A snapshot has no /dev and no daemons to ask: unknown, not absent.
    expect(facts.devices.kvm).toBeNull();
    expect(facts.libvirt).toBeNull();
    // The reference tree has no proc/mounts: a warning naming the path, not a crash.
    expect(facts.warnings).toEqual([{ path: "/proc/mounts", message: "missing", kind: "missing" }]);
  });
});
