/**
 * `nfvhost snapshot`: a snapshot of this machine, read back, equals live discovery except for the
 * fields only a live host has (documented in docs/discover.md "Live-only fields").
 */
import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { discoverHost, discoverWithTrace } from "../../src/facts/discover.js";
import { snapshotHost, writeTrace } from "../../src/facts/snapshot.js";
import { AMD_EPYC_NPS4, buildHostFacts } from "../../src/facts/shapes.js";
import type { HostFacts } from "../../src/facts/types.js";
import { writeSnapshotTree } from "../../src/facts/write-tree.js";

const tmp = scratchDir("nfvhost-snapshot-");
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
    // Other suites running in parallel may reserve hugepages, mount hugetlbfs or set a sysctl
    // between the two runs: those are compared by shape only, everything else exactly.
    const stable = (f: HostFacts) => ({
      ...withoutLiveOnly(f),
      nodes: f.nodes.map((n) => ({ ...n, hugepages: Object.keys(n.hugepages) })),
      hugetlbfsMounts: null,
      sysctl: Object.keys(f.sysctl),
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

  it.each([["test/fixtures/hosts/edge-small"], ["AMD NPS4 shape"]])(
    "snapshot of %s reads back equal (the trace misses nothing discovery needs)",
    async (which) => {
      let root = which;
      if (which === "AMD NPS4 shape") {
        root = path.join(tmp, "amd-src");
        writeSnapshotTree(buildHostFacts(AMD_EPYC_NPS4), root, { links: "file" });
      }
      const out = path.join(tmp, `snap-${path.basename(root)}`);
      const s = await snapshotHost(out, { root });
      const back = await discoverHost({ root: out });
      expect({ ...back, root: "" }).toEqual({ ...s.facts, root: "" });
    },
  );

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

describe("snapshot archives made by hand", () => {
  it("a .tar.gz of the snapshot directory itself (one level down) is read too", async () => {
    const file = path.join(tmp, "by-hand.tgz");
    await tar.c({ gzip: true, file, cwd: "test/fixtures/hosts" }, ["edge-small"]);
    const f = await discoverHost({ root: file });
    expect(f.root).toBe(file);
    expect(f.hostname).toBe("edge-small");
    expect(f.cpus).toHaveLength(6);
  });
});

describe("links stored as files become real links in a snapshot", () => {
  it("even links discovery only lists (cpuN/nodeM of the reference host)", async () => {
    const out = path.join(tmp, "seed-links");
    await snapshotHost(out, { root: "examples/hosts/seed-c240m5" });
    const node0 = path.join(out, "sys/devices/system/cpu/cpu6/node0");
    expect(lstatSync(node0).isSymbolicLink()).toBe(true);
    expect(lstatSync(path.join(out, "sys/devices/system/cpu/cpu6/node0/cpulist")).isFile()).toBe(true);
  });
});
