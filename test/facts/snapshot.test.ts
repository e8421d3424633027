/**
 * `nfvhost snapshot`: a snapshot of this machine, read back, equals live discovery except for the
 * fields only a live host has (documented in docs/discover.md "Live-only fields").
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { discoverHost, discoverWithTrace } from "../../src/facts/discover.js";
import { snapshotHost, writeTrace } from "../../src/facts/snapshot.js";
import type { HostFacts } from "../../src/facts/types.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "nfvhost-snapshot-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Fields a snapshot cannot carry: programs to run, device nodes, a daemon's state. */
function withoutLiveOnly(f: HostFacts) {
  const { root: _root, libvirt: _l, qemu: _q, devices: _d, ...rest } = f;
  return {
    ...rest,
    firewalld: { ...f.firewalld, active: null, evidence: f.firewalld.installed ? "" : f.firewalld.evidence },
  };
}

describe("snapshot of this machine", () => {
  it("reads back equal to live discovery (directory)", async () => {
    const out = path.join(tmp, "live-dir");
    const s = await snapshotHost(out);
    const back = await discoverHost({ root: out });
    expect(withoutLiveOnly(back)).toEqual(withoutLiveOnly(s.facts));
    expect(back.root).toBe(out);
    expect(s.files).toBeGreaterThan(10);
    // Live-only fields are unknown in a snapshot, never guessed.
    expect(back.devices.kvm).toBeNull();
    expect(back.libvirt).toBeNull();
    // /proc/mounts is a link on Linux: kept as a link.
    expect(lstatSync(path.join(out, "proc/mounts")).isSymbolicLink()).toBe(true);
  });

  it("a second live discovery agrees with the snapshot's (the host is stable across runs)", async () => {
    const out = path.join(tmp, "live-dir-2");
    await snapshotHost(out);
    const [back, live] = [await discoverHost({ root: out }), await discoverHost()];
    // Hugepage free counts may move while other suites run; everything else must match.
    const stable = (f: HostFacts) => ({
      ...withoutLiveOnly(f),
      nodes: f.nodes.map((n) => ({ ...n, hugepages: Object.keys(n.hugepages) })),
    });
    expect(stable(back)).toEqual(stable(live));
  });

  it("writes a .tar.gz that `discover --root` reads the same, with links kept", async () => {
    const out = path.join(tmp, "live.tar.gz");
    const s = await snapshotHost(out);
    const back = await discoverHost({ root: out });
    expect(withoutLiveOnly(back)).toEqual(withoutLiveOnly(s.facts));
    const types = new Map<string, string>();
    await tar.t({ file: out, onReadEntry: (e) => types.set(e.path.replace(/^\.\//, ""), e.type) });
    expect(types.get("proc/mounts")).toBe("SymbolicLink");
    expect([...types.keys()].some((p) => p.startsWith("dev/"))).toBe(false);
  });

  it("snapshot of the reference host copies exactly what discovery reads", async () => {
    const out = path.join(tmp, "seed");
    const s = await snapshotHost(out, { root: "examples/hosts/seed-c240m5" });
    const back = await discoverHost({ root: out });
    expect({ ...back, root: "" }).toEqual({ ...s.facts, root: "" });
    // The seed stores links as files; the snapshot makes them real links.
    expect(lstatSync(path.join(out, "sys/class/net/eno1")).isSymbolicLink()).toBe(true);
    const { trace } = await discoverWithTrace({ root: "examples/hosts/seed-c240m5" });
    expect(s.files + s.links + s.dirs).toBe(trace.size);
  });

  it("writeTrace leaves /dev out and reports it", async () => {
    const { trace } = await discoverWithTrace();
    const dir = path.join(tmp, "trace");
    mkdirSync(dir);
    const summary = writeTrace(trace, dir);
    expect(readdirSync(dir)).not.toContain("dev");
    expect(summary.skipped.every((p) => p.startsWith("/dev"))).toBe(true);
  });

  it("never overwrites an existing snapshot", async () => {
    const out = path.join(tmp, "exists");
    mkdirSync(out);
    writeFileSync(path.join(out, "keep"), "mine");
    await expect(snapshotHost(out)).rejects.toThrow(/non-empty directory/);
    await expect(snapshotHost(path.join(out, "keep"))).rejects.toThrow(/existing file/);
    expect(readdirSync(out)).toEqual(["keep"]);
  });
});
