/**
 * Issue 12: plan (and so render and apply) refuses host facts that discover and doctor call
 * garbage, instead of planning on them; doctor never prints a snapshot's terminal escapes raw.
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { REPO, SEED_TOPOLOGY } from "../render/seed.js";

let root: string;
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  process.exitCode = undefined;
  try {
    return { code: await main(["node", "nfvhost", ...args]), out: out.join(""), err: err.join("") };
  } finally {
    process.exitCode = undefined;
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "nfvt-garbage-"));
  await cp(join(REPO, "examples/hosts/seed-c240m5"), root, { recursive: true });
  await writeFile(
    join(root, "sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages"),
    "-5\n",
  );
  await writeFile(join(root, "proc/sys/kernel/hostname"), "evil\u001b]0;pwned\u0007\u001b[2J\n");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("garbage host facts", () => {
  it("plan refuses them, naming the file, instead of planning on them", async () => {
    const r = await cli(["plan", SEED_TOPOLOGY, "--root", root]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain("/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages");
    expect(r.err).toMatch(/fix: /);
    expect(r.out).toBe("");
  });

  it("doctor shows a snapshot's hostname without its terminal escapes", async () => {
    const r = await cli(["doctor", "--root", root]);
    // eslint-disable-next-line no-control-regex
    expect(`${r.out}${r.err}`).not.toMatch(/\u001b\]|\u001b\[2J|\u0007/);
  });
});
