/**
 * `nfvhost snapshot`: a snapshot of this machine, read back, equals live discovery, root aside,
 * command and device facts included (they travel in nfvhost-snapshot.json, docs/discover.md
 * "Command and device facts").
 */
import { cpSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import * as tar from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "./tmp.js";
import { runDoctor } from "../../src/doctor/index.js";
import { discoverHost, discoverWithTrace } from "../../src/facts/discover.js";
import { SNAPSHOT_META, type SnapshotMeta } from "../../src/facts/probe.js";
import { snapshotHost, writeTrace } from "../../src/facts/snapshot.js";
import { AMD_EPYC_NPS4, buildHostFacts } from "../../src/facts/shapes.js";
import type { HostFacts } from "../../src/facts/types.js";
import { writeSnapshotTree } from "../../src/facts/write-tree.js";

const tmp = scratchDir("nfvhost-snapshot-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The one field a snapshot naturally changes. */
function withoutRoot(f: HostFacts) {
  const { root: _root, ...rest } = f;
  return rest;
}

/** Every command/device field, as notRecorded names them: a root without a meta file knows none. */
const PROBED = [
  "libvirt",
  "qemu",
  "devices.kvm",
  "devices.kvmAccessible",
  "devices.vhostNet",
  "devices.vfio",
  "devices.tun",
];

function readMeta(dir: string): SnapshotMeta {
  return JSON.parse(readFileSync(path.join(dir, SNAPSHOT_META), "utf8")) as SnapshotMeta;
}

describe("snapshot of this machine", () => {
  it("reads back equal to live discovery (directory)", async () => {
    const out = path.join(tmp, "live-dir");
    const s = await snapshotHost(out);
    const back = await discoverHost({ root: out });
    expect(withoutRoot(back)).toEqual(withoutRoot(s.facts));
    expect(back.root).toBe(out);
    expect(s.files).toBeGreaterThan(10);
    // This machine runs libvirt and has QEMU and /dev/kvm: the snapshot carries them, not nulls.
    expect(back.libvirt?.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(back.libvirt).toEqual(s.facts.libvirt);
    expect(back.qemu?.version).toMatch(/^\d+\.\d+/);
    expect(back.qemu).toEqual(s.facts.qemu);
    expect(back.devices).toEqual(s.facts.devices);
    expect(back.devices.kvm).not.toBeNull();
    expect(back.firewalld).toEqual(s.facts.firewalld);
    expect(back.notRecorded).toEqual([]);
    // So doctor judges them on the snapshot as on the host itself.
    const virt = (f: HostFacts) => runDoctor(f).checks.filter((c) => c.area === "virtualization");
    expect(virt(back)).toEqual(virt(s.facts));
    // The meta file holds the raw evidence: the command lines as run and their output.
    const meta = readMeta(out);
    expect(meta).toMatchObject({ format: 1, hostname: s.facts.hostname, root: "/" });
    expect(Date.parse(meta.takenAt)).not.toBeNaN();
    expect(meta.commands["libvirtd --version"]).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(back.libvirt!.version),
    });
    expect(meta.devices["/dev/kvm"]).toMatchObject({ exists: back.devices.kvm });
    expect(s.recorded).toEqual({
      commands: Object.keys(meta.commands).length,
      devices: Object.keys(meta.devices).length,
    });
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
      ...withoutRoot(f),
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
    expect(withoutRoot(back)).toEqual(withoutRoot(s.facts));
    expect(back.libvirt).not.toBeNull();
    expect(back.notRecorded).toEqual([]);
    const types = new Map<string, string>();
    await tar.t({ file: out, onReadEntry: (e) => types.set(e.path.replace(/^\.\//, ""), e.type) });
    expect(types.get("proc/mounts")).toBe("SymbolicLink");
    expect(types.get(SNAPSHOT_META)).toBe("File");
    expect([...types.keys()].some((p) => p.startsWith("dev/"))).toBe(false);
  });

  it("snapshot of the reference host copies exactly what discovery reads", async () => {
    const out = path.join(tmp, "seed");
    const s = await snapshotHost(out, { root: "examples/hosts/seed-c240m5" });
    const back = await discoverHost({ root: out });
    expect({ ...back, root: "" }).toEqual({ ...s.facts, root: "" });
    // Nothing recorded at the source, nothing invented: the meta file is there, but empty.
    expect(back.notRecorded).toEqual(PROBED);
    expect(readMeta(out)).toMatchObject({
      format: 1,
      root: "examples/hosts/seed-c240m5",
      commands: {},
      devices: {},
    });
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

  it("a live trace holds no /dev: device checks go to the meta file, not the file list", async () => {
    const { trace, probe } = await discoverWithTrace();
    expect([...trace.keys()].some((p) => p === "dev" || p.startsWith("dev/"))).toBe(false);
    expect([...probe.devices.keys()]).toContain("/dev/kvm");
  });

  it("a hand-made tree with dev/: presence read from it, the nodes left out, their presence recorded", async () => {
    const root = path.join(tmp, "with-dev");
    cpSync("test/fixtures/hosts/edge-small", root, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(root, "dev/net"), { recursive: true });
    writeFileSync(path.join(root, "dev/kvm"), "");
    writeFileSync(path.join(root, "dev/net/tun"), "");
    const src = await discoverHost({ root });
    expect(src.devices).toEqual({ kvm: true, vhostNet: false, vfio: false, kvmAccessible: null, tun: true });
    expect(src.notRecorded).toEqual(["libvirt", "qemu", "firewalld.active", "devices.kvmAccessible"]);
    const out = path.join(tmp, "with-dev-snap");
    const s = await snapshotHost(out, { root });
    expect(readdirSync(out)).not.toContain("dev");
    expect(s.skipped).toEqual(["/dev/kvm", "/dev/net/tun"]);
    expect(readMeta(out).devices["/dev/kvm"]).toEqual({ exists: true });
    expect({ ...(await discoverHost({ root: out })), root: "" }).toEqual({ ...src, root: "" });
    // writeTrace alone (no probe) still never writes device nodes.
    const dir = path.join(tmp, "trace");
    mkdirSync(dir);
    const { trace } = await discoverWithTrace({ root });
    expect(writeTrace(trace, dir).skipped).toEqual(["/dev/kvm", "/dev/net/tun"]);
    expect(readdirSync(dir)).not.toContain("dev");
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

describe(`the meta file ${SNAPSHOT_META}`, () => {
  const EDGE = "test/fixtures/hosts/edge-small";
  const LIBVIRT = { code: 0, stdout: "libvirtd (libvirt) 10.0.0\n", stderr: "" };
  const QEMU = { code: 0, stdout: "QEMU emulator version 8.2.2\n", stderr: "" };
  let n = 0;

  /** A copy of edge-small (firewalld installed, no meta file) with `meta` as its meta file. */
  function rootWith(meta: unknown): string {
    const root = path.join(tmp, `meta-${n++}`);
    cpSync(EDGE, root, { recursive: true, verbatimSymlinks: true });
    const text = typeof meta === "string" ? meta : JSON.stringify(meta);
    writeFileSync(path.join(root, SNAPSHOT_META), text);
    return root;
  }

  function good(): SnapshotMeta {
    return {
      format: 1,
      takenAt: "2026-11-25T10:00:00.000Z",
      hostname: "edge-small",
      root: "/",
      commands: {
        "libvirtd --version": LIBVIRT,
        "qemu-system-x86_64 --version": QEMU,
        "firewall-cmd --state": { code: 252, stdout: "not running\n", stderr: "" },
      },
      devices: {
        "/dev/kvm": { exists: true, type: "char", mode: "0660", uid: 0, gid: 36, readWrite: false },
        "/dev/vhost-net": { exists: true },
        "/dev/vfio/vfio": { exists: false },
        "/dev/vfio": { exists: false },
        "/dev/net/tun": { exists: true },
      },
    };
  }

  const metaWarnings = (f: HostFacts) => f.warnings.filter((w) => w.path === `/${SNAPSHOT_META}`);

  it("missing (a hand-made tree): command and device facts stay null and are listed as not recorded", async () => {
    const f = await discoverHost({ root: EDGE });
    expect(f.libvirt).toBeNull();
    expect(f.qemu).toBeNull();
    expect(f.firewalld.active).toBeNull();
    expect(f.devices).toEqual({ kvm: null, vhostNet: null, vfio: null, kvmAccessible: null, tun: null });
    expect(f.notRecorded).toEqual([...PROBED.slice(0, 2), "firewalld.active", ...PROBED.slice(2)]);
    expect(metaWarnings(f)).toEqual([]);
  });

  it("recorded outputs are parsed exactly as live ones", async () => {
    const f = await discoverHost({ root: rootWith(good()) });
    expect(f.libvirt).toEqual({
      version: "10.0.0",
      evidence: "libvirtd --version: libvirtd (libvirt) 10.0.0",
    });
    expect(f.qemu).toEqual({
      version: "8.2.2",
      evidence: "qemu-system-x86_64 --version: QEMU emulator version 8.2.2",
    });
    expect(f.firewalld).toMatchObject({ active: false, evidence: "firewall-cmd --state: not running" });
    expect(f.devices).toEqual({ kvm: true, vhostNet: true, vfio: false, kvmAccessible: false, tun: true });
    expect(f.notRecorded).toEqual([]);
    expect(metaWarnings(f)).toEqual([]);
  });

  it("a program recorded as not installed is absent (null, not listed), and the next candidate is read", async () => {
    const meta = good();
    meta.commands = {
      "libvirtd --version": { error: "ENOENT" },
      "/usr/sbin/libvirtd --version": { error: "ENOENT" },
      "virtqemud --version": { code: 0, stdout: "virtqemud (libvirt) 9.5.0\n", stderr: "" },
      "qemu-system-x86_64 --version": { error: "ENOENT" },
      "/usr/libexec/qemu-kvm --version": { error: "ENOENT" },
      "/usr/bin/qemu-kvm --version": { error: "ENOENT" },
      "firewall-cmd --state": { error: "ENOENT" },
    };
    const f = await discoverHost({ root: rootWith(meta) });
    expect(f.libvirt?.version).toBe("9.5.0");
    expect(f.qemu).toBeNull();
    expect(f.firewalld.active).toBeNull();
    expect(f.notRecorded).toEqual([]);
  });

  it("an entry the meta file lacks is not recorded (null), the others are still used", async () => {
    const meta = good();
    delete (meta.commands as Record<string, unknown>)["libvirtd --version"];
    delete (meta.devices as Record<string, unknown>)["/dev/net/tun"];
    const f = await discoverHost({ root: rootWith(meta) });
    expect(f.libvirt).toBeNull();
    expect(f.qemu?.version).toBe("8.2.2");
    expect(f.devices.tun).toBeNull();
    expect(f.devices.kvm).toBe(true);
    expect(f.notRecorded).toEqual(["libvirt", "devices.tun"]);
    expect(metaWarnings(f)).toEqual([]);
  });

  it.each([
    [
      "not JSON",
      "{format: 1,",
      /^cannot parse "\{format: 1,": expected JSON written by `nfvhost snapshot` \(format 1\)$/,
    ],
    ["binary", "\u0000\u00ff\u0001", /^cannot parse binary data \(\d+ bytes, not text\)/],
    [
      "an array",
      [1, 2],
      /^holds \[1,2\], expected an object \{format, takenAt, hostname, root, commands, devices\}$/,
    ],
    [
      "format 2",
      { ...good(), format: 2 },
      /^field format: is 2, expected 1 \(written by a newer nfvhost: upgrade to read it\)/,
    ],
    [
      "no format",
      { ...good(), format: undefined },
      /^field format: is nothing, expected 1; commands and devices are not used$/,
    ],
  ])(
    "%s: a garbage warning naming the file, every probed fact not recorded",
    async (_what, meta, message) => {
      const f = await discoverHost({ root: rootWith(meta) });
      const ws = metaWarnings(f);
      expect(ws).toHaveLength(1);
      expect(ws[0]).toMatchObject({ path: `/${SNAPSHOT_META}`, kind: "garbage" });
      expect(ws[0]!.message).toMatch(message);
      // eslint-disable-next-line no-control-regex
      expect(ws[0]!.message).not.toMatch(/[\u0000-\u0008\u00ff]/);
      expect(f.libvirt).toBeNull();
      expect(f.devices.kvm).toBeNull();
      expect(f.notRecorded).toEqual([...PROBED.slice(0, 2), "firewalld.active", ...PROBED.slice(2)]);
      // The rest of the host is read as usual.
      expect(f.cpus).toHaveLength(6);
    },
  );

  it("a bad field is a garbage warning naming it; only that entry is dropped", async () => {
    const meta = good() as unknown as Record<string, Record<string, unknown>>;
    meta.commands!["libvirtd --version"] = {
      code: "zero",
      stdout: "libvirtd (libvirt) 10.0.0\n",
      stderr: "",
    };
    meta.devices!["/dev/kvm"] = { exists: "yes" };
    meta.takenAt = "yesterday" as unknown as Record<string, unknown>;
    const f = await discoverHost({ root: rootWith(meta) });
    expect(metaWarnings(f)).toEqual([
      {
        path: `/${SNAPSHOT_META}`,
        message: 'field takenAt: is "yesterday", expected an ISO 8601 time',
        kind: "garbage",
      },
      {
        path: `/${SNAPSHOT_META}`,
        message:
          'field commands["libvirtd --version"]: .code is "zero", expected an exit code; not used (counts as not recorded)',
        kind: "garbage",
      },
      {
        path: `/${SNAPSHOT_META}`,
        message:
          'field devices["/dev/kvm"]: .exists is "yes", expected true or false; not used (counts as not recorded)',
        kind: "garbage",
      },
    ]);
    expect(f.libvirt).toBeNull();
    expect(f.qemu?.version).toBe("8.2.2");
    expect(f.devices).toEqual({ kvm: null, vhostNet: true, vfio: false, kvmAccessible: null, tun: true });
    expect(f.notRecorded).toEqual(["libvirt", "devices.kvm", "devices.kvmAccessible"]);
  });

  it("commands or devices of the wrong type are named and ignored", async () => {
    const f = await discoverHost({ root: rootWith({ ...good(), commands: "lots", devices: null }) });
    expect(metaWarnings(f).map((w) => w.message)).toEqual([
      'field commands: is "lots", expected an object',
      "field devices: is null, expected an object",
    ]);
    expect(f.notRecorded).toEqual([...PROBED.slice(0, 2), "firewalld.active", ...PROBED.slice(2)]);
  });

  it.each([
    ["a directory", "is a directory, expected a file"],
    ["a FIFO", "is not a regular file (a FIFO, socket or device node), expected a file"],
  ])("%s in its place is a garbage warning, never a crash or a blocking read", async (what, message) => {
    const root = path.join(tmp, `meta-${n++}`);
    cpSync(EDGE, root, { recursive: true, verbatimSymlinks: true });
    const meta = path.join(root, SNAPSHOT_META);
    if (what === "a FIFO") execFileSync("mkfifo", [meta]);
    else mkdirSync(meta);
    const f = await discoverHost({ root });
    expect(metaWarnings(f)).toEqual([{ path: `/${SNAPSHOT_META}`, message, kind: "garbage" }]);
    expect(f.libvirt).toBeNull();
  });

  it("a snapshot of a snapshot keeps the recorded answers and where and when they were taken", async () => {
    const src = rootWith(good());
    const out = path.join(tmp, "meta-again.tar.gz");
    const s = await snapshotHost(out, { root: src });
    const back = await discoverHost({ root: out });
    expect({ ...back, root: "" }).toEqual({ ...s.facts, root: "" });
    expect(back.libvirt?.version).toBe("10.0.0");
    const dir = path.join(tmp, "meta-again-dir");
    await snapshotHost(dir, { root: out });
    const meta = readMeta(dir);
    expect(meta).toMatchObject({ takenAt: good().takenAt, hostname: "edge-small", root: "/" });
    expect(meta.commands).toEqual(good().commands);
    expect(meta.devices).toEqual(good().devices);
  });

  it("live discovery never reads a meta file at /", async () => {
    const { trace } = await discoverWithTrace();
    expect(trace.has(SNAPSHOT_META)).toBe(false);
  });
});
