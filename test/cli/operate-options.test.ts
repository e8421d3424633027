/**
 * Bad numbers and roots given to apply/verify/capture/destroy are refused (exit 2) before libvirt,
 * sysfs or the state directory are touched: the libvirt URI here points at a socket that does not
 * exist, so reaching libvirt would fail with a different message, and the state directory must
 * stay absent.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

const NO_LIBVIRT = "qemu+unix:///system?socket=/nonexistent/nfvt-cli-options.sock";
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-cli-options-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    const code = await main(["node", "nfvhost", ...args]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

describe("numeric and root options are checked before anything runs", () => {
  it.each(["abc", "1.5", "-1", ""])("apply --stop-timeout %j: exit 2, nothing created", async (v) => {
    const state = join(dir, `state-${v || "empty"}`);
    const r = await run([
      "apply",
      "examples/topologies/seed-csr1kv.yaml",
      "--stop-timeout",
      v,
      "--connect",
      NO_LIBVIRT,
      "--state",
      state,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--stop-timeout");
    expect(r.stderr).toContain("whole seconds from 0 up");
    expect(existsSync(state)).toBe(false);
  });

  it("apply and verify refuse a .tar.gz root (they read and write sysfs under it)", async () => {
    for (const cmd of ["apply", "verify"]) {
      const r = await run([
        cmd,
        "examples/topologies/seed-csr1kv.yaml",
        "--root",
        "host.tar.gz",
        "--connect",
        NO_LIBVIRT,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${cmd} --root`);
      expect(r.stderr).toContain("tar -xzf host.tar.gz");
    }
  });

  it("capture --count/--duration take whole numbers from 1 up", async () => {
    for (const [flag, v] of [
      ["--count", "0"],
      ["--duration", "2.5"],
      ["--count", "ten"],
    ]) {
      const r = await run(["capture", "r1", "1", flag!, v!, "--connect", NO_LIBVIRT]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(flag);
    }
  });

  it("destroy refuses two different topology names (--topology-name and the old --topology)", async () => {
    const r = await run([
      "destroy",
      "--all",
      "--yes",
      "--topology-name",
      "a",
      "--topology",
      "b",
      "--connect",
      NO_LIBVIRT,
      "--state",
      join(dir, "destroy-state"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("one topology name");
  });

  it("status refuses two different topology names before asking libvirt", async () => {
    const r = await run(["status", "--topology-name", "a", "--topology", "b", "--connect", NO_LIBVIRT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("one topology name");
  });
});
