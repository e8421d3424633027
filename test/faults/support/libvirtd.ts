/**
 * A libvirtd (and virtlogd) of the fault suites' own, in a private mount namespace, so they can
 * stop, SIGKILL and restart a daemon without touching the machine's: the machine's libvirtd may
 * manage routers (BRIEF: tests never signal a daemon they did not start).
 *
 * The namespace (`unshare -m --propagation private`) gets
 * - a private /run: a directory of the test bound there, so the daemon's socket is reachable from
 *   outside at a known path (`qemu:///system?socket=...`) while its pid files, /run/libvirt/qemu
 *   and lock files never meet the machine's;
 * - tmpfs over /etc/libvirt (only the *.conf files copied in: none of the machine's domains,
 *   networks, pools or filters is loaded, so nothing of them is autostarted twice), /var/lib/libvirt,
 *   /var/cache/libvirt and /var/log/libvirt;
 * - its own hugetlbfs mounts (the machine's are unmounted inside it: libvirtd uses these).
 *
 * A holder shell keeps the namespace and runs virtlogd; libvirtd runs as a child of this process
 * (via nsenter), so every signal goes to a pid this process spawned and reaps. When the test
 * process dies, the holder's stdin closes: it destroys the namespace's domains and ends its
 * daemons, so a killed vitest leaves no daemon behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile, readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../../src/util/exec.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HOLDER = String.raw`
set -eu
base=$1
mkdir -p "$base/run" "$base/etc"
cp /etc/libvirt/*.conf "$base/etc/"
mount --bind "$base/run" /run
mount -t tmpfs -o mode=0755 tmpfs /etc/libvirt
cp "$base"/etc/*.conf /etc/libvirt/
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
  mkdir -p "$d"
  mount -t tmpfs -o mode=0755 tmpfs "$d"
done
for m in $(awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts); do umount -l "$m"; done
mkdir -p /run/hugepages/2M /run/hugepages/1G
mount -t hugetlbfs -o pagesize=2M hugetlbfs /run/hugepages/2M
mount -t hugetlbfs -o pagesize=1G hugetlbfs /run/hugepages/1G 2>/dev/null || rmdir /run/hugepages/1G
virtlogd &
logd=$!
echo READY
read -r _ || true
for d in $(virsh -c qemu:///system list --name 2>/dev/null); do
  virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
done
if [ -s /run/libvirtd.pid ]; then
  p=$(cat /run/libvirtd.pid)
  if [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$(readlink /proc/$$/ns/mnt)" ]; then kill "$p" 2>/dev/null || true; fi
fi
kill "$logd" 2>/dev/null || true
wait "$logd" 2>/dev/null || true
`;

export class PrivateLibvirtd {
  private holder: ChildProcess | null = null;
  private daemon: ChildProcess | null = null;
  private daemonExit: Promise<void> | null = null;
  private log = "";
  /** The directory bound on /run inside the namespace (made now: the URI is known before open). */
  readonly base = mkdtempSync("/tmp/nfvt-faults-libvirt-");

  /** The daemon's socket, as seen from outside the namespace. */
  get socket(): string {
    return join(this.base, "run", "libvirt", "libvirt-sock");
  }

  /** What nfvhost and virsh connect to: the system driver of this daemon. */
  get uri(): string {
    return `qemu:///system?socket=${this.socket}`;
  }

  /** libvirtd's pid while it runs (a child of this process), else null. */
  get pid(): number | null {
    return this.daemon?.pid ?? null;
  }

  /** The holder shell: the process whose mount namespace the daemons live in. */
  get holderPid(): number | null {
    return this.holder?.pid ?? null;
  }

  /** Creates the namespace with virtlogd, then starts libvirtd; resolves once it answers. */
  async open(): Promise<void> {
    const holder = spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", HOLDER, "sh", this.base], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.holder = holder;
    let out = "";
    holder.stdout.on("data", (b: Buffer) => (out += b.toString()));
    holder.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => holder.once("close", (code) => r(code)));
    const ready = await Promise.race([
      (async () => {
        for (let i = 0; i < 200 && !out.includes("READY"); i++) await sleep(50);
        return out.includes("READY");
      })(),
      exited.then(() => false),
    ]);
    if (!ready) throw new Error(`private libvirt namespace did not come up: ${out}`);
    await this.start();
  }

  /** The mount namespace of a process (its /proc link), or null when it is gone. */
  private static async mountNs(pid: number): Promise<string | null> {
    return readlink(`/proc/${pid}/ns/mnt`).catch(() => null);
  }

  /** Starts libvirtd inside the namespace; resolves once `virsh version` answers on its socket. */
  async start(): Promise<void> {
    if (this.daemon) throw new Error("private libvirtd already runs");
    const holderPid = this.holderPid;
    if (holderPid === null) throw new Error("private libvirt namespace not open");
    const d = spawn("nsenter", ["-t", String(holderPid), "-m", "--", "libvirtd"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.daemon = d;
    d.stderr.on("data", (b: Buffer) => (this.log = (this.log + b.toString()).slice(-20_000)));
    this.daemonExit = new Promise((r) => d.once("exit", () => r()));
    void this.daemonExit.then(() => {
      if (this.daemon === d) this.daemon = null;
    });
    for (let i = 0; i < 150; i++) {
      if (this.daemon !== d) break;
      if ((await run("virsh", ["-c", this.uri, "version"], { timeoutMs: 10_000 })).code === 0) {
        // nsenter execs libvirtd: the pid is the daemon's, and it lives in the holder's namespace.
        const [mine, its] = await Promise.all([
          PrivateLibvirtd.mountNs(holderPid),
          PrivateLibvirtd.mountNs(d.pid!),
        ]);
        if (mine === null || mine !== its)
          throw new Error(`libvirtd ${d.pid} is not in the private namespace`);
        return;
      }
      await sleep(200);
    }
    throw new Error(`private libvirtd did not answer on ${this.socket}: ${this.log.slice(-3000)}`);
  }

  /**
   * Stops the private libvirtd and waits until it is gone. SIGTERM is a clean stop (libvirtd removes
   * its socket); SIGKILL is a crash (the socket file stays, clients get "Connection refused").
   * Only ever the pid this process spawned. Returns it.
   */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number> {
    const d = this.daemon;
    if (!d?.pid) throw new Error("the private libvirtd is not running");
    const pid = d.pid;
    const gone = this.daemonExit!;
    d.kill(signal);
    const t = setTimeout(() => d.kill("SIGKILL"), 30_000);
    await gone;
    clearTimeout(t);
    this.daemon = null;
    return pid;
  }

  /** Runs fn while the private libvirtd is stopped; it is started again whatever fn does. */
  async whileStopped<T>(
    fn: (stoppedPid: number) => Promise<T>,
    signal: "SIGTERM" | "SIGKILL" = "SIGTERM",
  ): Promise<T> {
    const pid = await this.stop(signal);
    try {
      return await fn(pid);
    } finally {
      await this.start();
    }
  }

  /** Destroys the daemon's running domains, ends libvirtd, then the holder (and with it virtlogd). */
  async close(): Promise<void> {
    if (this.daemon) {
      const list = await run("virsh", ["-c", this.uri, "list", "--name"], { timeoutMs: 30_000 });
      for (const name of list.stdout.split("\n").filter(Boolean)) {
        await run("virsh", ["-c", this.uri, "destroy", name], { timeoutMs: 60_000 });
      }
      await this.stop();
    }
    const h = this.holder;
    if (h && h.exitCode === null && h.signalCode === null) {
      const done = new Promise((r) => h.once("close", r));
      h.stdin!.end();
      await done;
    }
    this.holder = null;
    // The bound directory is only a mount point inside the namespace, which is gone now.
    await rm(this.base, { recursive: true, force: true });
  }
}

/** The machine's own libvirtd, as the fault suites must leave it: pid, start time, answering. */
export interface SystemLibvirtd {
  pid: number;
  /** Clock ticks after boot (/proc/PID/stat field 22): a restarted daemon reusing the pid differs. */
  startTicks: string;
  answers: boolean;
}

/**
 * The libvirtd the machine runs (its pid file /run/libvirtd.pid, seen from this namespace), or null
 * when none runs. Read only: nothing here signals it.
 */
export async function systemLibvirtd(): Promise<SystemLibvirtd | null> {
  const pid = Number((await readFile("/run/libvirtd.pid", "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  const comm = /\((.*)\)/.exec(stat)?.[1];
  if (comm !== "libvirtd") return null;
  // Fields after the ")" of comm: state is field 3, starttime field 22.
  const startTicks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
  const answers = (await run("virsh", ["-c", "qemu:///system", "version"], { timeoutMs: 30_000 })).code === 0;
  return { pid, startTicks, answers };
}
