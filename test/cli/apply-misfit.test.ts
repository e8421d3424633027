/**
 * apply on a topology that does not fit says what plan says (located, collapsed, one capacity
 * summary) and changes nothing. libvirt's in-process test driver stands in for a host's libvirtd,
 * so no real domain is ever at risk here.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const MANY = "test/fixtures/plan/many-misfits.yaml";
const ROOT = "examples/hosts/seed-c240m5";
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-apply-misfit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("apply of a topology that does not fit", () => {
  it("prints plan's located, collapsed problems, exits 1 and leaves no lock or journal", async () => {
    const state = join(dir, "text");
    // A snapshot of another host with a libvirt that is not this one: a preview (--dry-run) only.
    const args = [
      "apply",
      MANY,
      "--root",
      ROOT,
      "--connect",
      "test:///default",
      "--state",
      state,
      "--dry-run",
    ];
    const plan = await runCli(["plan", MANY, "--root", ROOT]);
    const r = await runCli(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    // plan alone adds what the placement achieved ("placement: at most 4 of the 40 ... fit") and
    // the indented lines under it (which VNFs it leaves out and what binds them).
    const planProblems = plan.stderr.replace(/^placement: .*\n(?: {2}.*\n)*$/m, "");
    expect(plan.stderr).toMatch(/^placement: at most 4 of the 40 new VNFs fit together \(proven optimal\)$/m);
    expect(r.stderr).toBe(planProblems.replace(/\.\n$/, "; nothing was changed.\n"));
    expect(r.stderr).toContain(`${MANY}:8: cannot fit: 36 of 40 VNFs do not fit this host`);
    expect(await readdir(state).catch(() => [])).toEqual([]);
  });

  it("--json gives every problem with its location", async () => {
    const state = join(dir, "json");
    const r = await runCli([
      "apply",
      MANY,
      "--root",
      ROOT,
      "--connect",
      "test:///default",
      "--state",
      state,
      "--dry-run",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      problems: { resource: string; location: string | null }[];
    };
    expect(out.ok).toBe(false);
    expect(out.problems).toHaveLength(73);
    expect(out.problems.every((p) => p.location?.startsWith(`${MANY}:`))).toBe(true);
  });
});
