/**
 * A rendered domain XML really boots on this machine: the test guest (Debian cloud kernel +
 * busybox initramfs) under TCG, 1 vCPU pinned to CPU 1, emulator on CPU 0, 128 MiB in 2 MiB
 * hugepages, a macvtap NIC (on a veth) and a bridge NIC, and the day-0 ISO as its cdrom. The
 * guest reports over the serial console what it sees; the live domain shows the pinning and the
 * hugepage mapping.
 */
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InterfacePlan } from "../src/plan/types.js";
import { parseDomainXml, renderDomainXml } from "../src/render/libvirt/index.js";
import { run, runChecked } from "../src/util/exec.js";
import type { HeldLock } from "../src/state/lock.js";
import { withSuiteLock } from "./support/lab.js";
import {
  bootTestGuest,
  ensureHugepages,
  ensureTestGuest,
  makeGuestDir,
  qemuPid,
  testGuestContext,
  testGuestVnf,
  uniqueSuffix,
  virsh,
  type TestGuest,
} from "./support/guest.js";

const sfx = uniqueSuffix();
const name = `nfvt-xml-guest-${sfx}`;
const vethHost = `nfvtg${sfx}a`;
const vethPeer = `nfvtg${sfx}b`;
const bridge = `nfvtb${sfx}`;
const macs = [
  `52:54:00:${sfx.slice(0, 2)}:${sfx.slice(2, 4)}:${sfx.slice(4, 6)}`,
  `52:54:01:${sfx.slice(0, 2)}:${sfx.slice(2, 4)}:${sfx.slice(4, 6)}`,
];
const DAY0 = "hostname nfvt-guest\ninterface GigabitEthernet1\n ip address 192.0.2.10 255.255.255.0\nend";

let guest: TestGuest;
let dir: string;
let lock: HeldLock | undefined;

beforeAll(async () => {
  // Its guest runs pinned where this host's plan puts a VNF: the suites that apply on this host
  // would see those CPUs taken (a foreign domain), so they take turns.
  lock = await withSuiteLock("test/render-libvirt-guest.test.ts");
  guest = await ensureTestGuest();
  dir = await makeGuestDir("nfvt-xml-guest-");
  await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, "disk.qcow2"), "16M"]);
  const day0Dir = join(dir, "day0");
  await mkdir(day0Dir);
  await writeFile(join(day0Dir, "iosxe_config.txt"), DAY0 + "\n");
  await runChecked("xorriso", ["-as", "mkisofs", "-quiet", "-l", "-o", join(dir, "day0.iso"), day0Dir]);
  await chmod(join(dir, "day0.iso"), 0o644);
  await runChecked("ip", ["link", "add", vethHost, "type", "veth", "peer", "name", vethPeer]);
  await runChecked("ip", ["link", "add", bridge, "type", "bridge"]);
  for (const dev of [vethHost, vethPeer, bridge]) await runChecked("ip", ["link", "set", dev, "up"]);
}, 300_000);

afterAll(async () => {
  await virsh(["destroy", name]);
  await virsh(["undefine", name]);
  await run("ip", ["link", "del", vethHost]);
  await run("ip", ["link", "del", bridge]);
  if (dir) await rm(dir, { recursive: true, force: true });
  await lock?.release();
});

describe("the test guest boots from a rendered domain XML", () => {
  it("sees 1 vCPU, its memory, both MACs in order and the day-0 file; pinning and hugepages hold", async () => {
    const interfaces: InterfacePlan[] = [
      {
        index: 0,
        guestName: "eth0",
        mac: macs[0]!,
        model: "virtio",
        type: "macvtap",
        dev: vethHost,
        mode: "bridge",
      },
      { index: 1, guestName: "eth1", mac: macs[1]!, model: "virtio", type: "bridge", bridge },
    ];
    const vnf = testGuestVnf({
      name,
      image: join(dir, "disk.qcow2"),
      interfaces,
      vcpuPins: [1],
      emulatorCpus: [0],
    });
    const serialLog = join(dir, "serial.log");
    await ensureHugepages(2048, vnf.memory.pages);
    const xml = renderDomainXml(
      vnf,
      testGuestContext(guest, {
        serialLogPath: serialLog,
        day0IsoPath: join(dir, "day0.iso"),
        holdSeconds: "forever",
      }),
    );

    const live: { vcpupin?: string; emulatorpin?: string; numaMaps?: string } = {};
    const result = await bootTestGuest(name, xml, serialLog, {
      // About 5 s on an idle 2-core machine; TCG slows down a lot when other suites load the CPUs.
      timeoutMs: 100_000,
      whileRunning: async (n) => {
        live.vcpupin = (await runChecked("virsh", ["-c", "qemu:///system", "vcpupin", n])).stdout;
        live.emulatorpin = (await runChecked("virsh", ["-c", "qemu:///system", "emulatorpin", n])).stdout;
        live.numaMaps = await readFile(`/proc/${await qemuPid(n)}/numa_maps`, "utf8");
      },
    });
    const { report } = result;
    if (process.env.NFVT_SHOW_SERIAL) console.log(result.serial, `${result.seconds} s to the report`);
    expect(report.complete, result.serial).toBe(true);
    expect(report.warnings).toEqual([]);
    expect(report.vcpus).toBe(1);
    // MemTotal is the guest's RAM minus what its kernel keeps: well above half, never above 128 MiB.
    expect(report.memTotalKiB).toBeGreaterThan(131072 * 0.6);
    expect(report.memTotalKiB).toBeLessThanOrEqual(131072);
    expect(report.nics).toEqual([
      { name: "eth0", mac: macs[0] },
      { name: "eth1", mac: macs[1] },
    ]);
    expect(report.day0).toEqual({ "iosxe_config.txt": DAY0 });

    // The running domain keeps what we rendered: TCG, 2 MiB pages, pins, the ISO as cdrom.
    const running = parseDomainXml(result.dumpxml);
    expect(running.type).toBe("qemu");
    expect(running.memoryBacking?.hugepages?.pages).toEqual([{ sizeKiB: 2048 }]);
    expect(running.cputune).toEqual({ vcpupins: [{ vcpu: 0, cpuset: "1" }], emulatorpin: { cpuset: "0" } });
    expect(running.devices.disks.map((d) => [d.device, d.source])).toEqual([
      ["disk", join(dir, "disk.qcow2")],
      ["cdrom", join(dir, "day0.iso")],
    ]);
    expect(running.devices.interfaces.map((i) => [i.type, i.mac])).toEqual([
      ["direct", macs[0]],
      ["bridge", macs[1]],
    ]);
    expect(live.vcpupin).toMatch(/^\s*0\s+1\s*$/m);
    expect(live.emulatorpin).toMatch(/^\s*\*:\s+0\s*$/m);
    // The guest's RAM is a hugetlbfs mapping of 2 MiB pages.
    expect(live.numaMaps).toMatch(/huge.*kernelpagesize_kB=2048/);
  }, 120_000);

  it("without a cdrom the guest says so, and it powers itself off (on_poweroff destroy)", async () => {
    const quiet = `${name}-off`;
    const serialLog = join(dir, "serial-off.log");
    const vnf = testGuestVnf({ name: quiet, image: join(dir, "disk.qcow2"), interfaces: [] });
    await ensureHugepages(2048, vnf.memory.pages);
    try {
      const result = await bootTestGuest(
        quiet,
        renderDomainXml(vnf, testGuestContext(guest, { serialLogPath: serialLog })),
        serialLog,
        {
          timeoutMs: 100_000,
        },
      );
      expect(result.report.complete, result.serial).toBe(true);
      expect(result.report.day0).toBeNull();
      expect(result.serial).toContain("NFVT-DAY0-NONE");
      expect(result.report.nics).toEqual([]);
      // bootTestGuest returned only once the domain left "running"; libvirt then destroyed it.
      const state = await virsh(["domstate", quiet]);
      expect(state.code).not.toBe(0);
    } finally {
      await virsh(["destroy", quiet]);
      await virsh(["undefine", quiet]);
    }
  }, 120_000);
});
