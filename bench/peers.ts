/**
 * The bench's peers (Nova, virt-install) come from Debian packages. The bench installs a missing
 * one itself when it runs as root with apt-get, and otherwise reports exactly why it is missing:
 * a peer's column then says "unavailable: <reason>", never a made-up figure.
 */
import { existsSync } from "node:fs";
import { run } from "../src/util/exec.js";

export type Availability = { ok: true; detail: string } | { ok: false; reason: string };

const tried = new Map<string, Promise<Availability>>();

async function aptInstall(pkg: string, noRecommends: boolean): Promise<Availability> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    return {
      ok: false,
      reason: `${pkg} not installed and the bench is not root (apt-get install -y ${pkg})`,
    };
  }
  if (!existsSync("/usr/bin/apt-get"))
    return { ok: false, reason: `${pkg} not installed and no apt-get here` };
  const args = ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq"];
  if (noRecommends) args.push("--no-install-recommends");
  process.stderr.write(`bench: installing ${pkg} with apt-get (once)...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = await run("apt-get", [...args, pkg], { env, timeoutMs: 900_000 });
  if (r.code !== 0 && /Unable to locate|no installation candidate/i.test(r.stderr + r.stdout)) {
    await run("apt-get", ["-o", "DPkg::Lock::Timeout=600", "update", "-qq"], { env, timeoutMs: 600_000 });
    r = await run("apt-get", [...args, pkg], { env, timeoutMs: 900_000 });
  }
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split("\n").slice(-2).join(" | ");
    return { ok: false, reason: `apt-get install ${pkg} failed (exit ${r.code}): ${tail}` };
  }
  return { ok: true, detail: `installed ${pkg}` };
}

/** Probes a peer, installs its package once when the probe fails, probes again. */
export function ensurePeer(
  pkg: string,
  probe: () => Promise<Availability>,
  opts: { noRecommends?: boolean; install?: boolean } = {},
): Promise<Availability> {
  const key = pkg;
  let p = tried.get(key);
  if (!p) {
    p = (async () => {
      const first = await probe();
      if (first.ok || opts.install === false) return first;
      const inst = await aptInstall(pkg, opts.noRecommends ?? false);
      if (!inst.ok) return { ok: false, reason: `${first.reason}; ${inst.reason}` };
      return probe();
    })();
    tried.set(key, p);
  }
  return p;
}

export function novaPeer(install = true): Promise<Availability> {
  return ensurePeer(
    "python3-nova",
    async () => {
      if (!existsSync("/usr/bin/python3")) return { ok: false, reason: "/usr/bin/python3 missing" };
      const r = await run(
        "/usr/bin/python3",
        ["-c", "import nova.virt.hardware, nova.version; print(nova.version.version_string())"],
        { timeoutMs: 120_000 },
      );
      if (r.code !== 0) return { ok: false, reason: "python3-nova not importable (nova.virt.hardware)" };
      return { ok: true, detail: `nova ${r.stdout.trim()}` };
    },
    { install },
  );
}

export function virtInstallPeer(install = true): Promise<Availability> {
  return ensurePeer(
    "virtinst",
    async () => {
      const r = await run("virt-install", ["--version"], { timeoutMs: 60_000 }).catch(() => null);
      if (!r || r.code !== 0)
        return { ok: false, reason: "virt-install not on PATH (Debian package virtinst)" };
      return { ok: true, detail: `virt-install ${r.stdout.trim()}` };
    },
    { install, noRecommends: true },
  );
}
