import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const cli = runCli;

// Colour follows the stream (src/util/colour.ts); compare the text only.
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "");

describe("nfvhost validate", () => {
  it("says OK for the seed topology and exits 0", async () => {
    const r = await cli(["validate", "examples/topologies/seed-csr1kv.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "OK examples/topologies/seed-csr1kv.yaml: topology seed-csr1kv, 1 VNF(s): csr1kv-1 (csr1000v, 8 vCPU, 8 GiB, 2 vNIC), 2 network(s)\n",
    );
    expect(r.stderr).toBe("");
  });

  it("--json prints the parsed topology", async () => {
    const r = await cli(["validate", "--json", "examples/topologies/seed-csr1kv.yaml"]);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.vnfs[0].memoryKiB).toBe(8388608);
    expect(t.host.sriov[0].macs[0]).toBe("8e:df:08:c1:d1:de");
  });

  it("prints every error of a broken file and exits 2", async () => {
    const file = "test/fixtures/topologies/broken/many-errors.yaml";
    const expected = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("# expect: "))
      .map((l) => `error: ${l.slice("# expect: ".length)}`);
    const r = await cli(["validate", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(plain(r.stderr).trimEnd().split("\n")).toEqual([
      ...expected,
      `${expected.length} problem(s) found; nothing was changed.`,
    ]);
  });

  it("names a missing file", async () => {
    const r = await cli(["validate", "/nonexistent/topology.yaml"]);
    expect(r.code).toBe(2);
    expect(plain(r.stderr)).toContain(
      'topology file: "/nonexistent/topology.yaml"; expected an existing file',
    );
  });
});
