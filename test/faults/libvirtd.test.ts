/**
 * Issue 5, "Done when", faults: libvirtd really stopped. A libvirtd of this suite's own, in a
 * private mount namespace (./support/libvirtd.ts), is stopped (by its pid) while `nfvhost apply` runs: before the apply starts (it must refuse with a message
 * naming libvirt and the fix, and change nothing: hugepages, files, journal, lock), and in the
 * middle of an apply, between `virsh define` and `virsh start` of the VNF (SIGKILL there: a crash
 * that leaves its socket file behind). Each time the daemon is started again with
 * and the next apply converges, nothing lost. And libvirtd crashing under a running VNF: the guest
 * runs on, and after the restart apply has nothing to do. Issue 12: the machine's own libvirtd is
 * never signalled; the last test proves its pid and start time unchanged.
 *
 * Runs from `vitest run -c vitest.faults.config.ts`. Resources are named nfvt-faults-* and removed
 * in afterAll; the private daemon is always started again, also on failure, then ended.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir, readlink, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serialLogPath } from "../../src/desired/desired.js";
import { applyTopology } from "../../src/apply/index.js";
import { destroyVnfs } from "../../src/apply/operate.js";
import { Journal } from "../../src/state/journal.js";
import { hostLockPath, readLockInfo } from "../../src/state/lock.js";
import { run } from "../../src/util/exec.js";
import { verifyTopology } from "../../src/verify/index.js";
import { virsh as virshRaw, waitForGuest } from "../support/guest.js";
import { createLab } from "../support/lab.js";
import { machineRecordPath } from "../support/machine-libvirtd.js";
import { PrivateLibvirtd, systemLibvirtd, type SystemLibvirtd } from "./support/libvirtd.js";

const daemon = new PrivateLibvirtd();
// Takes the apply suite's lock: never a guest on CPU 1 at the same time as test/apply.test.ts.
const lab = createLab({
  prefix: "faults",
  letter: "f",
  suite: "test/faults/libvirtd.test.ts",
  libvirt: { uri: daemon.uri },
});
const { sfx, vnf: VNF, mac: MAC } = lab.names;
const { env, uri: URI, virsh } = lab;

let dir: string;
let state: string;
let image: string;
let machineDaemon: SystemLibvirtd | null;

const topologyFile = () => lab.writeTopology();
const opts = (file: string) => lab.applyOptions(file);
const cli = (args: string[]) => lab.cli(args);
const domState = (name: string) => lab.domState(name);

async function sha(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Every file under dir with its mode and content digest: a before/after picture of the state. */
async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${p}/`] = "dir";
        await walk(p);
      } else out[p] = `${(await stat(p)).mode.toString(8)} ${await sha(p)}`;
    }
  };
  await walk(root);
  return out;
}

/** Every hugepage reservation of the host, globally and per NUMA node. */
async function hugepages(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const sizes = "/sys/kernel/mm/hugepages";
  for (const s of await readdir(sizes)) {
    out[`${sizes}/${s}`] = (await readFile(join(sizes, s, "nr_hugepages"), "utf8")).trim();
  }
  const nodes = "/sys/devices/system/node";
  for (const n of (await readdir(nodes)).filter((x) => /^node\d+$/.test(x))) {
    for (const s of await readdir(join(nodes, n, "hugepages"))) {
      const p = join(nodes, n, "hugepages", s, "nr_hugepages");
      out[p] = (await readFile(p, "utf8")).trim();
    }
  }
  return out;
}

async function hostPicture() {
  return {
    hugepages: await hugepages(),
    files: await tree(dir),
    journal: await new Journal(state).list(),
    lock: await readLockInfo(hostLockPath(URI)),
  };
}

async function convergesAndBoots(file: string): Promise<void> {
  expect(await domState(VNF)).toBe("running");
  const { report } = await waitForGuest(VNF, serialLogPath(state, VNF), {
    timeoutMs: 240_000,
    untilShutOff: false,
    uri: URI,
  });
  expect(report.nics.map((n) => n.mac)).toEqual([MAC]);
  expect(report.day0?.["iosxe_config.txt"]).toContain(`hostname nfvt-${sfx}`);
  const v = await verifyTopology({ topologyFile: file, connect: URI, stateDir: state, root: "/", env });
  expect(v.checks.filter((c) => c.status === "fail")).toEqual([]);
  const again = await applyTopology(opts(file));
  expect(again.changes).toEqual([]);
  expect(again.converged).toBe(true);
}

beforeAll(async () => {
  machineDaemon = await systemLibvirtd();
  await lab.setUp(() => daemon.open());
  ({ dir, state, image } = lab);
}, 1_800_000);

afterAll(async () => {
  // Whatever happened above: the private daemon runs again before the lab is cleaned up.
  try {
    if (daemon.holderPid !== null && daemon.pid === null) await daemon.start();
    await lab.tearDown();
  } finally {
    await daemon.close();
  }
});

describe("libvirtd really stopped", () => {
  it("apply refuses with a message naming libvirt and the fix, changes nothing, leaves no lock; after a restart it converges", async () => {
    const file = await topologyFile();
    const before = await hostPicture();
    expect(before.journal).toEqual([]);
    expect(await domState(VNF)).toBe("absent");

    const down = await daemon.whileStopped(async (pid) => {
      expect(daemon.pid).toBeNull();
      expect((await virshRaw(["version"], 60_000, URI)).code).not.toBe(0);
      const apply = await cli(["apply", file, "--state", state, "--connect", URI]);
      const status = await cli(["status", "--connect", URI]);
      const verify = await cli(["verify", file, "--state", state, "--connect", URI]);
      const after = await hostPicture();
      return { pid, apply, status, verify, after };
    });
    expect(daemon.pid).not.toBeNull();
    expect(daemon.pid).not.toBe(down.pid);

    expect(down.apply.code, down.apply.stderr).toBe(1);
    const msg = down.apply.stderr;
    expect(msg).toContain(`libvirtd is not running or not reachable at ${URI}`);
    expect(msg).toMatch(/Failed to connect socket/);
    expect(msg).toContain("fix: start libvirtd (systemctl start libvirtd, or `libvirtd -d` without systemd)");
    expect(msg).not.toMatch(/\n\s+at /); // no stack trace
    expect(down.status.code).toBe(1);
    expect(down.status.stderr).toContain("libvirtd is not running or not reachable");
    expect(down.verify.code).toBe(1);
    expect(down.verify.stderr).toContain("libvirtd is not running or not reachable");
    expect(down.after).toEqual(before);
    expect(await domState(VNF)).toBe("absent");

    const r = await applyTopology(opts(file));
    expect(r.changes.map((c) => c.kind)).toContain("domain");
    expect(r.staleLock).toBeNull();
    await convergesAndBoots(file);
  }, 900_000);

  it("libvirtd stopped between define and start: a clear failure, no lock left, the definition kept; after a restart apply finishes, nothing lost", async () => {
    const file = await topologyFile();
    await destroyVnfs(virsh, [VNF], { all: false, yes: true, adopt: false, stateDir: state });
    expect(await domState(VNF)).toBe("absent");
    const imageSha = await sha(image);
    const isos = (await readdir(join(state, "day0"))).filter((f) => f.endsWith(".iso"));
    expect(isos).toHaveLength(1);
    const isoSha = await sha(join(state, "day0", isos[0]!));
    const journalBefore = (await new Journal(state).list()).length;

    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/faults/support/pause-after-define.ts", file, state, VNF, URI],
      { env, stdio: ["pipe", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => {
          if (out.includes(`DEFINED ${VNF}`)) {
            clearInterval(t);
            resolve();
          }
        }, 50);
        void exited.then(() => {
          clearInterval(t);
          reject(new Error(`apply ended before its define: ${out}\n${err}`));
        });
      });
      // SIGKILL: a daemon that crashes, not one stopped politely; its socket file stays behind.
      const code = await daemon.whileStopped(async () => {
        expect(existsSync(daemon.socket)).toBe(true);
        child.stdin.end("go\n");
        return exited;
      }, "SIGKILL");
      expect(code, `${out}\n${err}`).toBe(1);
    } finally {
      child.kill("SIGKILL");
    }
    expect(out).not.toContain("DONE");
    // The command is quoted for a shell: the URI carries a `?`.
    expect(err).toContain(`domain ${VNF}: \`virsh --connect '${URI}' start ${VNF}\` failed`);
    expect(err).toContain(`libvirtd is not running or not reachable at ${URI}`);
    expect(err).toContain("Connection refused");
    expect(err).toContain("fix: start libvirtd");
    expect(err).toContain(`could not restore ${VNF}`);
    expect(err).toContain("apply again");
    expect(await readLockInfo(hostLockPath(URI))).toBeNull();
    const journal = await new Journal(state).list();
    expect(journal).toHaveLength(journalBefore + 1);
    const last = journal.at(-1)!;
    expect(last.status).toBe("failed");
    expect(last.items).toEqual([
      expect.objectContaining({ kind: "domain", name: VNF, beforeXml: null, done: false }),
    ]);

    // libvirtd is back: the definition made before it stopped is there, the disk and ISO untouched.
    expect(await domState(VNF)).toBe("shut off");
    expect(await sha(image)).toBe(imageSha);
    expect(await sha(join(state, "day0", isos[0]!))).toBe(isoSha);

    const r = await applyTopology(opts(file));
    expect(r.changes.map((c) => c.summary)).toEqual([`domain ${VNF}: start, autostart on`]);
    await convergesAndBoots(file);
  }, 900_000);

  it("libvirtd crashing under a running VNF loses nothing: the guest keeps running, and after the restart apply has nothing to do", async () => {
    const file = await topologyFile();
    expect(await domState(VNF)).toBe("running");
    const pid = await virsh.qemuPid(VNF);
    expect(pid).not.toBeNull();
    const uuid = (await virshRaw(["domuuid", VNF], 60_000, URI)).stdout.trim();
    const serialBefore = await readFile(serialLogPath(state, VNF), "utf8");

    const down = await daemon.whileStopped(async () => {
      const apply = await cli(["apply", file, "--state", state, "--connect", URI]);
      // The VM does not depend on the daemon: its qemu process runs on.
      const alive = existsSync(`/proc/${pid}`);
      return { apply, alive };
    }, "SIGKILL");
    expect(down.alive).toBe(true);
    expect(down.apply.code).toBe(1);
    expect(down.apply.stderr).toContain("libvirtd is not running or not reachable");

    expect(await domState(VNF)).toBe("running");
    expect(await virsh.qemuPid(VNF)).toBe(pid);
    expect((await virshRaw(["domuuid", VNF], 60_000, URI)).stdout.trim()).toBe(uuid);
    // The guest was not rebooted: its serial log only grew.
    expect((await readFile(serialLogPath(state, VNF), "utf8")).startsWith(serialBefore)).toBe(true);
    const r = await applyTopology(opts(file));
    expect(r.changes).toEqual([]);
    expect(r.converged).toBe(true);
    const v = await verifyTopology({ topologyFile: file, connect: URI, stateDir: state, root: "/", env });
    expect(v.checks.filter((c) => c.status === "fail")).toEqual([]);
  }, 600_000);

  it("scripts/start-test-daemons.sh trusts the socket: a libvirtd whose socket is gone is named, not signalled, not doubled", async () => {
    const script = join(process.cwd(), "scripts/start-test-daemons.sh");
    const inNs = (args: string[]) =>
      run("nsenter", ["-t", String(daemon.holderPid), "-m", "--", ...args], { timeoutMs: 60_000 });
    // Answering: nothing to do.
    const ok = await inNs(["bash", script]);
    expect(ok.code, ok.stderr).toBe(0);
    const pid = daemon.pid!;
    await rm(daemon.socket);
    try {
      const r = await inNs(["bash", script]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `libvirtd (pid ${pid}) runs but does not answer on /run/libvirt/libvirt-sock`,
      );
      expect(r.stderr).toContain(`not signalled: stop it yourself (kill ${pid})`);
      expect(daemon.pid).toBe(pid);
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      const libvirtds = (await inNs(["pgrep", "-x", "libvirtd"])).stdout.split("\n").filter(Boolean);
      const mine = await Promise.all(
        libvirtds.map(
          async (p) =>
            (await readlink(`/proc/${p}/ns/mnt`).catch(() => "")) === (await readlink(`/proc/${pid}/ns/mnt`)),
        ),
      );
      expect(mine.filter(Boolean)).toHaveLength(1);
    } finally {
      await daemon.stop("SIGTERM");
      await daemon.start();
    }
  });

  it("the machine's own libvirtd was never signalled: same pid, same start time, still answering", async () => {
    // The private daemon was stopped three times above; the machine's must not have noticed.
    expect(
      machineDaemon,
      "no libvirtd runs on this machine: run scripts/start-test-daemons.sh",
    ).not.toBeNull();
    expect(machineDaemon!.pid).not.toBe(daemon.pid);
    expect(await systemLibvirtd()).toEqual(machineDaemon);
    expect(machineDaemon!.answers).toBe(true);
    // Under `npm test`, the main run recorded the daemon before its first test: the same one.
    const record = await machineRecordPath(process.ppid);
    const before = record === null ? null : await readFile(record, "utf8").catch(() => null);
    if (before !== null) {
      expect(JSON.parse(before)).toEqual(machineDaemon);
      await rm(record!, { force: true });
    }
  });
});
