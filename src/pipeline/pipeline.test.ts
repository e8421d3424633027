/**
 * "What runs now" is read one way: a running domain nfvhost did not create holds the CPUs it is
 * pinned to, the plan names it, and the new VNF goes around it. libvirt is a replayed session.
 */
import { describe, expect, it } from "vitest";
import { loadTopology } from "../topology/load.js";
import { Virsh } from "../libvirt/virsh.js";
import { withRunner } from "../util/exec.js";
import { ReplayRunner, type RecordedCall } from "../util/recorded.js";
import { runPipeline } from "./index.js";

const ROOT = "examples/hosts/seed-c240m5";
const URI = "qemu:///system";
const ok = (args: string[], stdout: string): RecordedCall => ({
  command: "virsh",
  args: ["--connect", URI, ...args],
  code: 0,
  stdout,
  stderr: "",
});

function libvirtWithForeign(
  pins: Record<number, string>,
  state = "running",
  name = "brownfield",
): ReplayRunner {
  const cputune = Object.entries(pins)
    .map(([v, c]) => `<vcpupin vcpu='${v}' cpuset='${c}'/>`)
    .join("");
  const xml = `<domain type='kvm'><name>${name}</name><uuid>0b1f1c5e-5a8a-4a43-9bd4-6f5b4b0d0c01</uuid><memory unit='KiB'>1048576</memory><vcpu placement='static'>${Object.keys(pins).length}</vcpu><cputune>${cputune}<emulatorpin cpuset='0'/></cputune><os><type arch='x86_64'>hvm</type></os><devices/></domain>`;
  return new ReplayRunner({
    schema: 1,
    calls: [
      ok(
        ["list", "--all"],
        ` Id   Name         State\n-----------------------------\n 7    ${name}   ${state}\n`,
      ),
      ok(["list", "--all", "--autostart", "--name"], "\n"),
      ok(
        ["net-list", "--all"],
        " Name   State   Autostart   Persistent\n----------------------------------------\n",
      ),
      ok(["dumpxml", "--inactive", name], xml),
      ok(["dumpxml", name], xml),
    ],
  });
}

describe("pipeline: what runs now", () => {
  it("counts a foreign domain pinned to CPU 1 as taken, names it, and plans around it", async () => {
    const replay = libvirtWithForeign({ 0: "1" });
    const r = await withRunner(replay, () =>
      runPipeline({
        parsed: loadTopology("examples/topologies/seed-csr1kv.yaml"),
        root: ROOT,
        virsh: new Virsh(URI),
        stateDir: null,
      }),
    );
    expect(r.running.foreign.map((f) => [f.name, f.cpus])).toEqual([["brownfield", [1]]]);
    expect(r.result.ok).toBe(true);
    if (!r.result.ok) return;
    const plan = r.result.plan;
    expect(plan.warnings[0]).toMatch(/^CPU 1 taken by domain brownfield \(not managed by nfvhost, running/);
    const vnf = plan.vnfs[0]!;
    expect(vnf.vcpuPins).not.toContain(1);
    expect(plan.host.cpuRoles.find((c) => c.cpu === 1)!.role).toEqual({
      role: "vcpu",
      vnf: "brownfield",
      vcpu: 0,
    });
    // Only reads: the replay holds no define/start/pin call, and each read was answered.
    expect(replay.asked.every((c) => ["list", "dumpxml", "net-list"].includes(c.args[2]!))).toBe(true);
  });

  it("a running foreign domain with a VNF's name is not that VNF: its CPUs are taken, the VNF is planned whole", async () => {
    const r = await withRunner(libvirtWithForeign({ 0: "1" }, "running", "csr1kv-1"), () =>
      runPipeline({
        parsed: loadTopology("examples/topologies/seed-csr1kv.yaml"),
        root: ROOT,
        virsh: new Virsh(URI),
        stateDir: null,
      }),
    );
    expect(r.result.ok, JSON.stringify(r.result)).toBe(true);
    if (!r.result.ok) return;
    const vnf = r.result.plan.vnfs.find((v) => v.name === "csr1kv-1")!;
    expect(vnf.vcpuPins).toHaveLength(8);
    expect(vnf.vcpuPins).not.toContain(1);
    expect(r.result.plan.warnings[0]).toMatch(/^CPU 1 taken by domain csr1kv-1 \(not managed by nfvhost/);
  });

  it("apply --adopt --yes NAME takes the foreign domain of that name over: what it uses now is planned anew", async () => {
    const plan = async (opts: { adopt: boolean; yes: string[] }) =>
      withRunner(libvirtWithForeign({ 0: "1" }, "running", "csr1kv-1"), () =>
        runPipeline({
          parsed: loadTopology("examples/topologies/seed-csr1kv.yaml"),
          root: ROOT,
          virsh: new Virsh(URI),
          stateDir: null,
          ...opts,
        }),
      );
    const taken = await plan({ adopt: true, yes: ["csr1kv-1"] });
    expect(taken.result.ok, JSON.stringify(taken.result)).toBe(true);
    if (!taken.result.ok) return;
    // Placed as on an empty host: the seed's pins, CPU 1 included.
    expect(taken.result.plan.vnfs.find((v) => v.name === "csr1kv-1")!.vcpuPins).toContain(1);
    expect(taken.running.deployed).toEqual([]);
    expect(taken.result.plan.warnings[0]).toMatch(
      /^domain csr1kv-1 \(not managed by nfvhost, running\) is taken over by this apply \(--adopt --yes csr1kv-1\).*CPU 1 it uses now count as free$/,
    );
    // Either half alone is no consent to restart it: it keeps CPU 1.
    for (const opts of [
      { adopt: true, yes: [] },
      { adopt: false, yes: ["csr1kv-1"] },
    ]) {
      const held = await plan(opts);
      expect(held.result.ok && held.result.plan.vnfs[0]!.vcpuPins, JSON.stringify(opts)).not.toContain(1);
      expect(held.running.deployed.map((d) => d.name)).toEqual(["csr1kv-1 (foreign)"]);
    }
  });

  it("a shut-off foreign domain holds nothing", async () => {
    const r = await withRunner(libvirtWithForeign({ 0: "1" }, "shut off"), () =>
      runPipeline({
        parsed: loadTopology("examples/topologies/seed-csr1kv.yaml"),
        root: ROOT,
        virsh: new Virsh(URI),
        stateDir: null,
      }),
    );
    expect(r.running.foreign).toEqual([]);
    expect(r.result.ok && r.result.plan.vnfs[0]!.vcpuPins).toContain(1);
  });
});
