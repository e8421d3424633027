/**
 * Issue 5, "Operating", against a really running lab VNF: `nfvhost capture` runs tcpdump on the
 * guest's macvtap device and captures frames sent into the veth pair under it (bounded by --count
 * and --duration), and `nfvhost status --threads` shows the qemu process, its vCPU thread and the
 * CPU each thread last ran on, consistent with the pinning (checked against ps -L and virsh).
 * Takes the apply suite's lock (one guest on CPU 1 at a time); resources are nfvt-cap-* and
 * removed in afterAll, also on failure.
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serialLogPath } from "../src/desired/desired.js";
import { applyTopology } from "../src/apply/index.js";
import type { VnfStatus } from "../src/apply/status.js";
import { parseCpuList } from "../src/util/cpulist.js";
import { runChecked } from "../src/util/exec.js";
import { qemuPid, waitForGuest } from "./support/guest.js";
import { createLab } from "./support/lab.js";

const lab = createLab({ prefix: "cap", letter: "c", suite: "test/operate.test.ts" });
const { sfx, topo: TOPO, vnf: VNF, veth: VETH, vethPeer: VETH_PEER, mac: MAC } = lab.names;
const { env, uri: URI } = lab;
// A UDP port only this run sends to, so the capture filter sees nothing else.
const PORT = 40000 + (parseInt(sfx, 16) % 20000);

let dir: string;
const cli = (args: string[]) => lab.cli(args);

beforeAll(async () => {
  await lab.setUp();
  dir = lab.dir;
  const file = await lab.writeTopology();
  await applyTopology(lab.applyOptions(file));
  await waitForGuest(VNF, serialLogPath(lab.state, VNF), { timeoutMs: 240_000, untilShutOff: false });
}, 1_800_000);

afterAll(() => lab.tearDown());

/** Sends UDP datagrams to all IPv6 nodes out of VETH_PEER every 100 ms until stop() is called. */
function sendUntilStopped(): { stop: () => void; sent: () => number } {
  const sock = createSocket({ type: "udp6" });
  let sent = 0;
  const t = setInterval(() => {
    // Fails with EADDRNOTAVAIL until the peer's link-local address is usable: just try again.
    sock.send(Buffer.from(`nfvt-cap-${sfx}`), PORT, `ff02::1%${VETH_PEER}`, (e) => {
      if (!e) sent++;
    });
  }, 100);
  return {
    stop: () => {
      clearInterval(t);
      sock.close();
    },
    sent: () => sent,
  };
}

describe("nfvhost capture and status --threads on a running lab VNF", () => {
  it("capture finds the guest NIC's macvtap device on the veth and tcpdump captures frames on it", async () => {
    // The guest name plan gave the first vNIC (IOS-XE kind: GigabitEthernet1), read from the applied plan.
    const r = await cli(["capture", VNF, "GigabitEthernet1", "--state", lab.state, "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const target = JSON.parse(r.stdout) as {
      device: string;
      mac: string;
      type: string;
    };
    expect(target).toMatchObject({ mac: MAC, type: "direct" });
    expect(target.device).toMatch(/^macvtap\d+$/);
    // The kernel's own view: that macvtap device sits on our veth end.
    expect(existsSync(`/sys/class/net/${target.device}/lower_${VETH}`)).toBe(true);

    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "test/fixtures/apply/cli.ts",
        "capture",
        VNF,
        "GigabitEthernet1",
        "--state",
        lab.state,
        "--count",
        "3",
        "--duration",
        "60",
        "udp",
        "port",
        String(PORT),
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
    let sender: ReturnType<typeof sendUntilStopped> | undefined;
    try {
      const deadline = Date.now() + 60_000;
      while (!err.includes(`listening on ${target.device}`) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(err).toContain(`listening on ${target.device}, link-type EN10MB`);
      sender = sendUntilStopped();
      expect(await exited, `${out}\n${err}`).toBe(0);
    } finally {
      sender?.stop();
      child.kill("SIGKILL");
    }
    expect(err).toContain(`capturing ${VNF} GigabitEthernet1 on ${target.device} (direct): timeout`);
    expect(err).toMatch(/\b3 packets captured/);
    const peerMac = (await readFile(`/sys/class/net/${VETH_PEER}/address`, "utf8")).trim();
    const frames = out.split("\n").filter((l) => l.includes(`ff02::1.${PORT}`));
    expect(frames).toHaveLength(3);
    for (const f of frames) expect(f).toContain(`${peerMac} > 33:33:00:00:00:01`);
  }, 180_000);

  it("capture --duration ends a quiet capture on time; bad --count is refused before anything runs", async () => {
    const started = Date.now();
    const quiet = await cli(["capture", VNF, "1", "--duration", "2", "udp", "port", String(PORT + 1)]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(quiet.stderr).toMatch(/listening on macvtap\d+/);
    expect(quiet.stderr).toMatch(/\b0 packets captured/);

    // A libvirt URI nobody answers on: the option is refused before libvirt is asked.
    const bad = await cli([
      "capture",
      VNF,
      "1",
      "--count",
      "0",
      "--connect",
      `qemu:///system?socket=${dir}/none`,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--count: "0"; expected a whole number from 1 up');
  }, 180_000);

  it("status --threads shows the qemu pid, the vCPU thread on its pinned CPU and the emulator on CPU 0, as ps and virsh see them", async () => {
    const pid = await qemuPid(VNF);
    const rows = JSON.parse(
      (await cli(["status", "--threads", "--json", "--topology-name", TOPO])).stdout,
    ) as VnfStatus[];
    expect(rows).toHaveLength(1);
    const st = rows[0]!;
    expect(st).toMatchObject({
      name: VNF,
      state: "running",
      qemuPid: pid,
      vcpuPins: [{ vcpu: 0, cpus: "1" }],
    });
    const threads = st.threads!;
    const vcpu = threads.find((t) => t.role === "vCPU 0")!;
    expect(vcpu.comm).toBe("CPU 0/TCG");
    expect(vcpu).toMatchObject({ allowed: "1", lastCpu: 1 });
    expect(threads.find((t) => t.tid === pid)).toMatchObject({
      role: "emulator (main)",
      allowed: "0",
      lastCpu: 0,
    });
    expect(threads.filter((t) => t.role.startsWith("vCPU"))).toHaveLength(1);
    for (const t of threads) {
      expect(parseCpuList(t.allowed!), `${t.tid} ${t.comm}`).toContain(t.lastCpu);
    }

    // The same threads as `ps -L` reports them: thread id, name and processor (PSR).
    const ps = await runChecked("ps", ["-L", "-o", "tid=,psr=,comm=", "-p", String(pid)]);
    const psRows = ps.stdout
      .trim()
      .split("\n")
      .map((l) => /^\s*(\d+)\s+(\d+)\s+(.+)$/.exec(l)!)
      .map((m) => ({ tid: Number(m[1]), psr: Number(m[2]), comm: m[3]!.trim() }));
    expect(psRows.find((r) => r.tid === vcpu.tid)).toEqual({ tid: vcpu.tid, psr: 1, comm: "CPU 0/TCG" });
    expect(psRows.find((r) => r.tid === pid)?.psr).toBe(0);
    expect(new Set(psRows.map((r) => r.tid))).toEqual(new Set(threads.map((t) => t.tid)));

    // libvirt's own view of the vCPU: running on CPU 1, allowed only there.
    const info = (await runChecked("virsh", ["-c", URI, "vcpuinfo", VNF])).stdout;
    expect(info).toMatch(/^CPU:\s+1$/m);
    expect(info).toMatch(/^CPU Affinity:\s+-y$/m);

    const table = await cli(["status", "--threads", "--topology", TOPO]);
    expect(table.stdout).toContain(`${VNF}: qemu pid ${pid}`);
    expect(table.stdout).toMatch(new RegExp(`${vcpu.tid}\\s+│ CPU 0/TCG\\s+│ vCPU 0\\s+│ 1\\s+│ 1 `));
  }, 180_000);
});
