/**
 * `nfvhost render ... | head -1`: the reader goes away after one line. The command must still
 * finish its work (every file written) and exit with its own code, without a stack trace.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, SEED_PASSWORD, SEED_ROOT, SEED_TOPOLOGY } from "../render/seed.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-pipe-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runUntilFirstOutput(
  args: string[],
): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "src/cli/run.ts"), ...args], {
      cwd: REPO,
      env: { ...process.env, CSR_ADMIN_PASSWORD: SEED_PASSWORD },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let first = "";
    let stderr = "";
    child.stdout.once("data", (chunk: Buffer) => {
      first = chunk.toString();
      child.stdout.destroy(); // what `head -1` does once it has its line
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, first, stderr }));
  });
}

describe("a closed output pipe", () => {
  it("render finishes, writes every file and exits 0 without a stack trace", async () => {
    const out = join(dir, "render");
    const r = await runUntilFirstOutput(["render", SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", out]);
    expect(r.first).toContain("plan seed-csr1kv");
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|internal error/);
    expect(r.code).toBe(0);
    const files = await readdir(out, { recursive: true });
    expect(files).toContain(join("libvirt", "domains", "csr1kv-1.xml"));
    expect(files).toContain(join("day0", "csr1kv-1", "csr1kv-1-day0.iso"));
  }, 60_000);
});
