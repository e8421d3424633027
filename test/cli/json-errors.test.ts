/**
 * With --json a script reads stdout: every failure is a JSON error document there, with a stable
 * code, and the exit code is the one main() returns.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-json-errors-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ErrorDoc {
  ok: false;
  errors: { code: string; message: string; what: string; location?: { file: string; line?: number } }[];
}

describe("--json failures", () => {
  it("validate --json of a bad file prints the problems on stdout with NFV-TOPO codes", async () => {
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "name: x\nhost: [unclosed\n");
    const r = await runCli(["validate", bad, "--json"]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as ErrorDoc;
    expect(doc.ok).toBe(false);
    expect(doc.errors.length).toBeGreaterThan(0);
    expect(doc.errors[0]!.code).toBe("NFV-TOPO-YAML");
    expect(doc.errors[0]!.location?.file).toBe(bad);
  });

  it("a schema error is NFV-TOPO-INVALID with its line", async () => {
    const bad = join(dir, "schema.yaml");
    await writeFile(bad, "name: x\nhost: {}\nvnfs: 3\n");
    const r = await runCli(["plan", bad, "--root", "examples/hosts/seed-c240m5", "--json"]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as ErrorDoc;
    expect(doc.errors.every((e) => e.code === "NFV-TOPO-INVALID")).toBe(true);
    expect(doc.errors.some((e) => e.location?.line !== undefined)).toBe(true);
  });

  it("a refused --connect is NFV-HOST-CONNECT on stdout, exit 2", async () => {
    const r = await runCli([
      "apply",
      "examples/topologies/seed-csr1kv.yaml",
      "--connect",
      "test:///default",
      "--state",
      join(dir, "state"),
      "--json",
    ]);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as ErrorDoc;
    expect(doc.errors.map((e) => e.code)).toEqual(["NFV-HOST-CONNECT"]);
  });

  it("a misfit under --json is the problem list with NFV-PLAN-MISFIT, exit 1", async () => {
    const r = await runCli([
      "plan",
      "test/fixtures/plan/many-misfits.yaml",
      "--root",
      "examples/hosts/seed-c240m5",
      "--json",
    ]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { code: string }).code).toBe("NFV-PLAN-MISFIT");
  });
});
