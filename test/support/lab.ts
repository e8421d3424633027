/**
 * The issue-5 lab shared by the suites that apply test/fixtures/apply/lab.yaml to the real
 * libvirtd (test/apply.test.ts, test/operate.test.ts, test/faults/libvirtd.test.ts): unique names
 * per suite, the day-0 password in the environment, the suite lock, the veth pair under the
 * guest's macvtap NIC, the filled-in topology file, and cleanup that also runs after a failure.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ApplyOptions } from "../../src/apply/index.js";
import { Virsh } from "../../src/libvirt/virsh.js";
import { acquireLockFile, processAlive, readLockInfo, type HeldLock } from "../../src/state/lock.js";
import { run, runChecked } from "../../src/util/exec.js";
import { LAB_URI, labApplyOptions } from "./apply-options.js";
import {
  ensureHugepages,
  ensureTestGuest,
  guestCmdline,
  makeGuestDir,
  removeDomain,
  uniqueSuffix,
  virsh as virshRaw,
  type TestGuest,
} from "./guest.js";

/**
 * One lab run of a suite on a host at a time: each wants CPU 1 for its guest. The file sits where
 * the suites' earlier lock (an O_EXCL pid file) lived, so a checkout still using that one and this
 * one exclude each other too.
 */
const SUITE_LOCK = "/tmp/nfvt-apply-suite/apply.lock";

/**
 * Takes the suite lock, waiting up to 20 minutes for another suite (a teammate's full `vitest run`
 * may hold it). It is flock(2), like apply's own: a killed run holds nothing. A live pid in the
 * file while the flock is free is an older checkout's pid-file lock: wait for it as well.
 */
export async function withSuiteLock(who: string): Promise<HeldLock> {
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    const before = await readLockInfo(SUITE_LOCK);
    const legacy = before !== null && before.pid !== process.pid && processAlive(before.pid);
    if (!legacy) {
      try {
        return await acquireLockFile(SUITE_LOCK, `vitest ${process.pid} ${who}`, 2000);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        continue;
      }
    }
    if (Date.now() > deadline) throw new Error(`suite lock ${SUITE_LOCK} held by pid ${before!.pid}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export interface LabNames {
  sfx: string;
  topo: string;
  vnf: string;
  veth: string;
  vethPeer: string;
  mac: string;
  hostname: string;
}

export interface LabSpec {
  /** Resource name prefix after "nfvt-": apply, faults, cap. */
  prefix: string;
  /** One letter for the interface names (nfvt<letter><sfx>a/b, within 15 characters). */
  letter: string;
  /** The suite file, named in the suite lock. */
  suite: string;
  /** Timeout of one CLI run. */
  cliTimeoutMs?: number;
  /**
   * A libvirtd of the suite's own (test/faults/support/libvirtd.ts): its URI, set in NFVHOST_CONNECT
   * for CLI runs too. It mounts its own hugetlbfs, so the host's mounts are not required.
   */
  libvirt?: { uri: string };
}

export class Lab {
  readonly names: LabNames;
  readonly uri: string;
  /** The lab fixture names this variable for the day-0 admin password. */
  readonly passwordEnv = "NFVT_APPLY_ADMIN_PASSWORD";
  readonly env: Record<string, string | undefined>;
  readonly virsh: Virsh;
  guest!: TestGuest;
  dir!: string;
  state!: string;
  image!: string;
  private lock: HeldLock | undefined;

  constructor(private readonly spec: LabSpec) {
    const sfx = uniqueSuffix();
    this.names = {
      sfx,
      topo: `nfvt-${spec.prefix}-${sfx}`,
      vnf: `nfvt-${spec.prefix}-${sfx}-r1`,
      veth: `nfvt${spec.letter}${sfx}a`,
      vethPeer: `nfvt${spec.letter}${sfx}b`,
      mac: `52:54:00:${sfx.slice(0, 2)}:${sfx.slice(2, 4)}:${sfx.slice(4, 6)}`,
      hostname: `nfvt-${sfx}`,
    };
    this.uri = spec.libvirt?.uri ?? LAB_URI;
    this.virsh = new Virsh(this.uri);
    this.env = { ...process.env, [this.passwordEnv]: `nfvt-${sfx}-Secret1` };
    if (spec.libvirt) this.env.NFVHOST_CONNECT = this.uri;
  }

  /**
   * Suite lock, test guest, hugetlbfs, a 0755 working dir with state/ and a 64 MiB disk image, and
   * the veth pair (both ends up). afterLock runs once the lock is held, before anything else.
   */
  async setUp(afterLock?: () => Promise<void>): Promise<void> {
    this.lock = await withSuiteLock(this.spec.suite);
    await afterLock?.();
    this.guest = await ensureTestGuest();
    // libvirt needs a 2 MiB hugetlbfs mount (the helper mounts one and asks for a libvirtd restart
    // if absent); a suite's own libvirtd has its own mount.
    if (!this.spec.libvirt) await ensureHugepages(2048, 0);
    this.dir = await makeGuestDir(`nfvt-${this.spec.prefix}-`);
    this.state = join(this.dir, "state");
    await mkdir(this.state, { mode: 0o755 });
    this.image = join(this.dir, "disk.qcow2");
    await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", this.image, "64M"]);
    const { veth, vethPeer } = this.names;
    await runChecked("ip", ["link", "add", veth, "type", "veth", "peer", "name", vethPeer]);
    await runChecked("ip", ["link", "set", veth, "up"]);
    await runChecked("ip", ["link", "set", vethPeer, "up"]);
  }

  /** Removes the domain, the veth pair and the working dir, and gives the suite lock back. */
  async tearDown(): Promise<void> {
    await removeDomain(this.names.vnf, this.uri);
    await run("ip", ["link", "del", this.names.veth]);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    await this.lock?.release();
  }

  /** Writes test/fixtures/apply/lab.yaml with this lab's names and paths to dir/name. */
  async writeTopology(name = "lab.yaml", over: { image?: string; kernel?: string } = {}): Promise<string> {
    const tpl = await readFile(new URL("../fixtures/apply/lab.yaml", import.meta.url), "utf8");
    const n = this.names;
    const text = tpl
      .replaceAll("@NAME@", n.topo)
      .replaceAll("@VNF@", n.vnf)
      .replaceAll("@IMAGE@", over.image ?? this.image)
      .replaceAll("@MEMORY@", "4GiB")
      .replaceAll("@KERNEL@", over.kernel ?? this.guest.kernel)
      .replaceAll("@INITRD@", this.guest.initrd)
      .replaceAll("@CMDLINE@", guestCmdline({ holdSeconds: "forever" }))
      .replaceAll("@VETH@", n.veth)
      .replaceAll("@MAC@", n.mac)
      .replaceAll("@HOSTNAME@", n.hostname);
    const file = join(this.dir, name);
    await writeFile(file, text);
    return file;
  }

  applyOptions(file: string, over: Partial<ApplyOptions> = {}): ApplyOptions {
    return labApplyOptions(file, this.state, this.env, { connect: this.uri, ...over });
  }

  /** Runs the CLI from source as its own process, as a user would. */
  cli(args: string[]) {
    return run(process.execPath, ["--import", "tsx", "test/fixtures/apply/cli.ts", ...args], {
      env: this.env,
      timeoutMs: this.spec.cliTimeoutMs ?? 120_000,
    });
  }

  /** virsh domstate, or "absent" when libvirt does not know the domain. */
  async domState(name: string): Promise<string> {
    const r = await virshRaw(["domstate", name], 60_000, this.uri);
    return r.code === 0 ? r.stdout.trim() : "absent";
  }
}

export function createLab(spec: LabSpec): Lab {
  return new Lab(spec);
}
