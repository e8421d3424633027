/**
 * Issue 5, "Done when": apply, verify and operate against the real libvirtd + QEMU of this
 * machine. One lab VNF (TCG, 1 vCPU on CPU 1, emulator on CPU 0, 2 MiB hugepages, a macvtap NIC
 * on a veth pair made here, a day-0 ISO) boots the test guest, which prints what it sees.
 * Faults: a start that fails midway, a SIGKILLed apply, an unreachable libvirtd (really stopped
 * in test/faults/libvirtd.test.ts); drift: a
 * re-pinned vCPU, a changed memory size. Every resource has a unique nfvt-apply- name and is
 * removed in afterAll, also on failure.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeChanges, type Desired } from "../src/apply/changes.js";
import { executeChange } from "../src/apply/execute.js";
import { applyTopology, readLive, type ApplyOptions } from "../src/apply/index.js";
import { renderNetworkXml } from "../src/render/libvirt/index.js";
import { serialLogPath } from "../src/desired/desired.js";
import { readStatus } from "../src/apply/status.js";
import { destroyVnfs, rollbackLast } from "../src/apply/operate.js";
import { markNetworkXml, networkOwner } from "../src/libvirt/network-owner.js";
import { Journal } from "../src/state/journal.js";
import { hostLockPath, readLockInfo } from "../src/state/lock.js";
import { NfvError } from "../src/util/errors.js";
import { run, runChecked } from "../src/util/exec.js";
import { verifyTopology, type VerifyReport } from "../src/verify/index.js";
import { readLastVerify } from "../src/verify/last.js";
import { removeDomain, virsh as virshRaw, waitForGuest } from "./support/guest.js";
import { createLab } from "./support/lab.js";

const lab = createLab({ prefix: "apply", letter: "a", suite: "test/apply.test.ts", cliTimeoutMs: 300_000 });
const { sfx, topo: TOPO, vnf: VNF, mac: MAC } = lab.names;
const BRIDGE = `nfvtb${sfx}`;
const NET = `nfvt-apply-${sfx}-net`;
const { env, uri: URI, virsh, passwordEnv: PASSWORD_ENV } = lab;

let dir: string;
let state: string;
let image: string;

const topologyFile = (name: string, over: { image?: string; kernel?: string } = {}) =>
  lab.writeTopology(name, over);
const opts = (file: string, over: Partial<ApplyOptions> = {}) => lab.applyOptions(file, over);
const cli = (args: string[]) => lab.cli(args);
const domState = (name: string) => lab.domState(name);

const verify = (file: string) =>
  verifyTopology({ topologyFile: file, connect: URI, stateDir: state, root: "/", env });

function failed(r: VerifyReport) {
  return r.checks.filter((c) => c.status === "fail");
}

async function uuidOf(name: string): Promise<string> {
  return (await runChecked("virsh", ["-c", URI, "domuuid", name])).stdout.trim();
}

beforeAll(async () => {
  await lab.setUp();
  ({ dir, state, image } = lab);
}, 1_800_000);

afterAll(async () => {
  await virshRaw(["net-destroy", NET]);
  await virshRaw(["net-undefine", NET]);
  await run("ip", ["link", "del", BRIDGE]);
  await lab.tearDown();
});

describe("nfvhost apply on the real libvirtd", () => {
  // The daemon really stopped (and stopped mid-apply) is test/faults/libvirtd.test.ts, run alone
  // after this suite; this is the same client-side path with no daemon behind the socket, safe
  // beside suites that keep using the shared libvirtd.
  it("refuses cleanly when no libvirtd answers at the URI, and changes nothing", async () => {
    const file = await topologyFile("lab.yaml");
    const hp = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    const before = await readFile(hp, "utf8");
    // A killed run elsewhere on this machine may have left its record (stale, not held): this
    // apply must leave the lock file as it found it.
    const lockBefore = await readLockInfo(hostLockPath(URI));
    // A libvirtd that is not running: the client sees exactly what it sees when the daemon is
    // stopped (no listener on the socket). The shared daemon keeps serving the parallel suites.
    const down = `qemu:///system?socket=${join(dir, "libvirt-sock-not-running")}`;
    const err = await applyTopology(opts(file, { connect: down })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvError);
    expect((err as NfvError).message).toMatch(/Failed to connect socket/);
    expect((err as NfvError).message).toContain(`libvirtd is not running or not reachable at ${down}`);
    expect((err as NfvError).message).toMatch(/start libvirtd/);
    expect(await readFile(hp, "utf8")).toBe(before);
    expect(await domState(VNF)).toBe("absent");
    expect(await readLockInfo(hostLockPath(URI))).toEqual(lockBefore);
    // Nor one under the URI it could not reach (the lock is taken beside the ping, then let go).
    expect(await readLockInfo(hostLockPath(down))).toBeNull();
    expect(await new Journal(state).list()).toEqual([]);
  });

  it("undoes a domain whose start fails midway (missing kernel): the host is as it was", async () => {
    const bad = await topologyFile("lab-missing-kernel.yaml", { kernel: join(dir, "no-such-vmlinuz") });
    const err = await applyTopology(opts(bad)).catch((e: unknown) => e);
    expect(err, String(err)).toBeInstanceOf(NfvError);
    const msg = (err as NfvError).message;
    expect(msg).toContain(`virsh --connect ${URI} start ${VNF}`);
    expect(msg).toContain("no-such-vmlinuz");
    expect(msg).toContain(`removed ${VNF}, which this run had defined`);
    expect(await domState(VNF)).toBe("absent");
    const entries = await new Journal(state).list();
    expect(entries.at(-1)!.status).toBe("failed");
    expect(await readLockInfo(hostLockPath(URI))).toBeNull();
  }, 300_000);

  it("dry-run shows the diff and changes nothing; apply boots the guest; verify passes; a second apply changes nothing", async () => {
    const file = await topologyFile("lab.yaml");
    const dry = await cli(["apply", file, "--dry-run", "--json", "--state", state]);
    expect(dry.code).toBe(0);
    const dryReport = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      changes: { kind: string; name: string; diff: string[] }[];
      warnings: string[];
      pending: unknown[];
    };
    expect(dryReport.dryRun).toBe(true);
    const dom = dryReport.changes.find((c) => c.kind === "domain")!;
    expect(dom.name).toBe(VNF);
    expect(dom.diff.join("\n")).toContain('<vcpupin vcpu="0" cpuset="1"/>');
    expect(dom.diff.join("\n")).toContain('<emulatorpin cpuset="0"/>');
    expect(dryReport.warnings.join("\n")).toMatch(/NOT FOR PRODUCTION/);
    expect(dryReport.warnings.join("\n")).toMatch(/<locked\/> dropped: RLIMIT_MEMLOCK/);
    expect(await domState(VNF)).toBe("absent");

    const report = await applyTopology(opts(file));
    expect(report.applied).toBeGreaterThan(0);
    expect(await domState(VNF)).toBe("running");
    const { report: seen } = await waitForGuest(VNF, serialLogPath(state, VNF), {
      timeoutMs: 240_000,
      untilShutOff: false,
    });
    expect(seen.vcpus).toBe(1);
    expect(seen.memTotalKiB).toBeGreaterThan(3_500_000);
    expect(seen.memTotalKiB).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(seen.nics.map((n) => n.mac)).toEqual([MAC]);
    expect(Object.keys(seen.day0 ?? {})).toEqual(["iosxe_config.txt"]);
    expect(seen.day0!["iosxe_config.txt"]).toContain(`hostname nfvt-${sfx}`);
    expect(seen.day0!["iosxe_config.txt"]).toMatch(/username admin privilege 15 secret 9 \$9\$/);
    expect(seen.day0!["iosxe_config.txt"]).not.toContain(env[PASSWORD_ENV]);

    const v = await verify(file);
    expect(failed(v)).toEqual([]);
    const byCheck = (c: string) => v.checks.find((x) => x.subject === VNF && x.check === c)!;
    expect(byCheck("vCPU 0 affinity")).toMatchObject({ status: "pass", have: "1" });
    expect(byCheck("emulator pinning")).toMatchObject({ status: "pass", have: "0" });
    expect(byCheck("numatune")).toMatchObject({ status: "pass", have: "strict nodeset=0" });
    expect(byCheck("autostart")).toMatchObject({ status: "pass", have: "enabled" });
    expect(byCheck("guest memory in hugepages on its node")).toMatchObject({
      status: "pass",
      have: "N0=4194304 KiB",
    });
    expect(byCheck("vCPU 0 thread affinity (kernel)").have).toMatch(/^1 \(tid \d+ "CPU 0\/TCG"/);
    const last = await readLastVerify(state);
    expect(last?.ok).toBe(true);
    expect(last?.vnfs[VNF]?.checks.length).toBeGreaterThan(5);

    const again = await applyTopology(opts(file));
    expect(again.changes).toEqual([]);
    expect(again.converged).toBe(true);
    const text = await cli(["apply", file, "--state", state]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`no changes: ${TOPO} is converged`);

    const st = await readStatus(virsh, { threads: true, topology: TOPO });
    expect(st).toHaveLength(1);
    expect(st[0]).toMatchObject({
      name: VNF,
      state: "running",
      node: 0,
      emulatorPin: "0",
      vcpuPins: [{ vcpu: 0, cpus: "1" }],
    });
    expect(st[0]!.threads!.find((t) => t.role === "vCPU 0")).toMatchObject({ allowed: "1" });
    const table = await cli(["status", "--threads", "--topology", TOPO]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("(TCG, not for production)");
    expect(table.stdout).toMatch(/CPU 0\/TCG\s+│ vCPU 0\s+│ 1 /);
    const con = JSON.parse((await cli(["console", VNF, "--json"])).stdout) as { command: string[] };
    expect(con.command).toEqual(["virsh", "--connect", URI, "console", VNF]);
    const cap = JSON.parse(
      (await cli(["capture", VNF, "GigabitEthernet1", "--state", lab.state, "-c", "5", "--json"])).stdout,
    ) as {
      device: string;
      command: string[];
    };
    expect(cap.device).toMatch(/^macvtap\d+$/);
    expect(cap.command).toEqual(["tcpdump", "-i", cap.device, "-nn", "-e", "-c", "5"]);
  }, 600_000);

  it("catches a re-pinned vCPU and converges it back without a restart", async () => {
    const file = await topologyFile("lab.yaml");
    const uuid = await uuidOf(VNF);
    const pid = await virsh.qemuPid(VNF);
    await runChecked("virsh", ["-c", URI, "vcpupin", VNF, "0", "0"]);
    const v = await cli(["verify", file, "--state", state]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`FAIL ${VNF}: vCPU 0 affinity: want 1, have 0`);
    expect(v.stdout).toContain(`fix: virsh --connect ${URI} vcpupin ${VNF} 0 1 --live --config`);
    const r = await applyTopology(opts(file));
    expect(r.changes.map((c) => c.summary)).toEqual([`domain ${VNF}: re-pin vCPU0->1`]);
    expect(failed(await verify(file))).toEqual([]);
    expect(await uuidOf(VNF)).toBe(uuid);
    expect(await virsh.qemuPid(VNF)).toBe(pid);
  }, 300_000);

  it("a paused VNF is drift: verify fails it, apply resumes it without a restart", async () => {
    const file = await topologyFile("lab.yaml");
    const pid = await virsh.qemuPid(VNF);
    await runChecked("virsh", ["-c", URI, "suspend", VNF]);
    expect(failed(await verify(file)).map((c) => `${c.subject}: ${c.check}: ${c.have}`)).toContain(
      `${VNF}: domain running: paused`,
    );
    const r = await applyTopology(opts(file));
    expect(r.changes.map((c) => c.summary)).toEqual([`domain ${VNF}: resume (it was paused)`]);
    expect(await domState(VNF)).toBe("running");
    expect(failed(await verify(file))).toEqual([]);
    expect(await virsh.qemuPid(VNF)).toBe(pid);
  }, 300_000);

  it("catches a changed memory size; holds it back while running; converges with --yes NAME", async () => {
    const file = await topologyFile("lab.yaml");
    await runChecked("virsh", ["-c", URI, "setmaxmem", VNF, "2G", "--config"]);
    const v = await verify(file);
    const f = failed(v);
    expect(f.map((c) => c.check)).toEqual(["persistent definition"]);
    expect(f[0]!.want).toContain("/domain/memory = 4194304 KiB");
    expect(f[0]!.have).toContain("/domain/memory = 2097152 KiB");
    expect(f[0]!.fix).toBe(`nfvhost apply ${file} --yes ${VNF}`);

    const held = await applyTopology(opts(file));
    expect(held.changes).toEqual([]);
    expect(held.held).toHaveLength(1);
    expect(held.held[0]!.fix).toContain(`--yes ${VNF}`);
    expect((await virsh.dumpXml(VNF, { inactive: true })).match(/<memory unit='KiB'>(\d+)/)?.[1]).toBe(
      "2097152",
    );

    const fixed = await applyTopology(opts(file, { yes: [VNF] }));
    expect(fixed.changes.map((c) => c.summary)).toEqual([`domain ${VNF}: shut down, redefine, start`]);
    await waitForGuest(VNF, serialLogPath(state, VNF), { timeoutMs: 240_000, untilShutOff: false });
    expect(failed(await verify(file))).toEqual([]);
  }, 600_000);

  it("restores the running VM when its redefinition fails to start (missing image): nothing is lost", async () => {
    const file = await topologyFile("lab.yaml");
    const bad = await topologyFile("lab-missing-image.yaml", { image: join(dir, "no-such-disk.qcow2") });
    const uuid = await uuidOf(VNF);
    const err = await applyTopology(opts(bad, { yes: [VNF] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NfvError);
    expect((err as NfvError).message).toContain("no-such-disk.qcow2");
    expect((err as NfvError).message).toContain(
      `; ${VNF}: restored its previous definition, started it again; then run apply again`,
    );
    expect(await domState(VNF)).toBe("running");
    expect(await uuidOf(VNF)).toBe(uuid);
    expect(await virsh.dumpXml(VNF, { inactive: true })).toContain(image);
    await waitForGuest(VNF, serialLogPath(state, VNF), { timeoutMs: 240_000, untilShutOff: false });
    expect(failed(await verify(file))).toEqual([]);
    expect((await applyTopology(opts(file))).converged).toBe(true);
  }, 600_000);

  it("a SIGKILLed apply leaves a stale lock that the next run detects, and the next run converges", async () => {
    const file = await topologyFile("lab.yaml");
    // A running router is not stopped without --yes.
    await expect(
      destroyVnfs(virsh, [VNF], { all: false, yes: false, adopt: false, stateDir: state }),
    ).rejects.toThrow(new RegExp(`destroy ${VNF}: "is running".*--yes`));
    expect(await domState(VNF)).toBe("running");
    const gone = await destroyVnfs(virsh, [VNF], { all: false, yes: true, adopt: false, stateDir: state });
    expect(gone).toEqual([
      { name: VNF, stopped: true, undefined: true, disks: [image, expect.stringContaining("day0")] },
    ]);
    expect(existsSync(image)).toBe(true);
    // Force a second step before the domain: the day-0 ISO is rebuilt when its digest is gone.
    const isoDigest = (await readdir(join(state, "day0"))).find((f) => f.endsWith(".iso.sha256"))!;
    await rm(join(state, "day0", isoDigest));

    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/fixtures/apply/killable-apply.ts", file, state, "0"],
      {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (/STEP 0 iso/.test(out)) resolve();
      });
      child.on("exit", () => reject(new Error(`apply exited before its first step: ${out}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    // The kernel dropped the flock with the process; the file still names it, so the next run knows.
    expect((await readLockInfo(hostLockPath(URI)))?.pid).toBe(child.pid);
    expect(await domState(VNF)).toBe("absent");
    expect((await new Journal(state).list()).at(-1)!.status).toBe("in-progress");

    const r = await applyTopology(opts(file));
    expect(r.staleLock?.pid).toBe(child.pid);
    expect(r.changes.map((c) => c.kind)).toEqual(["domain"]);
    expect(await domState(VNF)).toBe("running");
    await waitForGuest(VNF, serialLogPath(state, VNF), { timeoutMs: 240_000, untilShutOff: false });
    expect(failed(await verify(file))).toEqual([]);
  }, 600_000);

  it("refuses a second apply while another process holds the host lock, naming it", async () => {
    const file = await topologyFile("lab.yaml");
    const holder = spawn(process.execPath, ["--import", "tsx", "test/fixtures/apply/hold-lock.ts", URI], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (b: Buffer) => (b.toString().includes("HELD") ? resolve() : undefined));
        holder.once("exit", () => reject(new Error("the lock holder exited early")));
      });
      // Another --state directory changes nothing: the lock is the host's.
      const err = await applyTopology(opts(file, { stateDir: join(dir, "other-state") })).catch(
        (e: unknown) => e,
      );
      expect((err as NfvError).message).toContain(`held by pid ${holder.pid} (nfvhost apply held-by-test`);
    } finally {
      // Let go as a finished run does (closing stdin): a killed holder's record would stay in the
      // lock file as a stale one for the next run on this machine to report.
      const closed = new Promise((r) => holder.once("close", r));
      holder.stdin.end();
      const killer = setTimeout(() => holder.kill("SIGKILL"), 10_000);
      await closed;
      clearTimeout(killer);
    }
  });

  it("destroy keeps disks and refuses what it must not touch; rollback defines and starts the VNF again", async () => {
    const file = await topologyFile("lab.yaml");
    await expect(
      destroyVnfs(virsh, [], { all: true, yes: false, adopt: false, stateDir: state }),
    ).rejects.toThrow(/--yes/);
    const foreign = `nfvt-apply-${sfx}-foreign`;
    await writeFile(
      join(dir, "foreign.xml"),
      `<domain type='qemu'><name>${foreign}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
    );
    await runChecked("virsh", ["-c", URI, "define", join(dir, "foreign.xml")]);
    try {
      await expect(
        destroyVnfs(virsh, [foreign], { all: false, yes: true, adopt: false, stateDir: state }),
      ).rejects.toThrow(/not created by nfvhost/);
      expect(await domState(foreign)).toBe("shut off");
    } finally {
      await removeDomain(foreign);
    }
    const gone = await destroyVnfs(virsh, [], {
      all: true,
      yes: true,
      adopt: false,
      topology: TOPO,
      stateDir: state,
    });
    expect(gone.map((g) => g.name)).toEqual([VNF]);
    expect(await domState(VNF)).toBe("absent");
    expect(existsSync(image)).toBe(true);

    const rb = await rollbackLast(virsh, { stateDir: state, yes: new Set(), dryRun: false });
    expect(rb.steps).toEqual([
      { what: `define ${VNF} again and start it`, done: true, note: expect.stringContaining("restored") },
    ]);
    expect(await domState(VNF)).toBe("running");
    await waitForGuest(VNF, serialLogPath(state, VNF), { timeoutMs: 240_000, untilShutOff: false });
    expect(failed(await verify(file))).toEqual([]);
  }, 600_000);

  it("defines, starts and autostarts a libvirt network, journaled; a second pass has nothing to do; rollback removes it", async () => {
    await runChecked("ip", ["link", "add", BRIDGE, "type", "bridge"]);
    const desired: Desired = {
      sysfs: [],
      nm: [],
      isos: [],
      networks: [
        {
          name: NET,
          xml: markNetworkXml(renderNetworkXml({ name: NET, type: "bridge", bridge: BRIDGE }), TOPO),
        },
      ],
      domains: [],
    };
    const read = () => readLive(virsh, desired, "/");
    const set = computeChanges(desired, await read(), { yes: new Set(), adopt: false, topologyName: TOPO });
    expect(set.changes).toEqual([
      expect.objectContaining({ kind: "network", name: NET, define: true, start: true, autostart: true }),
    ]);
    const journal = await new Journal(state).begin("network test", URI);
    const exec = { virsh, journal, root: "/", stateDir: state, stopTimeoutMs: 0, notes: [] as string[] };
    await executeChange(set.changes[0]!, exec);
    await journal.finish("complete");
    expect((await virsh.listNetworks()).find((n) => n.name === NET)).toEqual({
      name: NET,
      active: true,
      autostart: true,
      persistent: true,
    });
    expect(
      computeChanges(desired, await read(), { yes: new Set(), adopt: false, topologyName: TOPO }).changes,
    ).toEqual([]);

    // libvirt keeps the mark: the network is known as nfvhost's on the next run.
    expect(networkOwner(await virsh.netDumpXml(NET, { inactive: true }))).toEqual({ topology: TOPO });

    const rb = await rollbackLast(virsh, { stateDir: state, yes: new Set(), dryRun: false });
    expect(rb.steps).toEqual([{ what: `remove network ${NET}`, done: true }]);
    expect((await virsh.listNetworks()).some((n) => n.name === NET)).toBe(false);

    // Someone else's network of the same name (no mark, not started): held without --adopt and
    // left exactly as it was; --adopt journals it and marks it; rollback gives it back unmarked.
    const foreignXml = renderNetworkXml({ name: NET, type: "bridge", bridge: BRIDGE });
    await writeFile(join(dir, "foreign-net.xml"), foreignXml);
    await runChecked("virsh", ["-c", URI, "net-define", join(dir, "foreign-net.xml")]);
    const refused = computeChanges(desired, await read(), {
      yes: new Set(),
      adopt: false,
      topologyName: TOPO,
    });
    expect(refused.changes).toEqual([]);
    expect(refused.held).toEqual([
      {
        what: `network ${NET}`,
        why: expect.stringContaining("not created by nfvhost"),
        fix: expect.stringContaining("--adopt"),
      },
    ]);
    expect((await virsh.listNetworks()).find((n) => n.name === NET)).toMatchObject({
      active: false,
      autostart: false,
    });
    const adopt = computeChanges(desired, await read(), { yes: new Set(), adopt: true, topologyName: TOPO });
    expect(adopt.changes).toEqual([
      expect.objectContaining({ kind: "network", name: NET, define: true, start: true, autostart: true }),
    ]);
    const j2 = await new Journal(state).begin("network adopt test", URI);
    await executeChange(adopt.changes[0]!, { ...exec, journal: j2 });
    await j2.finish("complete");
    expect(networkOwner(await virsh.netDumpXml(NET, { inactive: true }))).toEqual({ topology: TOPO });
    await rollbackLast(virsh, { stateDir: state, yes: new Set(), dryRun: false });
    expect(networkOwner(await virsh.netDumpXml(NET, { inactive: true }))).toBeNull();
  });
});
