/**
 * Issue 12, "Done when" (secrets), for `nfvhost render`: no file with a secret is ever readable by
 * another user, at any instant and after any kill; stale work dirs are removed by the next run.
 * Render writes type 9 secrets, the SD-WAN one-time token, a root CA and the licensing token into a
 * staging directory next to --out and builds the day-0 ISOs there. A poller running as `nobody`
 * (./support/poller.py) reads every file it can under this suite's 0755 directory and /tmp/nfvhost*
 * during 20 renders (a fresh --out, and --force over an existing one, secrets from the environment);
 * then renders are SIGKILLed at spread, jittered delays after their staging directory appears, and
 * as soon as they are seen at each stage of their work (files, ISO, complete): what they leave is not readable by nobody, and the next render there removes every dead run's staging.
 *
 * No libvirt: render reads the seed's snapshot root. In the fault suite (vitest.faults.config.ts)
 * because it SIGKILLs processes and polls as another user.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/util/exec.js";
import { startPoller } from "./support/poller.js";

const REPO = new URL("../..", import.meta.url).pathname;
const SEED_ROOT = join(REPO, "examples/hosts/seed-c240m5");
// Autonomous C8000v (type 9 admin and enable secrets, licensing token) and three routers with an
// SD-WAN edge (OTP, root CA): every kind of day-0 secret render writes, and their ISOs.
const TOPOLOGIES = [
  join(REPO, "examples/topologies/c8000v-autonomous.yaml"),
  join(REPO, "examples/topologies/multi-vnf-sriov.yaml"),
];
const RENDERS = 20;
const KILLS = 10;
const sfx = randomBytes(3).toString("hex");

/** Secrets of run i: passwords (only their type 9 hash is written), the OTP and token (in clear). */
const secrets = (i: number) => ({
  CSR_ADMIN_PASSWORD: `nfvt-${sfx}-Csr-${i}`,
  C8KV_ADMIN_PASSWORD: `nfvt-${sfx}-C8k-${i}`,
  C8KV_ENABLE_SECRET: `nfvt-${sfx}-Ena-${i}`,
  C8KV_EDGE_OTP: `nfvt${sfx}Otp${i}`,
  C8KV_SL_TOKEN: `nfvt-${sfx}-SlToken-${i}`,
  SDWAN_ROOT_CA: `-----BEGIN CERTIFICATE-----\nMIIBnfvt${sfx}\n-----END CERTIFICATE-----`,
});
const MARKERS = [
  ...Array.from({ length: RENDERS + KILLS + 1 }, (_, i) => Object.values(secrets(i))).flat(),
  "secret 9 $9$",
];

let dir: string;
let canary: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-render-secrets-"));
  // Open to everyone like a working directory (mkdtemp made it 0700): nobody may look everywhere.
  await chmod(dir, 0o755);
  // The poller's control: a secret-looking file left world-readable must be found.
  canary = join(dir, "canary-open.txt");
  await writeFile(canary, "username admin secret 9 $9$canary\n", { mode: 0o644 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `nfvhost render` in its own process (so it can be killed), secrets of run i in its environment. */
function spawnRender(i: number, out: string, force: boolean) {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "test/fixtures/apply/cli.ts",
      "render",
      TOPOLOGIES[i % TOPOLOGIES.length]!,
      "--root",
      SEED_ROOT,
      "--out",
      out,
      "--json",
      ...(force ? ["--force"] : []),
    ],
    { cwd: REPO, env: { ...process.env, ...secrets(i) }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; err: string }>((r) =>
    child.once("close", (code) => r({ code, err })),
  );
  return { child, exited };
}

/** Every file under root (read as root): its path, mode and whether it holds a secret marker. */
async function filesUnder(root: string): Promise<{ path: string; mode: number; secret: boolean }[]> {
  const out: { path: string; mode: number; secret: boolean }[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    const text = readFileSync(p).toString("latin1");
    out.push({ path: p, mode: (await stat(p)).mode & 0o777, secret: MARKERS.some((m) => text.includes(m)) });
  }
  return out;
}

const stagingIn = async (parent: string, pid?: number) =>
  (await readdir(parent)).filter((n) => n.startsWith(`.nfvhost-render-${pid ?? ""}`));

/** What a render's staging directory holds, in the order render writes it. */
const STAGES = [
  "staging made, nothing written",
  "day-0 files written",
  "ISO being built",
  "complete, before the rename",
] as const;
type Stage = (typeof STAGES)[number];
/** Where the stage-triggered kills aim ("complete" lasts too short to be seen by a poll). */
const TARGETS: readonly Stage[] = [
  "staging made, nothing written",
  "day-0 files written",
  "ISO being built",
  "day-0 files written",
  "ISO being built",
];

/** The stage of render `pid`'s staging directory in parent (undefined: none there now). */
async function stageOf(parent: string, pid: number | undefined): Promise<Stage | undefined> {
  const left = await stagingIn(parent, pid);
  if (left.length !== 1) return undefined;
  let files: string[];
  try {
    files = (await readdir(join(parent, left[0]!), { recursive: true })).map(String);
  } catch {
    return undefined; // renamed into place between the two reads
  }
  if (files.includes(".nfvhost-render.json")) return "complete, before the rename";
  if (files.some((f) => f.includes(".nfvhost-iso-"))) return "ISO being built";
  if (files.some((f) => f.endsWith(".txt") || f.endsWith(".cfg"))) return "day-0 files written";
  return "staging made, nothing written";
}

describe("render's secrets under a poller running as nobody", () => {
  it("20 renders (fresh --out, and --force over an existing one): the poller reads nothing secret; the output keeps secrets private", async () => {
    const parent = join(dir, "render");
    await mkdir(parent, { mode: 0o755 });
    const poller = startPoller([dir], MARKERS);
    let secretFiles = 0;
    try {
      for (let i = 0; i < RENDERS; i++) {
        // Even runs: a new directory each; odd runs: the same one, replaced with --force.
        const out = join(parent, i % 2 === 0 ? `fresh-${i}` : "again");
        const r = await spawnRender(i, out, i % 2 === 1).exited;
        expect(r.code, r.err).toBe(0);
        // What the operator asked for: secrets only in 0600 files, in a 0700 directory of its own.
        const st = await stat(out);
        expect(st.mode & 0o777).toBe(0o700);
        expect(st.uid).toBe(process.getuid!());
        const secret = (await filesUnder(out)).filter((f) => f.secret);
        expect(secret.length, `no day-0 secret reached ${out}`).toBeGreaterThan(0);
        for (const f of secret) expect(f.mode & 0o077, `${f.path} is readable by others`).toBe(0);
        secretFiles += secret.length;
        expect(await stagingIn(parent)).toEqual([]);
      }
    } finally {
      const report = await poller.stop();
      expect(report.uid).toBe(65534);
      // The control: the open canary was read, and it is the only secret the poller saw.
      expect(report.hits).toEqual({ [canary]: "secret 9 $9$" });
      console.log(
        `render under a poller as nobody: ${RENDERS} renders, ${secretFiles} files with secrets written (all 0600 in 0700 dirs); poller: ${report.passes} passes, ${report.reads} files read`,
      );
    }
  }, 900_000);

  it("renders SIGKILLed at spread delays leave nothing readable by nobody; the next render there removes their staging", async () => {
    // One parent per kill: a render removes the dead runs' staging dirs in its parent when it
    // starts, so in a shared parent only the last kill's leftovers would be left to check.
    const parents = Array.from({ length: KILLS }, (_, k) => join(dir, "killed", `k${k}`));
    /** Starts render i into parent/out; resolves once its staging directory exists (false: never). */
    const startIn = async (i: number, parent: string) => {
      await mkdir(parent, { recursive: true, mode: 0o755 });
      const r = spawnRender(i, join(parent, "out"), false);
      let seen = false;
      const deadline = Date.now() + 120_000;
      while (!seen && Date.now() < deadline && r.child.exitCode === null) {
        seen = (await stagingIn(parent, r.child.pid)).length > 0;
        if (!seen) await new Promise((res) => setTimeout(res, 1));
      }
      return { ...r, seen };
    };
    // How long a render spends in its staging directory on this machine now (load changes it).
    const measure = join(dir, "killed", "measure");
    const timed = await startIn(RENDERS, measure);
    const t0 = Date.now();
    while ((await stagingIn(measure, timed.child.pid)).length > 0) await new Promise((r) => setTimeout(r, 1));
    const window = Date.now() - t0;
    expect((await timed.exited).code).toBe(0);
    const stages: string[] = [];
    for (const [k, parent] of parents.entries()) {
      const { child, exited, seen } = await startIn(RENDERS + k, parent);
      // Even kills: at a delay spread over that window, jittered (from right after the mkdtemp to
      // around the rename). Odd kills: as soon as the render is seen at a given stage, so the
      // kills hit renders at work even when one slow measurement made the window too wide.
      let when: string;
      if (k % 2 === 0) {
        const delay = Math.round(((k + Math.random()) * window) / KILLS);
        await new Promise((r) => setTimeout(r, delay));
        when = `+${delay} ms`;
      } else {
        const target = TARGETS[(k >> 1) % TARGETS.length]!;
        let at: Stage | undefined;
        while (child.exitCode === null) {
          at = await stageOf(parent, child.pid);
          if (at && STAGES.indexOf(at) >= STAGES.indexOf(target)) break;
          await new Promise((r) => setTimeout(r, 1));
        }
        when = `seen at '${at ?? "nothing"}' (target '${target}')`;
      }
      child.kill("SIGKILL");
      await exited;
      const stage = (await stageOf(parent, child.pid)) ?? "nothing left (renamed into place)";
      stages.push(`${seen ? when : "before its staging dir"}: ${stage}`);
    }
    console.log(
      `render kills (a render spends ${window} ms in its staging dir here; delay after it appeared: what the kill left)\n  ${stages.join("\n  ")}`,
    );

    const leftIn = new Map<string, string[]>();
    for (const parent of parents) {
      const left = await stagingIn(parent);
      if (left.length > 0) leftIn.set(parent, left);
    }
    const left = [...leftIn].flatMap(([parent, names]) => names.map((n) => join(parent, n)));
    // The kills must have hit renders at work, or this proves nothing.
    expect(left.length, stages.join("; ")).toBeGreaterThanOrEqual(3);
    let secretsLeft = 0;
    for (const d of left) {
      const st = await stat(d);
      expect(st.mode & 0o777).toBe(0o700);
      expect(st.uid).toBe(process.getuid!());
      secretsLeft += (await filesUnder(d)).filter((f) => f.secret).length;
      const ls = await run("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "ls", d]);
      expect(ls.code).not.toBe(0);
    }
    // The control: what the kills left does hold secrets (read as root), and nobody read none.
    expect(secretsLeft).toBeGreaterThan(0);
    const report = await startPoller([dir], MARKERS).stop();
    expect(report.hits).toEqual({ [canary]: "secret 9 $9$" });

    // The next render in each of those places removes the dead run's staging directory.
    for (const parent of leftIn.keys()) {
      const r = await spawnRender(RENDERS + KILLS, join(parent, "next"), false).exited;
      expect(r.code, r.err).toBe(0);
      expect(await stagingIn(parent)).toEqual([]);
    }
    console.log(
      `render kills: ${left.length} of ${KILLS} left a staging dir (${secretsLeft} files with secrets, none readable by nobody); the next render there removed each`,
    );
  }, 900_000);
});
