/**
 * `nfvhost export` as a user runs it: files written with their modes, the degradation report on
 * stderr and in --json, exit 0, exit 1 under --strict, a non-empty foreign --out refused, and
 * several hosts (topology + --root + --host each) exported as one deployment.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../support/cli.js";
import { REPO, SEED_PASSWORD, SEED_ROOT } from "../render/seed.js";

const SEED = join(REPO, "examples/topologies/seed-csr1kv.yaml");
const MULTI = join(REPO, "examples/topologies/multi-vnf-sriov.yaml");
let base: string;
const saved = { ...process.env };

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "nfvhost-export-cli-"));
  Object.assign(process.env, {
    CSR_ADMIN_PASSWORD: SEED_PASSWORD,
    C8KV_ADMIN_PASSWORD: "c8kv-test-admin",
    C8KV_EDGE_OTP: "0123456789abcdef",
    SDWAN_ROOT_CA: "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----",
  });
});
afterAll(async () => {
  process.env = saved;
  await rm(base, { recursive: true, force: true });
});

describe("nfvhost export kubevirt", () => {
  it("writes the files, prints the report on stderr, exits 0", async () => {
    const out = join(base, "kv");
    const r = await runCli([
      "export",
      "kubevirt",
      SEED,
      "--root",
      SEED_ROOT,
      "--out",
      out,
      "--pin-host",
      "--host",
      "c240-1",
    ]);
    expect(r.code).toBe(0);
    const report = await readFile(join(out, "degradation.txt"), "utf8");
    expect(r.stderr).toContain(report);
    expect(report).toMatch(
      /^vnfs\.csr1kv-1\.vcpus: nfvhost guarantees exact host CPUs: .*; KubeVirt gives .*; fix: .*$/m,
    );
    expect(r.stdout).toMatch(/checks passed/);
    const vm = parse(await readFile(join(out, "vms/csr1kv-1.yaml"), "utf8"));
    expect(vm.spec.template.spec.nodeSelector).toEqual({
      "nfvhost.io/shape": "seed-csr1kv",
      "kubernetes.io/hostname": "c240-1",
    });
    expect((await stat(join(out, "vms/csr1kv-1-day0-secret.yaml"))).mode & 0o777).toBe(0o600);
    const secret = await readFile(join(out, "vms/csr1kv-1-day0-secret.yaml"), "utf8");
    expect(secret).not.toContain(SEED_PASSWORD); // only its type 9 hash
  });

  it("--json carries every degradation line; --strict exits 1", async () => {
    const out = join(base, "kv-json");
    const r = await runCli([
      "export",
      "kubevirt",
      SEED,
      "--root",
      SEED_ROOT,
      "--out",
      out,
      "--json",
      "--strict",
    ]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.degradations.length).toBeGreaterThan(5);
    for (const d of doc.degradations) expect(r.stderr).toContain(d.line);
    expect(doc.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(r.stderr).toMatch(/--strict: \d+ guarantee\(s\) the engine cannot express/);
  });

  it("refuses a non-empty directory it did not write, and changes nothing", async () => {
    const out = join(base, "foreign");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "mine");
    const r = await runCli(["export", "kubevirt", SEED, "--root", SEED_ROOT, "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out.*an empty directory, or one an earlier nfvhost export wrote/);
    expect(await readFile(join(out, "keep.txt"), "utf8")).toBe("mine");
  });

  it("several hosts: hosts with the same tuning share one shape; each VM pinned to its planned host", async () => {
    // The seed deployment on a second, identical host, its router renamed.
    const twin = join(base, "seed-twin.yaml");
    await writeFile(twin, (await readFile(SEED, "utf8")).replace("csr1kv-1:", "csr1kv-2:"));
    const out = join(base, "fleet");
    const r = await runCli([
      "export",
      "kubevirt",
      SEED,
      twin,
      "--root",
      SEED_ROOT,
      "--host",
      "edge-a",
      "--host",
      "edge-b",
      "--name",
      "branch",
      "--out",
      out,
      "--pin-host",
    ]);
    expect(r.code).toBe(0);
    expect(
      (await readFile(join(out, "nodes/label-nodes.sh"), "utf8"))
        .split("\n")
        .filter((l) => l.startsWith("kubectl")),
    ).toEqual([
      "kubectl label node edge-a nfvhost.io/shape=branch --overwrite",
      "kubectl label node edge-b nfvhost.io/shape=branch --overwrite",
    ]);
    const vm2 = parse(await readFile(join(out, "vms/csr1kv-2.yaml"), "utf8"));
    expect(vm2.spec.template.spec.nodeSelector).toEqual({
      "nfvhost.io/shape": "branch",
      "kubernetes.io/hostname": "edge-b",
    });
    // Host lines name their host in a multi-host export.
    expect(r.stderr).toMatch(/^hosts\.edge-b\.sriov\.eno2\.macs: /m);
  });

  it("the same VNF name on two hosts is refused, naming both", async () => {
    const r = await runCli([
      "export",
      "kubevirt",
      SEED,
      SEED,
      "--root",
      SEED_ROOT,
      "--host",
      "a",
      "--host",
      "b",
      "--out",
      join(base, "dup"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vnfs\.csr1kv-1: "a and b"/);
  });
});

describe("nfvhost export openstack", () => {
  it("--format cli writes the commands and per-host nova.conf; the engines' checks ran", async () => {
    const out = join(base, "os");
    const r = await runCli([
      "export",
      "openstack",
      MULTI,
      "--root",
      SEED_ROOT,
      "--out",
      out,
      "--format",
      "cli",
      "--host",
      "cmp-1",
    ]);
    expect(r.code).toBe(0);
    const sh = await readFile(join(out, "openstack/deploy.sh"), "utf8");
    expect(sh).toMatch(
      /^openstack flavor create --private --vcpus 4 .*--property hw:cpu_policy=dedicated .* nfv\.csr-a$/m,
    );
    expect((await stat(join(out, "openstack/deploy.sh"))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(out, "hosts/cmp-1/nova.conf"), "utf8")).toMatch(
      /^cpu_dedicated_set = 2-14,38-50$/m,
    );
    expect(await readFile(join(out, "README.txt"), "utf8")).toMatch(
      /nova 26\.\d+\.\d+: extra-spec validators/,
    );
    expect(r.stderr).toMatch(/^vnfs\.csr-a\.interfaces\[2\]\.pf: nfvhost guarantees VF 0 of eno1/m);
  }, 300_000);
});
