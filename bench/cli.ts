/**
 * CLI latency: `nfvhost plan` + `nfvhost render` of the seed deployment (whole process, built CLI)
 * versus `virt-install --print-xml` producing the same domain (8 vCPUs pinned 1-8, emulator 37-44,
 * 8 GiB of 1G pages, numatune strict node 0, host-passthrough, the macvtap NIC and the SR-IOV pool
 * NIC, disk import). Median of N runs. virt-install only writes the XML from pins given by hand;
 * nfvhost plans them and renders every artifact, so it does more work in its time.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../src/util/exec.js";
import { compareDomains } from "./domain-compare.js";
import type { Unavailable } from "./placement.js";
import { unavailable } from "./placement.js";
import { virtInstallPeer } from "./peers.js";
import { lastLine, median, timeRun } from "./stats.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = join(ROOT, "bin", "nfvhost.js");
export const SEED_TOPOLOGY = join(ROOT, "examples", "topologies", "seed-csr1kv.yaml");
export const SEED_ROOT = join(ROOT, "examples", "hosts", "seed-c240m5");

/** Environment for nfvhost runs: the seed's day-0 reads its password from here (bench-only value). */
export const BENCH_ENV = { ...process.env, CSR_ADMIN_PASSWORD: "nfvb-bench-only-Pw1", NO_COLOR: "1" };

export interface CliSection {
  runs: number;
  nfvhost: {
    planMs: number | Unavailable;
    renderMs: number | Unavailable;
    totalMs: number | Unavailable;
    /** `nfvhost --version`: loading the CLI, the fixed cost inside every command's time. */
    startupMs: number | Unavailable;
  };
  /** `node -e 0`: the runtime's own start, for reference. */
  nodeStartMs: number;
  virtInstall:
    | {
        printXmlMs: number;
        version: string;
        /** Tuning facts compared with nfvhost's rendered csr1kv-1.xml (null: nothing rendered). */
        sameDomain: { fields: number; differences: string[] } | null;
      }
    | Unavailable;
}

let commandsCache: Promise<Set<string> | Unavailable> | null = null;
/** Sub-commands the built CLI offers, read from its --help. */
export function cliCommands(): Promise<Set<string> | Unavailable> {
  commandsCache ??= (async () => {
    const r = await run(process.execPath, [BIN, "--help"], { env: BENCH_ENV, timeoutMs: 60_000 });
    if (r.code !== 0) return unavailable(`bin/nfvhost.js --help failed: ${lastLine(r.stderr || r.stdout)}`);
    const section = r.stdout.split(/^Commands:\s*$/m)[1] ?? "";
    return new Set([...section.matchAll(/^\s{2}([a-z][\w-]*)/gm)].map((m) => m[1]!));
  })();
  return commandsCache;
}

/** Median wall time of an nfvhost command, or why it cannot be measured. */
async function timeNfvhost(cmd: string, args: string[], runs: number): Promise<number | Unavailable> {
  const commands = await cliCommands();
  if (typeof commands === "string") return commands;
  if (!commands.has(cmd)) return unavailable(`nfvhost ${cmd} not available (not in the built CLI yet)`);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, result } = await timeRun(process.execPath, [BIN, cmd, ...args], {
      env: BENCH_ENV,
      cwd: ROOT,
      timeoutMs: 120_000,
    });
    if (result.code !== 0) {
      return unavailable(`nfvhost ${cmd} exit ${result.code}: ${lastLine(result.stderr || result.stdout)}`);
    }
    times.push(ms);
  }
  return median(times);
}

async function timeNfvhostVersion(runs: number): Promise<number | Unavailable> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, result } = await timeRun(process.execPath, [BIN, "--version"], { env: BENCH_ENV, cwd: ROOT });
    if (result.code !== 0)
      return unavailable(`nfvhost --version exit ${result.code}: ${lastLine(result.stderr)}`);
    times.push(ms);
  }
  return median(times);
}

/** The seed domain as virt-install arguments. */
export function virtInstallArgs(disk: string, uri: string): string[] {
  const pins = Array.from({ length: 8 }, (_, i) => `vcpupin${i}.vcpu=${i},vcpupin${i}.cpuset=${i + 1}`).join(
    ",",
  );
  return [
    "--connect",
    uri,
    "--print-xml",
    "--name",
    "csr1kv-1",
    "--memory",
    "8192",
    "--vcpus",
    "8,placement=static",
    "--cpu",
    "host-passthrough,check=none",
    "--memorybacking",
    "hugepages.page0.size=1,hugepages.page0.unit=G,locked=on,nosharepages=on",
    "--cputune",
    `${pins},emulatorpin.cpuset=37-44`,
    "--numatune",
    "nodeset=0,mode=strict",
    "--disk",
    `path=${disk},format=qcow2,bus=virtio`,
    "--import",
    "--network",
    "type=direct,source=eno1,source.mode=bridge,mac=52:54:00:36:95:f0,model=virtio",
    "--network",
    "network=eno2_sriov_pool,mac=52:54:00:2d:87:99",
    "--osinfo",
    "detect=on,require=off",
    "--graphics",
    "none",
    "--serial",
    "pty",
    "--console",
    "pty",
    "--rng",
    "/dev/urandom",
    "--memballoon",
    "none",
    "--controller",
    "type=usb,model=none",
    "--noautoconsole",
  ];
}

async function timeVirtInstall(runs: number, rendered: string | null): Promise<CliSection["virtInstall"]> {
  const peer = await virtInstallPeer();
  if (!peer.ok) return unavailable(peer.reason);
  const dir = mkdtempSync(join(tmpdir(), "nfvb-cli-"));
  try {
    const disk = join(dir, "csr1000v.qcow2");
    const img = await run("qemu-img", ["create", "-q", "-f", "qcow2", disk, "1G"]).catch(() => null);
    if (!img || img.code !== 0) return unavailable("qemu-img create failed (qemu-utils missing?)");
    // The system libvirtd when it runs (what users point virt-install at), else libvirt's test driver.
    const probe = await run("virsh", ["-c", "qemu:///system", "uri"], { timeoutMs: 20_000 }).catch(
      () => null,
    );
    const uri = probe && probe.code === 0 ? "qemu:///system" : "test:///default";
    const times: number[] = [];
    let xml = "";
    for (let i = 0; i < runs; i++) {
      const { ms, result } = await timeRun("virt-install", virtInstallArgs(disk, uri), {
        timeoutMs: 120_000,
      });
      if (result.code !== 0 || !result.stdout.includes("<domain")) {
        return unavailable(`virt-install --print-xml exit ${result.code}: ${lastLine(result.stderr)}`);
      }
      times.push(ms);
      xml = result.stdout;
    }
    return {
      printXmlMs: median(times),
      version: `${peer.detail} (${uri})`,
      sameDomain: rendered ? compareDomains(rendered, xml) : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function cliLatencyBench(opts: { runs: number }): Promise<CliSection> {
  const planMs = await timeNfvhost("plan", [SEED_TOPOLOGY, "--root", SEED_ROOT], opts.runs);
  const out = mkdtempSync(join(tmpdir(), "nfvb-render-"));
  let renderMs: number | Unavailable;
  let rendered: string | null = null;
  try {
    renderMs = await timeNfvhost("render", [SEED_TOPOLOGY, "--root", SEED_ROOT, "--out", out], opts.runs);
    const domainXml = join(out, "libvirt", "domains", "csr1kv-1.xml");
    if (typeof renderMs === "number" && existsSync(domainXml)) rendered = readFileSync(domainXml, "utf8");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const totalMs =
    typeof planMs === "number" && typeof renderMs === "number"
      ? planMs + renderMs
      : unavailable(typeof planMs === "string" ? planMs.slice(13) : String(renderMs).slice(13));
  const startupMs = await timeNfvhostVersion(opts.runs);
  const nodeStart: number[] = [];
  for (let i = 0; i < opts.runs; i++) nodeStart.push((await timeRun(process.execPath, ["-e", "0"])).ms);
  return {
    runs: opts.runs,
    nfvhost: { planMs, renderMs, totalMs, startupMs },
    nodeStartMs: median(nodeStart),
    virtInstall: await timeVirtInstall(opts.runs, rendered),
  };
}
