/** `nfvhost discover` and `nfvhost snapshot` through the real CLI entry (main()). */
import { rmSync } from "node:fs";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { runCli } from "../support/cli.js";

const tmp = scratchDir("nfvhost-cli-discover-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// Colour follows the stream (src/util/colour.ts); strip escapes so the comparison never depends on it.
const plain = stripVTControlCharacters;

describe("nfvhost discover", () => {
  it("prints the per-node picture of the reference host", async () => {
    const r = await cli("discover", "--root", "examples/hosts/seed-c240m5");
    expect(r.code).toBe(0);
    const text = plain(r.out);
    expect(text).toContain("isolcpus 1-8,37-44");
    expect(text).toContain("hugepages 1G×32 (default 1G)");
    expect(text).toMatch(/│ 0 +│ 0\/36 {2}1\*\/37\* {2}2\*\/38\*/);
    expect(text).toMatch(/│ 1 +│ 18\/54 {2}19\/55/);
    expect(text).toContain("1G: 16/16 free");
    expect(text).toContain("eno2 3b:00.1 ixgbe mtu 9216 up");
    expect(text).toContain("SR-IOV 4/64 VFs");
    expect(text).toContain("└ vf0 3b:10.1 enp59s16f1 ixgbevf");
    expect(text).toContain("/proc/mounts: missing");
  });

  it("garbage in a file: the picture still prints, then a precise error and exit 2", async () => {
    const r = await cli("discover", "--root", "test/fixtures/hosts/edge-small");
    expect(r.code).toBe(2);
    const text = plain(r.out);
    expect(text).toContain("0/1  2*/3*  4*  5~");
    expect(text).toContain("└ vf0 01:10.0 (no netdev) vfio-pci");
    expect(text).toContain("/sys/devices/system/cpu/cpu3/topology/thread_siblings_list: cannot parse");
    expect(plain(r.err)).toBe(
      'error: 1 file(s) of host root test/fixtures/hosts/edge-small hold garbage: ["/sys/devices/system/cpu/cpu3/topology/thread_siblings_list"]; ' +
        "expected the values the kernel writes there (`nfvhost discover` shows each file's warning); " +
        "fix: take the snapshot again with `nfvhost snapshot`, or repair the named files\n",
    );
  });

  it("--json prints one object (also when a file holds garbage)", async () => {
    const r = await cli("discover", "--root", "test/fixtures/hosts/edge-small", "--json");
    expect(r.code).toBe(2);
    const f = JSON.parse(r.out);
    expect(f.schema).toBe(1);
    expect(f.root).toBe("test/fixtures/hosts/edge-small");
    const seed = await cli("discover", "--root", "examples/hosts/seed-c240m5", "--json");
    expect(seed.code).toBe(0);
    expect(seed.err).toBe("");
  });

  it("reads this machine without --root: exit 0, nothing on stderr, /dev visible", async () => {
    const r = await cli("discover", "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const f = JSON.parse(r.out);
    expect(f.root).toBe("/");
    expect(f.cpus.length).toBeGreaterThan(0);
    expect(f.devices.kvm).not.toBeNull();
    const picture = await cli("discover");
    expect(picture.code).toBe(0);
    expect(plain(picture.out)).toContain(`root /`);
  });

  it.each([
    [["--root", path.join(tmp, "missing")], /host root .*missing does not exist/],
    [["--root", "examples/hosts"], /host root examples\/hosts has no proc\/ directory/],
    [["--root", "package.json"], /is not a directory or a \.tar\.gz snapshot/],
  ])("bad root %j: exit 2, one precise line, no stack", async (args, message) => {
    const r = await cli("discover", ...(args as string[]));
    expect(r.code).toBe(2);
    expect(plain(r.err)).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe("");
  });
});

describe("nfvhost snapshot", () => {
  it("writes a .tar.gz that discover --root reads back", async () => {
    const out = path.join(tmp, "seed.tgz");
    const s = await cli("snapshot", out, "--root", "examples/hosts/seed-c240m5");
    expect(s.code).toBe(0);
    expect(s.out).toMatch(
      /snapshot of examples\/hosts\/seed-c240m5 written to .*seed\.tgz: \d+ files, \d+ links/,
    );
    const d = await cli("discover", "--root", out, "--json");
    expect(d.code).toBe(0);
    expect(JSON.parse(d.out).kernel.isolatedCpus).toHaveLength(16);
    const again = await cli("snapshot", out, "--root", "examples/hosts/seed-c240m5");
    expect(again.code).toBe(2);
    expect(plain(again.err)).toMatch(
      /snapshot output .*seed\.tgz; expected a new path or an empty directory, found an existing file/,
    );
  });

  it("--json prints the summary and the warnings, not the facts", async () => {
    const out = path.join(tmp, "seed-json");
    const s = await cli("snapshot", out, "--root", "examples/hosts/seed-c240m5", "--json");
    expect(s.code).toBe(0);
    const j = JSON.parse(s.out);
    expect(Object.keys(j).sort()).toEqual(
      ["bytes", "dirs", "files", "links", "out", "recorded", "root", "skipped", "warnings"].sort(),
    );
    expect(j).toMatchObject({ out, root: "examples/hosts/seed-c240m5" });
    expect(j.files).toBeGreaterThan(100);
    expect(j.warnings).toEqual([{ path: "/proc/mounts", message: "missing", kind: "missing" }]);
  });
});
