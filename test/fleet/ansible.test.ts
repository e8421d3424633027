/**
 * Issue 13, "Done when": a fleet of three hosts behind the test's own sshd on 127.0.0.1 — two
 * snapshot roots of different real shapes (the seed C240 M5 and an AMD EPYC NPS4 tree) applied with
 * --root under Ansible, and this machine, where the lab VNF is applied, boots and verifies — plus a
 * fourth host whose port is closed: reported unreachable and skipped while the others complete.
 * Facts come over SSH (fleet snapshot), the router password from Ansible Vault, and a second
 * `fleet apply` changes nothing.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { serialLogPath } from "../../src/desired/desired.js";
import { AMD_EPYC_NPS4, buildHostFacts } from "../../src/facts/shapes.js";
import { writeSnapshotTree } from "../../src/facts/write-tree.js";
import { run, runChecked } from "../../src/util/exec.js";
import { waitForGuest } from "../support/guest.js";
import { createLab } from "../support/lab.js";
import { SEED } from "./support.js";
import { freePort, startSshd, type TestSshd } from "./sshd.js";

const REPO = resolve(new URL("../..", import.meta.url).pathname);
const lab = createLab({
  prefix: "fleet",
  letter: "f",
  suite: "test/fleet/ansible.test.ts",
  cliTimeoutMs: 900_000,
});
const SEED_PF = "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0/sriov_numvfs";
let sshd: TestSshd;
let dir: string;
let inventory: string;
let fleetFile: string;
let vaultPass: string;
let roots: { seed: string; amd: string };

interface HostRun {
  host: string;
  status: string;
  message?: string;
  apply?: { converged: boolean; applied: number; dryRun: boolean; changes: unknown[] };
  verify?: { ok: boolean; checks: { subject: string; check: string; status: string }[] };
  vnfs: { name: string; state: string }[];
  drift: string[];
}

let debugN = 0;
const fleetRun = async (args: string[]) => {
  const r = await lab.cli(["fleet", ...args, "--json"]);
  if (process.env.NFVT_FLEET_DEBUG)
    await writeFile(`/tmp/i13-debug-${debugN++}.log`, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  let hosts: HostRun[] = [];
  try {
    hosts = (JSON.parse(r.stdout) as { hosts: HostRun[] }).hosts;
  } catch {
    throw new Error(`fleet ${args[0]} printed no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }
  return { code: r.code, hosts, byName: new Map(hosts.map((h) => [h.host, h])), stderr: r.stderr };
};

beforeAll(async () => {
  await lab.setUp();
  dir = lab.dir;
  sshd = await startSshd();
  // The hosts run the checkout's nfvhost (bin/nfvhost.js runs dist/, which npm ci builds).
  if (!existsSync(join(REPO, "dist", "cli", "process.js")))
    await runChecked("npm", ["run", "build"], { cwd: REPO, timeoutMs: 600_000 });

  roots = { seed: join(dir, "roots", "seed"), amd: join(dir, "roots", "amd") };
  await mkdir(join(dir, "roots"), { recursive: true });
  await cp(SEED, roots.seed, { recursive: true });
  writeSnapshotTree(buildHostFacts(AMD_EPYC_NPS4), roots.amd);

  vaultPass = join(dir, "vault-pass");
  await writeFile(vaultPass, `nfvt-vault-${lab.names.sfx}\n`, { mode: 0o600 });
  const enc = await runChecked("ansible-vault", [
    "encrypt_string",
    "--vault-password-file",
    vaultPass,
    "--name",
    lab.passwordEnv,
    lab.env[lab.passwordEnv]!,
  ]);

  // The lab topology, as a fleet: its VNF pinned to this machine, its host section in host_vars.
  const labTopo = parse(await readFile(await lab.writeTopology(), "utf8")) as {
    name: string;
    host: unknown;
    vnfs: Record<string, Record<string, unknown>>;
  };
  const vnfs = Object.fromEntries(Object.entries(labTopo.vnfs).map(([n, v]) => [n, { ...v, host: "this" }]));
  fleetFile = join(dir, "fleet.yaml");
  await writeFile(fleetFile, stringify({ name: labTopo.name, lab: true, vnfs }));

  const inv = join(dir, "inventory");
  await mkdir(join(inv, "host_vars"), { recursive: true });
  await mkdir(join(inv, "group_vars"), { recursive: true });
  inventory = join(inv, "hosts.yml");
  await writeFile(
    inventory,
    stringify({
      all: {
        vars: {
          ansible_host: "127.0.0.1",
          ansible_port: sshd.port,
          ansible_user: sshd.user,
          ansible_ssh_private_key_file: sshd.clientKey,
          ansible_ssh_common_args: sshd.sshArgs,
          ansible_python_interpreter: "/usr/bin/python3",
          nfvhost_command: [process.execPath, join(REPO, "bin", "nfvhost.js")],
        },
        children: {
          snapshots: { hosts: { "snap-seed": null, "snap-amd": null } },
          lab: {
            hosts: {
              this: null,
              gone: {
                // Planned from an earlier snapshot, unreachable now.
                nfvhost_snapshot: roots.seed,
                ansible_port: await freePort(),
                ansible_ssh_common_args: `${sshd.sshArgs} -o ConnectTimeout=5`,
              },
            },
          },
        },
      },
    }),
  );
  const base = { cpus: { isolate: "auto" }, hugepages: { size: "1GiB" } };
  await writeFile(
    join(inv, "host_vars", "snap-seed.yml"),
    stringify({
      nfvhost_root: roots.seed,
      nfvhost_labels: { site: "fra1" },
      nfvhost_host: { ...base, sriov: [{ pf: "eno1", vfs: 2 }] },
    }),
  );
  await writeFile(
    join(inv, "host_vars", "snap-amd.yml"),
    stringify({
      nfvhost_root: roots.amd,
      nfvhost_labels: { site: "ams1" },
      nfvhost_host: { ...base, sriov: [{ pf: "ens5f0", vfs: 8 }] },
    }),
  );
  await writeFile(
    join(inv, "host_vars", "this.yml"),
    `${stringify({ nfvhost_state_dir: lab.state, nfvhost_labels: { site: "lab" }, nfvhost_host: labTopo.host })}nfvhost_secrets:\n${enc.stdout
      .trimEnd()
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n")}\n`,
  );
}, 1_800_000);

afterAll(async () => {
  await sshd?.stop();
  await lab.tearDown();
});

describe("a fleet over SSH with Ansible", () => {
  it("snapshots every reachable host over SSH and names the unreachable one", async () => {
    const r = await lab.cli([
      "fleet",
      "snapshot",
      inventory,
      "--out",
      join(dir, "snaps"),
      "--forks",
      "4",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const hosts = (
      JSON.parse(r.stdout) as { hosts: { host: string; ok: boolean; failure?: string; message: string }[] }
    ).hosts;
    const by = new Map(hosts.map((h) => [h.host, h]));
    expect(by.get("gone")).toMatchObject({ ok: false, failure: "unreachable" });
    for (const h of ["snap-seed", "snap-amd", "this"])
      expect(by.get(h), JSON.stringify(by.get(h))).toMatchObject({ ok: true });
    // The seed's snapshot is the seed: 72 CPUs; the AMD tree 128.
    expect(by.get("snap-seed")!.message).toMatch(/^72 CPUs, 2 nodes/);
    expect(by.get("snap-amd")!.message).toMatch(/^128 CPUs, 8 nodes/);
  }, 600_000);

  it("plans and renders per host with the playbook; --check changes nothing", async () => {
    const plan = await lab.cli([
      "plan",
      fleetFile,
      "-i",
      inventory,
      "--snapshots",
      join(dir, "snaps"),
      "--json",
    ]);
    if (process.env.NFVT_FLEET_DEBUG) await writeFile("/tmp/i13-debug-plan.log", plan.stdout + plan.stderr);
    expect(plan.code, plan.stderr).toBe(0);
    const p = JSON.parse(plan.stdout) as { assignment: Record<string, string>; warnings: string[] };
    expect(p.assignment).toEqual({ [lab.names.vnf]: "this" });

    const out = join(dir, "out");
    const render = await lab.cli([
      "render",
      fleetFile,
      "-i",
      inventory,
      "--snapshots",
      join(dir, "snaps"),
      "--out",
      out,
    ]);
    expect(render.code, render.stderr).toBe(0);
    for (const h of ["snap-seed", "snap-amd", "this"])
      expect(existsSync(join(out, h, "topology.yaml"))).toBe(true);
    expect(
      existsSync(join(out, "this", "libvirt", `${lab.names.vnf}.xml`)) ||
        (await readdir(join(out, "this"))).length > 3,
    ).toBe(true);
    const syntax = await run("ansible-playbook", ["--syntax-check", "-i", inventory, join(out, "site.yml")]);
    expect(syntax.code, syntax.stderr).toBe(0);

    const check = await fleetRun([
      "apply",
      out,
      "-i",
      inventory,
      "--check",
      "--vault-password-file",
      vaultPass,
    ]);
    expect(check.byName.get("gone")!.status).toBe("unreachable");
    expect(check.byName.get("this")!.apply).toMatchObject({ dryRun: true });
    expect(check.byName.get("this")!.apply!.changes.length).toBeGreaterThan(0);
    expect(await lab.domState(lab.names.vnf)).toBe("absent");
    expect((await readFile(join(roots.seed, SEED_PF), "utf8")).trim()).toBe("0");
  }, 900_000);

  it("applies on every host (roots with --root), boots and verifies the lab VNF; a second apply changes nothing", async () => {
    const out = join(dir, "out");
    const first = await fleetRun([
      "apply",
      out,
      "-i",
      inventory,
      "--forks",
      "3",
      "--vault-password-file",
      vaultPass,
    ]);
    expect(first.code).toBe(1);
    expect(first.byName.get("gone")!.status).toBe("unreachable");
    expect(first.byName.get("gone")!.message).toMatch(/UNREACHABLE/);
    for (const h of ["snap-seed", "snap-amd", "this"]) {
      const x = first.byName.get(h)!;
      expect(x.status, `${h}: ${JSON.stringify(x)}\n${first.stderr.slice(-3000)}`).toBe("changed");
    }
    expect(first.byName.get("this")!.verify?.ok, JSON.stringify(first.byName.get("this"))).toBe(true);
    // A snapshot root is verified against what apply --root wrote under it: VF counts, pools, keyfiles.
    for (const h of ["snap-seed", "snap-amd"]) {
      const v = first.byName.get(h)!.verify;
      expect(v?.ok, `${h}: ${JSON.stringify(v)}`).toBe(true);
      const checks = v!.checks.map((c) => c.check);
      expect(checks.some((c) => /^VFs of /.test(c))).toBe(true);
      expect(checks.some((c) => /^NetworkManager profile /.test(c))).toBe(true);
    }
    expect((await readFile(join(roots.seed, SEED_PF), "utf8")).trim()).toBe("2");
    expect(existsSync(join(roots.amd, "etc/NetworkManager/system-connections/ens5f0.nmconnection"))).toBe(
      true,
    );
    expect(await lab.domState(lab.names.vnf)).toBe("running");
    await waitForGuest(lab.names.vnf, serialLogPath(lab.state, lab.names.vnf), {
      timeoutMs: 240_000,
      untilShutOff: false,
    });
    expect(first.byName.get("this")!.vnfs).toEqual([{ name: lab.names.vnf, state: "running" }]);

    // Vault: the password reached nfvhost as its environment only; no file on the host holds it.
    const secret = lab.env[lab.passwordEnv]!;
    const files = await run("grep", ["-rlF", "--", secret, lab.state, join(dir, "out")]);
    expect(files.stdout).toBe("");
    expect((await stat(join(lab.state, "bundles", lab.names.topo))).mode & 0o077).toBe(0);

    const again = await fleetRun([
      "apply",
      out,
      "-i",
      inventory,
      "--limit",
      "snapshots,this",
      "--vault-password-file",
      vaultPass,
    ]);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    for (const h of ["snap-seed", "snap-amd", "this"]) {
      expect(again.byName.get(h)!.status).toBe("ok");
      expect(again.byName.get(h)!.apply).toMatchObject({ applied: 0 });
    }
    expect(again.byName.get("gone")!.status).toBe("skipped");
  }, 1_500_000);

  it("fleet verify and status: one line per host and a summary; drift under a root is named", async () => {
    const out = join(dir, "out");
    const v = await lab.cli([
      "fleet",
      "verify",
      out,
      "-i",
      inventory,
      "--limit",
      "snapshots,this",
      "--vault-password-file",
      vaultPass,
    ]);
    expect(v.code, v.stdout + v.stderr.slice(-2000)).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`this: ok, VNFs ${lab.names.vnf} \\(running\\); verified`));
    expect(v.stdout).toMatch(/4 hosts: 3 ok, 0 changed, 0 failed, 0 unreachable, 1 skipped; 0 with drift/);
    expect(v.stdout).toMatch(/snap-seed: ok/);
    const s = await lab.cli(["fleet", "status", out, "-i", inventory, "--vault-password-file", vaultPass]);
    expect(s.stdout).toMatch(/gone: unreachable/);
    expect(s.code).toBe(1);

    // Someone drops the seed's VFs: verify on that root fails and names the check; the others pass.
    await writeFile(join(roots.seed, SEED_PF), "0\n");
    const drift = await fleetRun([
      "verify",
      out,
      "-i",
      inventory,
      "--limit",
      "snapshots",
      "--vault-password-file",
      vaultPass,
    ]);
    expect(drift.code).toBe(1);
    expect(drift.byName.get("snap-amd")!.verify?.ok).toBe(true);
    const seed = drift.byName.get("snap-seed")!;
    expect(seed.verify?.ok, JSON.stringify(seed)).toBe(false);
    expect(seed.drift.join("\n")).toMatch(/VFs of eno1/);
    await writeFile(join(roots.seed, SEED_PF), "2\n");
  }, 900_000);
});
