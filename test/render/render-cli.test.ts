/**
 * `nfvhost render` end to end on the seed: writes the tree and its marker, replaces its own earlier
 * render, refuses a foreign non-empty directory (unless --force), and writes nothing when a secret
 * is missing or the topology does not fit.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { REPO, SEED_PASSWORD, SEED_ROOT, SEED_TOPOLOGY } from "./seed.js";

let base: string;
let out: string[] = [];
let err: string[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "nfvhost-render-cli-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

async function render(...args: string[]): Promise<number> {
  out = [];
  err = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  const code = await main(["node", "nfvhost", "render", ...args]);
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return code;
}

describe("nfvhost render", () => {
  it("renders the seed into a new directory and prints the file table", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", SEED_PASSWORD);
    const dir = join(base, "seed");
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir)).toBe(0);
    const text = out.join("");
    expect(text).toMatch(/^plan seed-csr1kv: 1 VNF/);
    expect(text).toContain("day0/csr1kv-1/csr1kv-1-day0.iso");
    expect(text).toContain("network-manager/system-connections/eno2.nmconnection");
    expect(text).not.toContain(SEED_PASSWORD);
    expect(existsSync(join(dir, "apply.sh"))).toBe(true);
    expect((await stat(join(dir, "day0/csr1kv-1/csr1kv-1-day0.iso"))).mode & 0o777).toBe(0o600);
    const marker = JSON.parse(await readFile(join(dir, ".nfvhost-render.json"), "utf8")) as {
      topology: string;
    };
    expect(marker.topology).toBe("seed-csr1kv");
    // Its own earlier render is replaced without --force...
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir)).toBe(0);
    // ...but not a file its marker does not list: that one is someone's.
    await writeFile(join(dir, "stray.txt"), "x");
    out.length = 0;
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir)).toBe(2);
    expect(err.join("")).toContain("it also holds stray.txt");
    expect(existsSync(join(dir, "stray.txt"))).toBe(true);
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir, "--json", "--force")).toBe(0);
    expect(existsSync(join(dir, "stray.txt"))).toBe(false);
    const listed = JSON.parse(out.join("")) as { path: string; mode: string }[];
    expect(listed.find((f) => f.path === "apply.sh")?.mode).toBe("0755");
  });

  it("refuses a non-empty directory it did not create, and leaves it alone", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", SEED_PASSWORD);
    const dir = join(base, "mine");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "keep me");
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir)).toBe(2);
    expect(err.join("")).toMatch(/--out.*--force/s);
    expect(await readdir(dir)).toEqual(["notes.txt"]);
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir, "--force")).toBe(0);
    expect(existsSync(join(dir, "apply.sh"))).toBe(true);
  });

  it("refuses a stray marker in a directory with other files, system directories and file parents, without exit 70", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", SEED_PASSWORD);
    const dir = join(base, "stray-marker");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "keep me");
    await writeFile(join(dir, ".nfvhost-render.json"), "{}");
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir)).toBe(2);
    expect(await readFile(join(dir, "notes.txt"), "utf8")).toBe("keep me");
    await writeFile(join(base, "a-file"), "x");
    for (const bad of [
      "/",
      "/etc",
      "/var/lib/libvirt",
      "/proc/x",
      "/sys/x",
      homedir(),
      join(base, "a-file", "x"),
    ]) {
      err.length = 0;
      expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", bad, "--force"), bad).toBe(2);
      expect(err.join(""), bad).toMatch(/--out.*fix: /s);
      expect(err.join("")).not.toContain("internal error");
    }
  });

  it("removes the staging directory a killed render left, on its next run there", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", SEED_PASSWORD);
    const parent = join(base, "killed");
    const dead = spawnSync("true").pid!;
    const left = join(parent, `.nfvhost-render-${dead}-abc123`);
    await mkdir(join(left, "day0"), { recursive: true, mode: 0o700 });
    await writeFile(join(left, "day0", "iosxe_config.txt"), "secret 9 x", { mode: 0o600 });
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", join(parent, "out"))).toBe(0);
    expect(await readdir(parent)).toEqual(["out"]);
  });

  it("names the missing secret variable and writes nothing", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", "");
    const dir = join(base, "nosecret");
    expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir)).toBe(2);
    expect(err.join("")).toContain("environment variable CSR_ADMIN_PASSWORD");
    expect(existsSync(dir)).toBe(false);
    expect((await readdir(base)).filter((n) => n.includes("render-"))).toEqual([]);
  });

  it("writes nothing when the topology does not fit the host", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", SEED_PASSWORD);
    const topo = join(base, "node1.yaml");
    // The seed's VNF forced onto node 1, away from its PF eno2 on node 0.
    await writeFile(
      topo,
      (await readFile(SEED_TOPOLOGY, "utf8")).replace("    vcpus: 8\n", "    vcpus: 8\n    node: 1\n"),
    );
    const dir = join(base, "nofit");
    expect(await render(topo, "--root", SEED_ROOT, "--out", dir)).toBe(1);
    expect(err.join("")).toMatch(/node1\.yaml:\d+: cannot fit: csr1kv-1.*nothing was written/s);
    expect(err.join("")).toContain("1 of 1 VNF does not fit this host (");
    expect(existsSync(dir)).toBe(false);
  });

  it("says the same as plan, collapsed, or as JSON, when many VNFs do not fit", async () => {
    const many = join(REPO, "test/fixtures/plan/many-misfits.yaml");
    const dir = join(base, "many");
    expect(await render(many, "--root", SEED_ROOT, "--out", dir)).toBe(1);
    const text = err.join("");
    expect(text).toContain("cannot fit: 36 of 40 VNFs do not fit this host");
    expect(text).toContain("... and 33 more VNFs with the same cpu problem as r6");
    expect(text).toContain("36 of 40 VNFs do not fit this host (72 problems); nothing was written.");
    expect(await render(many, "--root", SEED_ROOT, "--out", dir, "--json")).toBe(1);
    const json = JSON.parse(out.join("")) as {
      ok: boolean;
      problems: { resource: string; location: string }[];
    };
    expect(json.ok).toBe(false);
    expect(json.problems).toHaveLength(73);
    expect(json.problems[0]).toMatchObject({ resource: "capacity", location: `${many}:8` });
    expect(existsSync(dir)).toBe(false);
  });

  it("gives the same day-0 bytes for the same salt seed, different ones without", async () => {
    vi.stubEnv("CSR_ADMIN_PASSWORD", SEED_PASSWORD);
    const cfg = async (name: string, ...extra: string[]) => {
      const dir = join(base, name);
      expect(await render(SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", dir, ...extra)).toBe(0);
      return readFile(join(dir, "day0/csr1kv-1/ciscosdwan_cloud_init.cfg"), "utf8");
    };
    expect(await cfg("s1", "--salt-seed", "abc")).toBe(await cfg("s2", "--salt-seed", "abc"));
    vi.stubEnv("NFVHOST_SECRET_SALT_SEED", "");
    expect(await cfg("r1")).not.toBe(await cfg("r2"));
  });
});
