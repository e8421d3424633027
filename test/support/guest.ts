/**
 * A tiny test guest that really boots under libvirt on this machine (TCG): Debian's cloud kernel
 * plus a busybox initramfs whose /init prints what the guest sees to the serial console (vCPUs,
 * memory, NIC MACs, the day-0 ISO's files) between NFVT- markers, then powers off.
 *
 * Built once and cached under .cache/guest/<key>/ (gitignored; CI builds it on its first run), or
 * /var/tmp/nfvhost-test-guest-<checkout>/<key>/ when QEMU's user cannot enter the checkout.
 * The kernel comes from `apt-get download` of the package linux-image-cloud-amd64 depends on; its
 * cdrom, ISO9660 and virtio drivers are modules, so the needed ones (with their dependencies, read
 * from each module's depends=) go into the initramfs and /init insmods them.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { InterfacePlan, VnfPlan } from "../../src/plan/types.js";
import type { DomainContext } from "../../src/render/libvirt/domain.js";
import { run, runChecked } from "../../src/util/exec.js";

export const LIBVIRT_URI = "qemu:///system";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = process.env.NFVHOST_GUEST_CACHE ?? defaultCache();
const KERNEL_META_PACKAGE = "linux-image-cloud-amd64";
const BUSYBOX = "/bin/busybox";

/**
 * QEMU runs as its own user (libvirt-qemu) and opens the kernel and initramfs itself: they must
 * sit where that user can reach them. A checkout under a directory others cannot enter (a clone
 * in /root, mode 0700) keeps its guest in /var/tmp instead, one directory per checkout.
 */
function defaultCache(): string {
  if (othersCanEnter(REPO)) return join(REPO, ".cache", "guest");
  return join(
    "/var/tmp",
    `nfvhost-test-guest-${createHash("sha256").update(REPO).digest("hex").slice(0, 8)}`,
  );
}

function othersCanEnter(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/** What the guest needs from its kernel: virtio PCI + net, the i440fx IDE cdrom, ISO9660. */
const WANTED_MODULES = ["virtio_pci", "virtio_net", "ata_piix", "sr_mod", "isofs"];

/**
 * Shell functions of the scripted IOS-XE stand-in, shared by the guest's console (/init) and the
 * SSH one (test/support/router-sshd.ts): a MAC the way IOS-XE prints it, and the DPDK PMD name
 * IOS-XE shows for a Linux driver.
 */
export const ROUTER_SHELL_HELPERS = `cisco_mac() { echo "$1" | tr -d : | sed 's/^\\(....\\)\\(....\\)\\(....\\)$/\\1.\\2.\\3/'; }
pmd() {
  case "$1" in
    virtio_net) echo net_virtio ;; ixgbevf) echo net_ixgbe_vf ;; iavf|i40evf) echo net_i40e_vf ;;
    e1000) echo net_e1000_em ;; vmxnet3) echo net_vmxnet3 ;; *) echo "net_$1" ;;
  esac
}
`;

/**
 * The guest's /init. Every line the test reads starts with NFVT- so kernel messages in between do
 * not matter. `nfvt.hold=N` on the kernel command line keeps the guest running N seconds first
 * (for tests that inspect a live domain); `nfvt.hold=forever` never powers off. `nfvt.day0=wait`
 * waits for the cdrom (the SCSI scan is asynchronous), up to 30 s.
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /mnt/day0
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec 0</dev/console 1>/dev/console 2>&1
for m in $(cat /modules.list); do insmod /modules/$m.ko || echo "NFVT-WARN insmod $m failed"; done
# A scripted stand-in for an IOS-XE console (nfvt.router=iosxe): user and privileged EXEC prompts,
# and the show commands nfvhost exec and verify --guest use, printed the way IOS-XE prints them.
# The vNIC table is read from the guest's own NICs (driver, MAC), so it says what the VM really has.
${ROUTER_SHELL_HELPERS}fake_router() {
  host=$(sed -n 's/.*nfvt\\.hostname=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
  [ -n "$host" ] || host=Router
  mode=">"
  printf '\\r\\nPress RETURN to get started!\\r\\n'
  while true; do
    printf '\\r\\n%s%s' "$host" "$mode"
    IFS= read -r line || { sleep 1; continue; }
    line=$(echo "$line" | tr -d '\\r')
    case "$line" in
      "") ;;
      enable) mode="#" ;;
      disable) mode=">" ;;
      "terminal length 0"|"terminal width 0") ;;
      "show platform software vnic-if interface-mapping")
        if [ "$mode" != "#" ]; then echo "% Invalid input detected at '^' marker."; continue; fi
        echo
        echo "-------------------------------------------------------------"
        echo " Interface Name        Driver Name         Mac Addr"
        echo "-------------------------------------------------------------"
        n=1
        for nic in $(ls /sys/class/net | grep -v '^lo$' | sort -V); do
          drv=$(basename "$(readlink /sys/class/net/$nic/device/driver)")
          printf ' %-21s %-19s %s\\n' "GigabitEthernet$n" "$(pmd "$drv")" "$(cisco_mac "$(cat /sys/class/net/$nic/address)")"
          n=$((n+1))
        done
        echo "-------------------------------------------------------------"
        ;;
      "show platform hardware throughput level")
        echo "The current throughput level is 1000 kb/s" ;;
      "show sdwan control connections")
        echo "% This command is not supported in autonomous mode" ;;
      "show version")
        echo "Cisco IOS XE Software, Version 17.09.04a (nfvhost test guest: NOT a real IOS-XE)" ;;
      exit|logout) mode=">"; printf '\\r\\n%s con0 is now available\\r\\n' "$host" ;;
      *) echo "% Invalid input detected at '^' marker." ;;
    esac
  done
}
echo NFVT-GUEST-BEGIN
echo "NFVT-VCPUS=$(grep -c '^processor' /proc/cpuinfo)"
echo "NFVT-MEMTOTAL-KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
for n in /sys/class/net/*; do
  name=\${n##*/}
  [ "$name" = lo ] && continue
  echo "NFVT-NIC $name $(cat "$n/address")"
done
i=0
if grep -q 'nfvt.day0=wait' /proc/cmdline; then
  while [ ! -b /dev/sr0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
fi
if [ -b /dev/sr0 ] && mount -t iso9660 -o ro /dev/sr0 /mnt/day0; then
  for d in $(cd /mnt/day0 && find . -type d | sort); do
    [ "$d" = . ] || echo "NFVT-DAY0-DIR \${d#./}"
  done
  for f in $(cd /mnt/day0 && find . -type f | sort); do
    f=\${f#./}
    echo "NFVT-DAY0-BEGIN $f"
    cat "/mnt/day0/$f"
    echo
    echo "NFVT-DAY0-END $f"
  done
  umount /mnt/day0
else
  echo NFVT-DAY0-NONE
fi
echo NFVT-GUEST-END
if grep -q 'nfvt.router=iosxe' /proc/cmdline; then fake_router; fi
hold=$(sed -n 's/.*nfvt\\.hold=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
if [ "$hold" = forever ]; then while true; do sleep 3600; done; fi
[ -n "$hold" ] && sleep "$hold"
poweroff -f
echo o > /proc/sysrq-trigger
`;

export interface TestGuest {
  /** Absolute paths, world-readable (QEMU runs as libvirt-qemu). */
  kernel: string;
  initrd: string;
  /** e.g. 6.1.0-56-cloud-amd64 */
  kernelVersion: string;
  dir: string;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

/** The dependency list a kernel module carries in its .modinfo section ("depends=a,b"). */
function moduleDepends(ko: Buffer): string[] {
  const at = ko.indexOf("\0depends=");
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  const value = ko.subarray(at + "\0depends=".length, end).toString("latin1");
  return value === "" ? [] : value.split(",");
}

async function findModules(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith(".ko")) out.set(e.name.slice(0, -3), p);
    }
  };
  await walk(root);
  return out;
}

/** WANTED_MODULES and everything they depend on, dependencies first (insmod order). */
async function moduleClosure(modules: Map<string, string>): Promise<string[]> {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = async (name: string, chain: string[]): Promise<void> => {
    if (seen.has(name)) return;
    const path = modules.get(name);
    if (!path)
      throw new Error(
        `kernel module ${name} (needed by ${chain.join(" <- ") || "the test guest"}) is not in the kernel package`,
      );
    seen.add(name);
    for (const dep of moduleDepends(await readFile(path))) await visit(dep, [name, ...chain]);
    order.push(name);
  };
  for (const m of WANTED_MODULES) await visit(m, []);
  return order;
}

async function downloadKernel(
  work: string,
): Promise<{ kernel: string; version: string; modulesDir: string }> {
  const deps = await runChecked("apt-cache", ["depends", KERNEL_META_PACKAGE]);
  const pkg = /Depends:\s+(linux-image-\S+)/.exec(deps.stdout)?.[1];
  if (!pkg)
    throw new Error(
      `apt-cache depends ${KERNEL_META_PACKAGE} names no linux-image package (run apt-get update)`,
    );
  await runChecked("apt-get", ["download", "-q", pkg], { cwd: work, timeoutMs: 300_000 });
  const deb = (await readdir(work)).find((f) => f.startsWith(pkg) && f.endsWith(".deb"));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${work}`);
  const root = join(work, "pkg");
  await runChecked("dpkg-deb", ["-x", join(work, deb), root]);
  const version = pkg.replace(/^linux-image-/, "");
  const kernel = join(root, "boot", `vmlinuz-${version}`);
  if (!existsSync(kernel)) throw new Error(`${deb} has no boot/vmlinuz-${version}`);
  return { kernel, version, modulesDir: join(root, "lib", "modules", version) };
}

async function buildInitramfs(work: string, modulesDir: string, out: string): Promise<void> {
  const root = join(work, "initramfs");
  await mkdir(join(root, "bin"), { recursive: true });
  await mkdir(join(root, "modules"), { recursive: true });
  await copyFile(BUSYBOX, join(root, "bin", "busybox"));
  await chmod(join(root, "bin", "busybox"), 0o755);
  await writeFile(join(root, "init"), INIT_SCRIPT, { mode: 0o755 });
  const modules = await findModules(modulesDir);
  const order = await moduleClosure(modules);
  for (const m of order) await copyFile(modules.get(m)!, join(root, "modules", `${m}.ko`));
  await writeFile(join(root, "modules.list"), order.join("\n") + "\n");

  const files = [
    "bin",
    "bin/busybox",
    "init",
    "modules",
    "modules.list",
    ...order.map((m) => `modules/${m}.ko`),
  ];
  const cpio = join(work, "initramfs.cpio");
  await runChecked("cpio", ["--quiet", "-o", "-H", "newc", "-R", "0:0", "-F", cpio], {
    cwd: root,
    input: files.join("\n") + "\n",
  });
  await writeFile(out, gzipSync(await readFile(cpio)), { mode: 0o644 });
}

/** Builds the guest into .cache/guest once; later calls (and other test files) reuse it. */
export async function ensureTestGuest(): Promise<TestGuest> {
  const key = createHash("sha256")
    .update(INIT_SCRIPT)
    .update(WANTED_MODULES.join(","))
    .update(KERNEL_META_PACKAGE)
    .digest("hex")
    .slice(0, 16);
  const dir = join(CACHE, key);
  const cached = await readText(join(dir, "kernel-version"));
  if (cached) {
    return {
      kernel: join(dir, "vmlinuz"),
      initrd: join(dir, "initramfs.cpio.gz"),
      kernelVersion: cached.trim(),
      dir,
    };
  }
  await mkdir(CACHE, { recursive: true, mode: 0o755 });
  const work = await mkdtemp(join(CACHE, `build-${process.pid}-`));
  try {
    const staged = join(work, "out");
    await mkdir(staged, { mode: 0o755 });
    const k = await downloadKernel(work);
    await copyFile(k.kernel, join(staged, "vmlinuz"));
    await chmod(join(staged, "vmlinuz"), 0o644);
    await buildInitramfs(work, k.modulesDir, join(staged, "initramfs.cpio.gz"));
    await writeFile(join(staged, "kernel-version"), k.version + "\n");
    await chmod(staged, 0o755);
    try {
      await rename(staged, dir);
    } catch (e) {
      // Another test file built it at the same time: theirs is as good as ours.
      if (!existsSync(join(dir, "kernel-version"))) throw e;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // Guests built from an older /init are never used again.
  for (const old of await readdir(CACHE)) {
    if (/^[0-9a-f]{16}$/.test(old) && old !== key)
      await rm(join(CACHE, old), { recursive: true, force: true });
  }
  return ensureTestGuest();
}

/**
 * The kernel command line for the test guest: hold keeps it running that long before power-off;
 * waitForDay0 makes /init wait for the cdrom (set it whenever a day-0 ISO is attached).
 */
export function guestCmdline(
  opts: { holdSeconds?: number | "forever"; waitForDay0?: boolean; router?: { hostname: string } } = {},
): string {
  const parts = ["console=ttyS0", "quiet", "loglevel=1", "panic=-1"];
  // After its report the guest answers on its console like an IOS-XE router (never powers off).
  if (opts.router) parts.push("nfvt.router=iosxe", `nfvt.hostname=${opts.router.hostname}`);
  if (opts.holdSeconds !== undefined) parts.push(`nfvt.hold=${opts.holdSeconds}`);
  if (opts.waitForDay0) parts.push("nfvt.day0=wait");
  return parts.join(" ");
}

/** The DomainContext fields that make a rendered domain boot the test guest under TCG. */
export function testGuestContext(
  guest: TestGuest,
  opts: { serialLogPath: string; day0IsoPath?: string; holdSeconds?: number | "forever" },
): DomainContext {
  return {
    accel: "qemu",
    lockedMemory: false,
    kernel: guest.kernel,
    initrd: guest.initrd,
    cmdline: guestCmdline({ holdSeconds: opts.holdSeconds, waitForDay0: opts.day0IsoPath !== undefined }),
    serialLogPath: opts.serialLogPath,
    ...(opts.day0IsoPath !== undefined ? { day0IsoPath: opts.day0IsoPath } : {}),
  };
}

/** A VnfPlan for a test guest: 1 vCPU on CPU 1, emulator on CPU 0, 128 MiB in 2 MiB pages. */
export function testGuestVnf(opts: {
  name: string;
  image: string;
  interfaces: InterfacePlan[];
  vcpuPins?: number[];
  emulatorCpus?: number[];
  memoryKiB?: number;
  pageSizeKiB?: number;
}): VnfPlan {
  const KiB = opts.memoryKiB ?? 131072;
  const pageSizeKiB = opts.pageSizeKiB ?? 2048;
  const vcpuPins = opts.vcpuPins ?? [1];
  return {
    name: opts.name,
    kind: "generic",
    image: opts.image,
    node: 0,
    vcpus: vcpuPins.length,
    threadPolicy: "share",
    vcpuPins,
    emulatorCpus: opts.emulatorCpus ?? [0],
    memory: { KiB, pageSizeKiB, pages: KiB / pageSizeKiB, node: 0, mode: "strict" },
    interfaces: opts.interfaces,
    lab: true,
    autostart: false,
    existing: false,
  };
}

export interface GuestReport {
  vcpus: number | null;
  memTotalKiB: number | null;
  /** In the guest's interface name order (eth0, eth1...). */
  nics: { name: string; mac: string }[];
  /** Path inside the cdrom -> content; null when the guest found no cdrom. */
  day0: Record<string, string> | null;
  /** Directories on the cdrom (openstack, openstack/latest, content...). */
  day0Dirs: string[];
  warnings: string[];
  /** NFVT-GUEST-END was printed: the guest got through /init. */
  complete: boolean;
}

/** Reads the NFVT- markers out of the guest's serial output. */
export function parseGuestReport(serial: string): GuestReport {
  const lines = serial.replace(/\r/g, "").split("\n");
  const report: GuestReport = {
    vcpus: null,
    memTotalKiB: null,
    nics: [],
    day0: null,
    day0Dirs: [],
    warnings: [],
    complete: false,
  };
  let file: string | null = null;
  let content: string[] = [];
  for (const line of lines) {
    if (file !== null) {
      if (line === `NFVT-DAY0-END ${file}`) {
        // /init echoes a newline after each file so the marker starts a line.
        report.day0![file] = content.join("\n").replace(/\n$/, "");
        file = null;
      } else content.push(line);
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /NFVT-VCPUS=(\d+)/.exec(line))) report.vcpus = Number(m[1]);
    else if ((m = /NFVT-MEMTOTAL-KB=(\d+)/.exec(line))) report.memTotalKiB = Number(m[1]);
    else if ((m = /NFVT-NIC (\S+) (\S+)/.exec(line))) report.nics.push({ name: m[1]!, mac: m[2]! });
    else if ((m = /NFVT-DAY0-DIR (.+)$/.exec(line))) report.day0Dirs.push(m[1]!);
    else if ((m = /NFVT-DAY0-BEGIN (.+)$/.exec(line))) {
      report.day0 ??= {};
      file = m[1]!;
      content = [];
    } else if ((m = /NFVT-WARN (.*)$/.exec(line))) report.warnings.push(m[1]!);
    else if (line.includes("NFVT-GUEST-END")) report.complete = true;
  }
  return report;
}

/** virsh against the system libvirtd (or the fault suites' own, by its URI), argument array only. */
export function virsh(args: readonly string[], timeoutMs = 60_000, uri = LIBVIRT_URI) {
  return run("virsh", ["-c", uri, ...args], { timeoutMs });
}

/** Destroys and undefines a test domain; quiet when it is already gone. */
export async function removeDomain(name: string, uri = LIBVIRT_URI): Promise<void> {
  await virsh(["destroy", name], 60_000, uri);
  await virsh(["undefine", name], 60_000, uri);
}

async function domainState(name: string, uri = LIBVIRT_URI): Promise<string> {
  const r = await virsh(["domstate", name], 60_000, uri);
  return r.code === 0 ? r.stdout.trim() : "gone";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the guest printed NFVT-GUEST-END to its serial log (and, unless it was told to hold,
 * powered off). Rejects with the serial output so far when it does not happen in time.
 */
export async function waitForGuest(
  name: string,
  serialLogPath: string,
  opts: { timeoutMs?: number; untilShutOff?: boolean; uri?: string } = {},
): Promise<{ report: GuestReport; serial: string }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 45_000);
  const untilShutOff = opts.untilShutOff ?? true;
  for (;;) {
    // State first: a guest that stops right after this read has already written its report.
    const state = await domainState(name, opts.uri);
    const stopped = state !== "running" && state !== "paused";
    if (stopped) await sleep(200); // virtlogd's last write
    const serial = (await readText(serialLogPath)) ?? "";
    const report = parseGuestReport(serial);
    if (report.complete && (!untilShutOff || stopped)) return { report, serial };
    if (!report.complete && stopped) {
      throw new Error(
        `test guest ${name} stopped (${state}) before NFVT-GUEST-END; serial:\n${serial.slice(-3000)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `test guest ${name}: no NFVT-GUEST-END within the timeout (state ${state}); serial:\n${serial.slice(-3000)}`,
      );
    }
    await sleep(200);
  }
}

/**
 * Defines and starts a domain from XML, waits for the guest's report, and always removes the
 * domain again (also on failure). The XML must log the serial console to serialLogPath
 * (DomainContext.serialLogPath). With whileRunning, the guest must hold (guestCmdline's
 * holdSeconds): the callback inspects the live domain after the report, then the domain goes.
 */
export async function bootTestGuest(
  name: string,
  xml: string,
  serialLogPath: string,
  opts: { timeoutMs?: number; whileRunning?: (name: string) => Promise<void> } = {},
): Promise<{ report: GuestReport; serial: string; seconds: number; dumpxml: string }> {
  const dir = await mkdtemp(join(tmpdir(), "nfvt-guest-xml-"));
  const file = join(dir, `${name}.xml`);
  await writeFile(file, xml);
  const started = Date.now();
  try {
    await runChecked("virsh", ["-c", LIBVIRT_URI, "define", file]);
    await runChecked("virsh", ["-c", LIBVIRT_URI, "start", name]);
    const live = await runChecked("virsh", ["-c", LIBVIRT_URI, "dumpxml", name]);
    const out = await waitForGuest(name, serialLogPath, {
      timeoutMs: opts.timeoutMs,
      untilShutOff: !opts.whileRunning,
    });
    const seconds = (Date.now() - started) / 1000;
    if (opts.whileRunning) await opts.whileRunning(name);
    return { ...out, seconds, dumpxml: live.stdout };
  } finally {
    await removeDomain(name);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The QEMU process of a running domain (libvirt's pid file). */
export async function qemuPid(name: string): Promise<number> {
  const text = await readText(`/run/libvirt/qemu/${name}.pid`);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 1)
    throw new Error(`no QEMU pid for ${name} in /run/libvirt/qemu/${name}.pid`);
  return pid;
}

/** A unique, short suffix for test resource names (interface names stay <= 15 characters). */
export function uniqueSuffix(): string {
  return randomBytes(3).toString("hex");
}

// ------------------------------------------------------------------------------------------
// Hugepages for test domains

const PAGESIZE_MOUNT_OPTION: Record<number, string> = { 2048: "2M", 1048576: "1024M" };
const DEFAULT_MOUNTPOINT: Record<number, string> = { 2048: "/dev/hugepages", 1048576: "/dev/hugepages1G" };

async function hugetlbfsMounted(sizeKiB: number): Promise<boolean> {
  const mounts = (await readText("/proc/mounts")) ?? "";
  const want = `pagesize=${PAGESIZE_MOUNT_OPTION[sizeKiB]}`;
  return mounts
    .split("\n")
    .some((l) => l.split(" ")[2] === "hugetlbfs" && l.split(" ")[3]?.split(",").includes(want));
}

/**
 * Makes `pages` free hugepages of sizeKiB available: only ever raises the reservation (other test
 * suites may be using pages). hugetlbfs is mounted by scripts/start-test-daemons.sh before
 * libvirtd starts (libvirtd looks for the mounts only then); when it is missing this mounts it and
 * says that libvirtd needs a restart rather than killing a daemon other suites are using.
 */
export async function ensureHugepages(sizeKiB: 2048 | 1048576, pages: number): Promise<void> {
  const sys = `/sys/kernel/mm/hugepages/hugepages-${sizeKiB}kB`;
  const free = Number(await readFile(join(sys, "free_hugepages"), "utf8"));
  if (free < pages) {
    const nr = Number(await readFile(join(sys, "nr_hugepages"), "utf8"));
    // nr + pages, not nr + (pages - free): a suite racing us may take the free ones.
    await writeFile(join(sys, "nr_hugepages"), String(nr + pages));
    const after = Number(await readFile(join(sys, "free_hugepages"), "utf8"));
    if (after < pages)
      throw new Error(
        `only ${after} free ${sizeKiB} KiB hugepages after asking for ${nr + pages} (memory fragmented?)`,
      );
  }
  if (!(await hugetlbfsMounted(sizeKiB))) {
    const mountpoint = DEFAULT_MOUNTPOINT[sizeKiB]!;
    const option = `pagesize=${PAGESIZE_MOUNT_OPTION[sizeKiB]}`;
    await mkdir(mountpoint, { recursive: true });
    await runChecked("mount", ["-t", "hugetlbfs", "-o", option, "hugetlbfs", mountpoint]);
    throw new Error(
      `hugetlbfs (${option}) was not mounted; it is now, on ${mountpoint}, but the running libvirtd ` +
        "cannot see it: stop libvirtd and run scripts/start-test-daemons.sh, then run the tests again",
    );
  }
}

/** Makes a directory QEMU (running as libvirt-qemu) can traverse; mkdtemp makes them 0700. */
export async function makeGuestDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}
