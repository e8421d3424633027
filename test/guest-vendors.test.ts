/**
 * On the real libvirtd with the TCG test guest: (1) each vendor kind's day-0 medium, rendered and
 * built by nfvhost, attached to the guest, which reads every file back from the cdrom; (2) nfvhost
 * exec and verify --guest against the guest's scripted IOS-XE-like console, and over SSH with the
 * day-0 user and its password from the environment against a router sshd of the test's own on
 * 127.0.0.1 (test/support/router-sshd.ts; no real IOS-XE was tried); (3) one overlay apply that
 * boots two VNFs from one base whose checksum does not change.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology } from "../src/apply/index.js";
import { destroyVnfs } from "../src/apply/operate.js";
import { serialLogPath } from "../src/desired/desired.js";
import { discoverHost } from "../src/facts/discover.js";
import { writeSnapshotTree } from "../src/facts/write-tree.js";
import { Virsh } from "../src/libvirt/virsh.js";
import type { InterfacePlan, Plan, VnfPlan } from "../src/plan/types.js";
import { renderDay0 } from "../src/render/day0/index.js";
import { buildIso, isoVolumeLabel } from "../src/render/iso.js";
import { renderDomainXml } from "../src/render/libvirt/index.js";
import { day0MediumOf, KINDS } from "../src/topology/kinds.js";
import { run, runChecked } from "../src/util/exec.js";
import { saveAppliedPlan } from "../src/state/applied.js";
import { checkDrivers, execInVnf, type ParsedCommand, type VnicMapping } from "../src/verify/guest.js";
import { verifyGuests, type Check } from "../src/verify/index.js";
import {
  bootTestGuest,
  ensureHugepages,
  ensureTestGuest,
  guestCmdline,
  LIBVIRT_URI,
  makeGuestDir,
  removeDomain,
  testGuestContext,
  testGuestVnf,
  uniqueSuffix,
  waitForGuest,
  type TestGuest,
} from "./support/guest.js";
import { runCli } from "./support/cli.js";
import { withSuiteLock } from "./support/lab.js";
import { startRouterSshd } from "./support/router-sshd.js";
import { SEED_ROOT } from "./render/seed.js";
import { VENDOR_ENV, VENDOR_KINDS, vendorVnf } from "./support/vendors.js";
import type { HeldLock } from "../src/state/lock.js";

const sfx = uniqueSuffix();
const VETH = `nfvtv${sfx}a`;
const PEER = `nfvtv${sfx}b`;
let guest: TestGuest;
let dir: string;
let lock: HeldLock;

beforeAll(async () => {
  lock = await withSuiteLock("test/guest-vendors.test.ts");
  guest = await ensureTestGuest();
  await ensureHugepages(2048, 192);
  dir = await makeGuestDir("nfvt-vendors-");
  await runChecked("ip", ["link", "add", VETH, "type", "veth", "peer", "name", PEER]);
  await runChecked("ip", ["link", "set", VETH, "up"]);
  await runChecked("ip", ["link", "set", PEER, "up"]);
}, 1_800_000);

afterAll(async () => {
  await run("ip", ["link", "del", VETH]);
  await run("rm", ["-rf", dir]);
  await lock?.release();
});

const macvtap = (mac: string, index = 0): InterfacePlan => ({
  index,
  guestName: `eth${index}`,
  mac,
  model: "virtio",
  type: "macvtap",
  dev: VETH,
  mode: "bridge",
});

describe("each vendor's day-0 medium in a booted guest", () => {
  const kinds = VENDOR_KINDS.filter((k) => KINDS[k].day0 !== null);
  it.each(kinds)(
    "%s: the guest reads every file, directory and the label nfvhost wrote",
    async (kind) => {
      const facts = await discoverHost({ root: SEED_ROOT });
      const vnf = await vendorVnf(kind, facts);
      const out = renderDay0(vnf, VENDOR_ENV, "lab")!;
      const medium = day0MediumOf(KINDS[kind], vnf.day0!.mode)!;
      const work = join(dir, kind);
      const entries = [];
      for (const f of out.files.filter((x) => out.iso.files.includes(x.path))) {
        const local = join(work, f.path);
        await mkdir(join(local, ".."), { recursive: true });
        await writeFile(local, f.content, { mode: 0o600 });
        entries.push({ source: local, as: f.path.slice(out.iso.root.length + 1) });
      }
      const iso = join(dir, `${kind}.iso`);
      await buildIso(iso, out.iso.volumeLabel, entries, out.iso.dirs);
      expect(await isoVolumeLabel(iso)).toBe(medium.volumeLabel ?? "disk");

      const name = `nfvt-vend-${sfx}-${kind}`;
      const image = join(dir, `${kind}.qcow2`);
      await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
      const serial = join(dir, `${kind}.log`);
      const xml = renderDomainXml(
        testGuestVnf({ name, image, interfaces: [] }),
        testGuestContext(guest, { serialLogPath: serial, day0IsoPath: iso }),
      );
      const { report } = await bootTestGuest(name, xml, serial, { timeoutMs: 90_000 });
      const want = Object.fromEntries(
        entries.map((e) => [
          e.as,
          out.files.find((f) => f.path.endsWith(`/${e.as}`))!.content.replace(/\n$/, ""),
        ]),
      );
      expect(report.day0).toEqual(want);
      for (const d of out.iso.dirs) expect(report.day0Dirs).toContain(d);
      for (const f of medium.files.filter((x) => !x.endsWith("/")))
        expect(Object.keys(report.day0!)).toContain(f);
    },
    180_000,
  );
});

/** The day-0 user of the exec test's router, and the variable its password is read from. */
const ADMIN = "nfvtadm";
const ADMIN_PASSWORD_ENV = "NFVT_EXEC_ADMIN_PASSWORD";

describe("nfvhost exec and verify --guest against the scripted IOS-XE console", () => {
  it("serial console and SSH with the day-0 user: the vNIC table, throughput level and a refused command parsed; drivers match the plan", async () => {
    const name = `nfvt-exec-${sfx}`;
    const topology = `nfvt-exec-${sfx}`;
    const image = join(dir, "exec.qcow2");
    await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
    const mac = `52:54:00:${sfx.slice(0, 2)}:${sfx.slice(2, 4)}:${sfx.slice(4, 6)}`;
    const plan: VnfPlan = {
      ...testGuestVnf({ name, image, interfaces: [macvtap(mac)] }),
      kind: "c8000v",
      // The management address is loopback, where the test's router sshd listens.
      day0: {
        mode: "autonomous",
        hostname: "c8kv-lab",
        users: { [ADMIN]: { privilege: 15, passwordEnv: ADMIN_PASSWORD_ENV } },
        nameServers: [],
        routes: [],
        interfaces: { GigabitEthernet1: { address: "127.0.0.1/8" } },
        ntp: [],
        extraConfig: [],
      },
    };
    const serial = join(dir, "exec.log");
    const ctx = { ...testGuestContext(guest, { serialLogPath: serial }), topology };
    ctx.cmdline = guestCmdline({ router: { hostname: "c8kv-lab" } });
    // The test guest is a generic image pretending to be a C8000v: render it as one (virtio NIC).
    const xml = renderDomainXml(plan, ctx);
    const virsh = new Virsh(LIBVIRT_URI);
    // exec finds the VNF's kind, day-0 user and management address in the applied plan, as after
    // `nfvhost apply`; only the fields it reads are filled in.
    const state = join(dir, "exec-state");
    await saveAppliedPlan(state, { schema: 1, topology, vnfs: [plan] } as unknown as Plan);
    const password = `Exec-${randomBytes(6).toString("hex")}`;
    await bootTestGuest(name, xml, serial, {
      timeoutMs: 90_000,
      whileRunning: async () => {
        const results = await execInVnf(
          virsh,
          { name, kind: "c8000v", plan },
          [
            "show platform software vnic-if interface-mapping",
            "show platform hardware throughput level",
            "show sdwan control connections",
          ],
          { via: "serial", timeoutMs: 20_000 },
        );
        const mapping = results[0]!.parsed as VnicMapping[];
        expect(mapping).toEqual([{ interface: "GigabitEthernet1", driver: "net_virtio", mac }]);
        expect(results[1]!.parsed).toEqual({ kbps: 1000 });
        expect(results[2]!.error).toMatch(/^% /);
        expect(checkDrivers(plan, mapping)).toEqual([
          expect.objectContaining({
            interface: "GigabitEthernet1",
            want: ["net_virtio"],
            have: "net_virtio",
            ok: true,
          }),
        ]);
        // verify --guest's evidence, through the same console.
        const checks: Check[] = [];
        await verifyGuests([plan], virsh, checks);
        expect(checks).toEqual([
          expect.objectContaining({
            subject: name,
            status: "pass",
            have: "net_virtio",
            check: `vNIC driver GigabitEthernet1 (${mac})`,
          }),
        ]);
        // A driver the plan does not expect is a failure: the same table, a VF planned there.
        const asVf: VnfPlan = {
          ...plan,
          interfaces: [{ ...plan.interfaces[0]!, type: "sriov-hostdev" } as InterfacePlan],
        };
        expect(checkDrivers(asVf, mapping)[0]).toMatchObject({
          ok: false,
          want: ["net_ixgbe_vf", "net_i40e_vf"],
        });

        // Over SSH: the router's sshd reports the vNICs libvirt gave the running domain.
        const live = (await runChecked("virsh", ["-c", LIBVIRT_URI, "dumpxml", name])).stdout;
        const nics = [
          ...live.matchAll(/<mac address='([^']+)'\/>\s*(?:<[^>]*>\s*)*?<model type='(\w+)'/g),
        ].map((m) => ({ mac: m[1]!, driver: m[2] === "virtio" ? "virtio_net" : m[2]! }));
        expect(nics).toEqual([{ mac, driver: "virtio_net" }]);
        const sshd = await startRouterSshd({ user: ADMIN, password, nics });
        process.env[ADMIN_PASSWORD_ENV] = password;
        try {
          const shows = [
            "show platform software vnic-if interface-mapping",
            "show platform hardware throughput level",
          ];
          const r = await runCli([
            "exec",
            name,
            "--via",
            "ssh",
            "--ssh-config",
            sshd.clientConfig,
            "--state",
            state,
            "--json",
            "--",
            ...shows,
          ]);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout + r.stderr).not.toContain(password);
          const doc = JSON.parse(r.stdout) as { via: string; results: ParsedCommand[] };
          expect(doc.via).toBe("ssh");
          expect(doc.results.map((x) => x.parsed)).toEqual([
            [{ interface: "GigabitEthernet1", driver: "net_virtio", mac }],
            { kbps: 1000 },
          ]);
          // The commands reached the router's sshd as the day-0 user, by password.
          expect(await sshd.commands()).toEqual(shows);

          const sshChecks: Check[] = [];
          await verifyGuests([plan], virsh, sshChecks, {
            via: "ssh",
            sshConfig: sshd.clientConfig,
            env: process.env,
          });
          expect(sshChecks).toEqual([
            expect.objectContaining({
              subject: name,
              status: "pass",
              have: "net_virtio",
              evidence: `nfvhost exec ${name} --via ssh -- "show platform software vnic-if interface-mapping"`,
            }),
          ]);

          // A wrong password: refused, the error names the variable and never a password.
          process.env[ADMIN_PASSWORD_ENV] = `${password}-wrong`;
          const bad = await runCli([
            "exec",
            name,
            "--via",
            "ssh",
            "--ssh-config",
            sshd.clientConfig,
            "--state",
            state,
            "--",
            "show version",
          ]);
          expect(bad.code).toBe(1);
          expect(bad.stderr).toContain(`$${ADMIN_PASSWORD_ENV}`);
          expect(bad.stdout + bad.stderr).not.toContain(password);
          // No password in the environment: key authentication only, and the fix says what to export.
          delete process.env[ADMIN_PASSWORD_ENV];
          const none = await runCli([
            "exec",
            name,
            "--via",
            "ssh",
            "--ssh-config",
            sshd.clientConfig,
            "--state",
            state,
            "--",
            "show version",
          ]);
          expect(none.code).toBe(1);
          expect(none.stderr).toContain(`export ${ADMIN_PASSWORD_ENV}`);
          expect(await sshd.commands()).toEqual([
            ...shows,
            "show platform software vnic-if interface-mapping",
          ]);
        } finally {
          delete process.env[ADMIN_PASSWORD_ENV];
          await sshd.stop();
        }
      },
    });
  }, 240_000);
});

async function sha256File(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/**
 * The facts of this machine with one CPU more (CPU 2, its own core on node 0) as a snapshot root.
 * The planner gives each VNF CPUs of its own and keeps a core for the host: two VNFs need three
 * CPUs, and this machine (like CI's) has two. The snapshot lets one apply plan both, and
 * {@link HostCpuVirsh} runs the planned CPU 2 on the machine's CPU 1.
 */
async function factsWithThirdCpu(root: string, netdevs: readonly string[]): Promise<void> {
  const live = await discoverHost({ root: "/" });
  expect(live.cpus.map((c) => c.id)).toContain(1);
  const one = live.cpus.find((c) => c.id === 1)!;
  const extra = { ...one, id: 2, core: Math.max(...live.cpus.map((c) => c.core)) + 1, siblings: [2] };
  writeSnapshotTree(
    {
      ...live,
      cpus: [...live.cpus.filter((c) => c.id !== 2), extra],
      nodes: live.nodes.map((n) => (n.id === one.node ? { ...n, cpus: [...n.cpus, 2] } : n)),
    },
    root,
  );
  // The tree holds PCI NICs only; the planner checks a macvtap device among the host's netdevs.
  for (const d of netdevs) await mkdir(join(root, "sys/class/net", d), { recursive: true });
}

/** Defines domains with vCPUs planned on CPU 2 (the snapshot's extra CPU) pinned to CPU 1. */
class HostCpuVirsh extends Virsh {
  readonly defined: string[] = [];
  override define(name: string, xml: string): Promise<void> {
    this.defined.push(name);
    return super.define(
      name,
      xml.replace(
        /(<vcpupin vcpu=(["'])\d+\2 cpuset=\2)2\2/g,
        (_, head: string, q: string) => `${head}1${q}`,
      ),
    );
  }
}

describe("image overlays", () => {
  it("one apply boots two VNFs from one base; the base's checksum is unchanged; destroy --delete-overlay removes them", async () => {
    const base = join(dir, "base.qcow2");
    await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", base, "32M"]);
    const before = await sha256File(base);
    const state = join(dir, "overlay-state");
    await mkdir(state, { mode: 0o755 });
    const root = join(dir, "overlay-root");
    await factsWithThirdCpu(root, [VETH]);
    const names = [`nfvt-ovl-${sfx}-a`, `nfvt-ovl-${sfx}-b`];
    const vnfs = names
      .map(
        (n, i) => `  ${n}:
    kind: generic
    image: { base: ${base}, overlay: per-vnf }
    vcpus: 1
    memory: 128MiB
    thread-policy: share
    autostart: false
    boot: { kernel: ${guest.kernel}, initrd: ${guest.initrd}, cmdline: "${guestCmdline({ holdSeconds: "forever" })}" }
    interfaces:
      - { type: macvtap, dev: ${VETH}, mac: "52:54:00:${sfx.slice(0, 2)}:${sfx.slice(2, 4)}:0${i + 1}" }`,
      )
      .join("\n");
    const file = join(dir, "overlay.yaml");
    await writeFile(
      file,
      `name: nfvt-ovl-${sfx}\nlab: true\nhost:\n  cpus: { isolate: [1, 2] }\n  hugepages: { size: 2M }\nvnfs:\n${vnfs}\n`,
    );
    const virsh = new HostCpuVirsh(LIBVIRT_URI);
    try {
      const res = await applyTopology({
        topologyFile: file,
        connect: LIBVIRT_URI,
        stateDir: state,
        root,
        dryRun: false,
        yes: [],
        adopt: false,
        allowUnlocked: false,
        stopTimeoutMs: 0,
        env: process.env,
        renderer: "silent",
        virsh,
      });
      // One apply defined and started both, each on an overlay of its own.
      expect(res.held).toEqual([]);
      expect([...virsh.defined].sort()).toEqual(names);
      expect(
        res.changes
          .filter((c) => c.kind === "domain")
          .map((c) => c.name)
          .sort(),
      ).toEqual(names);
      for (const n of names) {
        const overlay = join(state, "overlays", `${n}.qcow2`);
        const info = JSON.parse(
          (await runChecked("qemu-img", ["info", "-U", "--output=json", overlay])).stdout,
        );
        expect(info["backing-filename"]).toBe(base);
        expect(info["backing-filename-format"]).toBe("qcow2");
        const xml = (await runChecked("virsh", ["-c", LIBVIRT_URI, "dumpxml", n])).stdout;
        expect(xml).toContain(`<source file='${overlay}'`);
        // libvirt shows the base only as the overlay's read-only backing store.
        const disk = /<disk type='file' device='disk'>[\s\S]*?<\/disk>/.exec(xml)![0];
        expect(disk).toMatch(
          new RegExp(
            `<source file='${overlay}'[^>]*/>\\s*<backingStore type='file'[^>]*>\\s*<format type='qcow2'/>\\s*<source file='${base}'/>`,
          ),
        );
        // Booted: the guest's /init reported on the serial log apply set up.
        const { report } = await waitForGuest(n, serialLogPath(state, n), {
          timeoutMs: 120_000,
          untilShutOff: false,
        });
        expect(report.complete).toBe(true);
        expect((await runChecked("virsh", ["-c", LIBVIRT_URI, "domstate", n])).stdout.trim()).toBe("running");
      }
      // Both guests ran on the base at once, and neither wrote it.
      expect(await sha256File(base)).toBe(before);
      const kept = await destroyVnfs(virsh, [names[0]!], {
        all: false,
        yes: true,
        adopt: false,
        stateDir: state,
      });
      expect(kept[0]!.disks).toContain(join(state, "overlays", `${names[0]}.qcow2`));
      expect(existsSync(join(state, "overlays", `${names[0]}.qcow2`))).toBe(true);
      const gone = await destroyVnfs(virsh, [names[1]!], {
        all: false,
        yes: true,
        adopt: false,
        stateDir: state,
        deleteOverlay: true,
      });
      expect(gone[0]!.overlayDeleted).toBe(join(state, "overlays", `${names[1]}.qcow2`));
      expect(existsSync(join(state, "overlays", `${names[1]}.qcow2`))).toBe(false);
      expect(existsSync(join(state, "overlays", `${names[0]}.qcow2`))).toBe(true);
      // The overlay the first VNF left goes only with --delete-overlay, also after its domain went.
      const cli = (extra: string[]) =>
        runCli(["destroy", names[0]!, "--connect", LIBVIRT_URI, "--state", state, ...extra]);
      expect((await cli([])).code).not.toBe(0);
      expect(existsSync(join(state, "overlays", `${names[0]}.qcow2`))).toBe(true);
      const late = await cli(["--delete-overlay"]);
      expect(late.code, late.stderr).toBe(0);
      expect(late.stdout).toBe(
        `${names[0]} was destroyed before; overlay deleted: ${join(state, "overlays", `${names[0]}.qcow2`)}\n`,
      );
      expect(existsSync(join(state, "overlays", `${names[0]}.qcow2`))).toBe(false);
      expect(existsSync(base)).toBe(true);
      expect(await sha256File(base)).toBe(before);
    } finally {
      for (const n of names) await removeDomain(n);
    }
  }, 600_000);
});
