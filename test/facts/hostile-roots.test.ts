/**
 * Snapshot roots a newcomer (or a broken copy) can hand to discovery: a FIFO where the kernel has a
 * file, oversized or binary files, counters beyond 2^53, garbage /proc/meminfo and /proc/cpuinfo, a
 * root without CPUs. Discovery must neither hang nor print raw bytes, and must say what is wrong.
 */
import { cpSync, mkdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { discoverHost } from "../../src/facts/discover.js";
import { FILE_MAX_BYTES, quoteSample } from "../../src/facts/reader.js";
import { snapshotHost } from "../../src/facts/snapshot.js";
import { NfvError } from "../../src/util/errors.js";

const SEED = "examples/hosts/seed-c240m5";
const tmp = scratchDir("nfvhost-hostile-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function seedCopy(name: string): string {
  const root = path.join(tmp, name);
  cpSync(SEED, root, { recursive: true });
  return root;
}

describe("hostile snapshot roots", () => {
  it("a FIFO in place of a file is a garbage warning, never a blocking read", async () => {
    const root = seedCopy("fifo");
    rmSync(path.join(root, "proc/meminfo"));
    execFileSync("mkfifo", [path.join(root, "proc/meminfo")]);
    const f = await discoverHost({ root });
    expect(f.warnings).toContainEqual({
      path: "/proc/meminfo",
      message: "is not a regular file (a FIFO, socket or device node), expected a file",
      kind: "garbage",
    });
    expect(f.cpus).toHaveLength(72);
  }, 20_000);

  it("a file bigger than any kernel file is refused by size, not read", async () => {
    const root = seedCopy("huge");
    truncateSync(path.join(root, "proc/cmdline"), FILE_MAX_BYTES + 1);
    const f = await discoverHost({ root });
    expect(f.warnings.find((w) => w.path === "/proc/cmdline")).toMatchObject({ kind: "garbage" });
    expect(f.kernel.cmdline).toBe("");
  });

  it("counters beyond 2^53, garbage meminfo and cpuinfo are garbage warnings", async () => {
    const root = seedCopy("numbers");
    const pool = "sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages";
    writeFileSync(path.join(root, pool), "99999999999999999999\n");
    writeFileSync(path.join(root, "proc/meminfo"), "hello world\n");
    writeFileSync(path.join(root, "proc/cpuinfo"), "not a cpuinfo\n");
    const f = await discoverHost({ root });
    const garbage = f.warnings.filter((w) => w.kind === "garbage").map((w) => w.path);
    expect(garbage).toEqual(expect.arrayContaining([`/${pool}`, "/proc/meminfo", "/proc/cpuinfo"]));
    expect(f.nodes[0]!.hugepages["1048576"]!.total).toBe(0);
  });

  it("binary garbage is described in warnings, never printed raw", async () => {
    const root = seedCopy("binary");
    const file = "sys/devices/system/cpu/cpu3/topology/thread_siblings_list";
    writeFileSync(path.join(root, file), Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xfe]));
    const f = await discoverHost({ root });
    const w = f.warnings.find((x) => x.path === `/${file}`);
    expect(w?.message).toMatch(/^cannot parse binary data \(\d+ bytes, not text\)/);
    // eslint-disable-next-line no-control-regex
    expect(w?.message).not.toMatch(/[\u0000-\u001f\ufffd]/);
    expect(quoteSample("0-3,x")).toBe('"0-3,x"');
  });

  it("an archive entry bigger than any kernel file is refused without being written out", async () => {
    const src = path.join(tmp, "big-entry");
    mkdirSync(path.join(src, "proc"), { recursive: true });
    mkdirSync(path.join(src, "sys"), { recursive: true });
    // Random bytes: tar's own decompression-ratio guard must not be what catches it.
    writeFileSync(path.join(src, "proc/cpuinfo"), randomBytes(FILE_MAX_BYTES + 1));
    const archive = path.join(tmp, "big-entry.tar.gz");
    execFileSync("tar", ["czf", archive, "-C", src, "proc", "sys"]);
    const err = await discoverHost({ root: archive }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvError);
    expect((err as NfvError).message).toContain(
      `: ["proc/cpuinfo"]; expected files of at most ${FILE_MAX_BYTES} bytes`,
    );
  }, 30_000);

  it("a root with proc/ and sys/ but no CPUs is bad input (exit 2), not an empty host", async () => {
    const root = path.join(tmp, "no-cpus");
    mkdirSync(path.join(root, "proc"), { recursive: true });
    mkdirSync(path.join(root, "sys"), { recursive: true });
    const err = await discoverHost({ root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvError);
    expect((err as NfvError).exitCode).toBe(2);
    expect((err as NfvError).message).toContain("has no CPUs");
  });
});

describe("snapshot outputs that cannot be written", () => {
  it.each(["/proc/nfvhost-nope/snap", "/proc/nfvhost-nope.tar.gz", "/proc/sys/nfvhost-snap"])(
    "%s is bad input with a fix, never a hang or a stack trace",
    async (out) => {
      const err = await snapshotHost(out, { root: SEED }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NfvError);
      expect((err as NfvError).exitCode).toBe(2);
      expect((err as NfvError).message).toMatch(/^snapshot output .*; expected .*; fix: /);
    },
    20_000,
  );
});
