/**
 * verify proves a libvirt network of the plan: defined (and marked as nfvhost's), active,
 * autostart, the planned XML. A network with autostart turned off fails, as does one whose
 * definition drifted. No daemon: virsh answers through the injected process runner from a state
 * the test sets, with the XML apply would define.
 */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepare } from "../src/pipeline/index.js";
import { Virsh } from "../src/libvirt/virsh.js";
import { verifyTopology } from "../src/verify/index.js";
import { spawnRunner, withRunner, type Runner, type RunOptions } from "../src/util/exec.js";

const REPO = new URL("..", import.meta.url).pathname;
const CONNECT = "qemu:///session";
const VERSION = "Using library: libvirt 9.0.0\nRunning hypervisor: QEMU 7.2.0\n";

let dir: string;
let root: string;
let state: string;
let topo: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-verify-net-"));
  root = join(dir, "root");
  state = join(dir, "state");
  topo = join(dir, "net.yaml");
  await cp(join(REPO, "examples/hosts/seed-c240m5"), root, { recursive: true });
  await writeFile(
    topo,
    "name: nfvt-verify-net\nhost:\n  selinux: keep\n  firewalld: keep\nnetworks:\n  nfvt-mv:\n    type: macvtap\n    dev: eno1\n",
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** libvirt with one network in the state the test sets. */
class OneNetwork implements Runner {
  active = true;
  autostart = true;
  xml = "";
  async run(command: string, args: readonly string[], opts?: RunOptions) {
    if (command !== "virsh") return spawnRunner.run(command, args, opts);
    const ok = (stdout = "") => ({ command, args: [...args], code: 0, stdout, stderr: "" });
    if (args.includes("version")) return ok(VERSION);
    if (args.includes("net-list")) {
      const row = this.xml
        ? ` nfvt-mv   ${this.active ? "active" : "inactive"}   ${this.autostart ? "yes" : "no"}   yes\n`
        : "";
      return ok(` Name   State   Autostart   Persistent\n----------------------------------\n${row}`);
    }
    if (args.includes("net-dumpxml")) return ok(this.xml);
    if (args.includes("list")) return ok("");
    return { command, args: [...args], code: 1, stdout: "", stderr: "error: unexpected call" };
  }
}

async function checks(net: OneNetwork) {
  const r = await withRunner(net, () =>
    verifyTopology({ topologyFile: topo, connect: CONNECT, stateDir: state, root, env: {}, persist: false }),
  );
  return Object.fromEntries(r.checks.filter((c) => c.subject === "nfvt-mv").map((c) => [c.check, c]));
}

describe("verify: libvirt networks", () => {
  it("passes a defined, active, autostarted network with the planned XML; fails autostart off, inactive, drift, absence", async () => {
    const net = new OneNetwork();
    const ctx = await withRunner(net, () =>
      prepare(
        { topologyFile: topo, root, stateDir: state, allowUnlocked: true, env: {}, day0: "presence" },
        new Virsh(CONNECT),
      ),
    );
    net.xml = ctx.desired.networks.find((n) => n.name === "nfvt-mv")!.xml;

    let c = await checks(net);
    for (const k of ["network active", "network autostart", "network definition"])
      expect(c[k]?.status, k).toBe("pass");

    net.autostart = false;
    c = await checks(net);
    expect(c["network autostart"]).toMatchObject({
      status: "fail",
      have: "disabled",
      fix: "virsh --connect qemu:///session net-autostart nfvt-mv",
    });

    net.autostart = true;
    net.active = false;
    expect((await checks(net))["network active"]?.status).toBe("fail");

    net.active = true;
    net.xml = net.xml.replace("dev='eno1'", "dev='eno5'").replace('dev="eno1"', 'dev="eno5"');
    c = await checks(net);
    expect(c["network definition"]).toMatchObject({ status: "fail", have: "differs" });

    net.xml = "";
    expect((await checks(net))["network defined"]).toMatchObject({ status: "fail", have: "not defined" });
  });
});
