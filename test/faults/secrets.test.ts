/**
 * Issue 12, "Done when": no file with a secret is ever readable by another user, at any instant
 * and after any kill; stale work dirs are removed by the next run. A poller running as `nobody`
 * (setpriv) reads every file it can under the state directory, the lab directory and
 * /tmp/nfvhost* in a tight loop while 20 applies each rebuild the day-0 ISO with a new admin
 * password from the environment (each ISO holds `secret 9 $9$...`). Then an apply is SIGKILLed
 * while its day-0 work directory exists: nothing left behind is readable, and the next apply
 * removes the dead run's work directory.
 *
 * Real libvirt: this suite's own libvirtd in a private mount namespace (./support/libvirtd.ts).
 */
import { spawn } from "node:child_process";
import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology } from "../../src/apply/index.js";
import { run } from "../../src/util/exec.js";
import { createLab } from "../support/lab.js";
import { PrivateLibvirtd } from "./support/libvirtd.js";
import { startPoller } from "./support/poller.js";

const daemon = new PrivateLibvirtd();
const lab = createLab({
  prefix: "fsec",
  letter: "s",
  suite: "test/faults/secrets.test.ts",
  libvirt: { uri: daemon.uri },
});
const { sfx, vnf: VNF } = lab.names;
const password = (i: number) => `nfvt-${sfx}-Pw-${i}`;
const PASSWORDS = Array.from({ length: 23 }, (_, i) => password(i));
// The clear passwords never land anywhere; the type 9 hash of them is in every day-0 config.
const MARKERS = [...PASSWORDS, "secret 9 $9$"];

let file: string;
let canary: string;

beforeAll(async () => {
  await lab.setUp(() => daemon.open());
  file = await lab.writeTopology();
  // The poller's control: a secret-looking file left world-readable must be found.
  canary = join(lab.dir, "canary-open.txt");
  await writeFile(canary, "username admin secret 9 $9$canary\n", { mode: 0o644 });
}, 1_800_000);

afterAll(async () => {
  try {
    await lab.tearDown();
  } finally {
    await daemon.close();
  }
});

const applyWith = (i: number) =>
  applyTopology(lab.applyOptions(file, { env: { ...lab.env, [lab.passwordEnv]: password(i) }, yes: [VNF] }));

describe("secrets under a poller running as nobody", () => {
  it("20 applies, each with a new day-0 password: the poller reads nothing secret, ever", async () => {
    const poller = startPoller([lab.dir], MARKERS);
    let isoBuilds = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const r = await applyWith(i);
        if (r.changes.some((c) => c.kind === "iso")) isoBuilds++;
      }
    } finally {
      const report = await poller.stop();
      expect(report.uid).toBe(65534);
      expect(report.passes).toBeGreaterThan(20);
      // The control: the open canary was read, and it is the only secret the poller saw.
      expect(report.hits).toEqual({ [canary]: "secret 9 $9$" });
      console.log(
        `poller as nobody: ${report.passes} passes, ${report.reads} files read, ${isoBuilds} ISO builds`,
      );
    }
    expect(isoBuilds).toBe(20);
    const isos = (await readdir(join(lab.state, "day0"))).filter((f) => f.endsWith(".iso"));
    expect(isos).toHaveLength(1);
    expect((await stat(join(lab.state, "day0", isos[0]!))).mode & 0o077).toBe(0);
  }, 900_000);

  it("an apply killed while its day-0 work dir exists leaves nothing readable; the next apply removes that dir", async () => {
    const day0 = join(lab.state, "day0");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/fixtures/apply/cli.ts", "apply", file, "--state", lab.state, "--yes", VNF],
      { env: { ...lab.env, [lab.passwordEnv]: password(21) }, stdio: "ignore" },
    );
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    let work: string | null = null;
    const deadline = Date.now() + 120_000;
    while (work === null && Date.now() < deadline && child.exitCode === null) {
      work = (await readdir(day0)).find((n) => n.startsWith(`.nfvhost-day0-${child.pid}-`)) ?? null;
      if (work === null) await new Promise((r) => setTimeout(r, 2));
    }
    child.kill("SIGKILL");
    await exited;
    expect(work, "the apply ended before its day-0 work dir was seen").not.toBeNull();
    const left = (await readdir(day0)).filter((n) => n.startsWith(".nfvhost-"));
    expect(left).toContain(work);
    for (const n of left) expect((await stat(join(day0, n))).mode & 0o777).toBe(0o700);

    // One pass as nobody over everything the killed run left: nothing secret is readable.
    const report = await startPoller([lab.dir], MARKERS).stop();
    expect(report.hits).toEqual({ [canary]: "secret 9 $9$" });
    const ls = await run("setpriv", [
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "--",
      "ls",
      join(day0, work!),
    ]);
    expect(ls.code).not.toBe(0);

    const r = await applyWith(22);
    expect(r.changes.some((c) => c.kind === "iso")).toBe(true);
    expect((await readdir(day0)).filter((n) => n.startsWith(".nfvhost-"))).toEqual([]);
  }, 600_000);
});
