/**
 * Apply: time to define and start N tiny emulated (TCG) test domains through `nfvhost apply`
 * versus the same `virsh define` + `virsh start` sequence by hand, on the real libvirtd
 * (qemu:///system). Every domain is named nfvb-<role>-<pid>-<i> and removed afterwards, even on
 * failure; the guests have no disk and 64 MiB, so they only need to reach QEMU start.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "xmlbuilder2";
import { run } from "../src/util/exec.js";
import { BENCH_ENV, BIN, ROOT, cliCommands } from "./cli.js";
import type { Unavailable } from "./placement.js";
import { unavailable } from "./placement.js";
import { lastLine, timeRun } from "./stats.js";

const URI = "qemu:///system";

export interface ApplyFigures {
  domains: number;
  totalMs: number;
  perDomainMs: number;
}

export interface ApplySection {
  domains: number;
  byHand: (ApplyFigures & { defineMs: number; startMs: number }) | Unavailable;
  nfvhost: ApplyFigures | Unavailable;
}

/** A minimal TCG domain: what `virsh define` needs to start a QEMU process and nothing more. */
export function tinyDomainXml(name: string): string {
  const doc = create({ version: "1.0" }).ele("domain", { type: "qemu" });
  doc.ele("name").txt(name);
  doc.ele("memory", { unit: "MiB" }).txt("64");
  doc.ele("vcpu", { placement: "static" }).txt("1");
  const os = doc.ele("os");
  os.ele("type", { arch: "x86_64", machine: "pc" }).txt("hvm");
  const dev = doc.ele("devices");
  dev.ele("serial", { type: "pty" });
  dev.ele("console", { type: "pty" });
  dev.ele("memballoon", { model: "none" });
  return doc.end({ prettyPrint: true });
}

async function virsh(args: string[]) {
  return run("virsh", ["-c", URI, ...args], { timeoutMs: 120_000 });
}

/** Destroys and undefines every domain of this run's prefix; never touches any other domain. */
async function cleanup(prefix: string): Promise<void> {
  const list = await virsh(["list", "--all", "--name"]).catch(() => null);
  if (!list || list.code !== 0) return;
  for (const name of list.stdout.split("\n").map((s) => s.trim())) {
    if (!name.startsWith(prefix)) continue;
    await virsh(["destroy", name]);
    await virsh(["undefine", name, "--nvram"]).then((r) => (r.code === 0 ? r : virsh(["undefine", name])));
  }
}

async function libvirtReachable(): Promise<Unavailable | null> {
  const r = await virsh(["uri"]).catch(() => null);
  if (!r) return unavailable("virsh not installed (libvirt-clients)");
  if (r.code !== 0) return unavailable(`libvirtd not reachable on ${URI}: ${lastLine(r.stderr)}`);
  return null;
}

async function byHand(n: number): Promise<ApplySection["byHand"]> {
  const down = await libvirtReachable();
  if (down) return down;
  const prefix = `nfvb-hand-${process.pid}-`;
  const dir = mkdtempSync(join(tmpdir(), "nfvb-apply-"));
  try {
    let defineMs = 0;
    let startMs = 0;
    for (let i = 0; i < n; i++) {
      const name = `${prefix}${i}`;
      const file = join(dir, `${name}.xml`);
      writeFileSync(file, tinyDomainXml(name));
      const d = await timeRun("virsh", ["-c", URI, "define", file], { timeoutMs: 120_000 });
      if (d.result.code !== 0) return unavailable(`virsh define failed: ${lastLine(d.result.stderr)}`);
      const s = await timeRun("virsh", ["-c", URI, "start", name], { timeoutMs: 120_000 });
      if (s.result.code !== 0) return unavailable(`virsh start failed: ${lastLine(s.result.stderr)}`);
      defineMs += d.ms;
      startMs += s.ms;
    }
    const totalMs = defineMs + startMs;
    return { domains: n, defineMs, startMs, totalMs, perDomainMs: totalMs / n };
  } finally {
    await cleanup(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * nfvhost's side: a lab topology of N one-vCPU VNFs applied with `nfvhost apply --yes`. It needs
 * the apply command in the built CLI; until then the section says so.
 */
async function throughNfvhost(n: number): Promise<ApplySection["nfvhost"]> {
  const commands = await cliCommands();
  if (typeof commands === "string") return commands;
  if (!commands.has("apply")) return unavailable("nfvhost apply not available (not in the built CLI yet)");
  const down = await libvirtReachable();
  if (down) return down;
  const prefix = `nfvb-app-${process.pid}-`;
  const dir = mkdtempSync(join(tmpdir(), "nfvb-apply-"));
  try {
    const image = join(dir, "disk.qcow2");
    const img = await run("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]).catch(() => null);
    if (!img || img.code !== 0) return unavailable("qemu-img create failed (qemu-utils missing?)");
    const vnfs = Array.from(
      { length: n },
      (_, i) =>
        `  ${prefix}${i}:\n    kind: generic\n    image: ${image}\n    vcpus: 1\n    memory: 64MiB\n` +
        `    thread-policy: share\n`,
    ).join("");
    const file = join(dir, "bench-apply.yaml");
    writeFileSync(
      file,
      `name: nfvb-apply\nlab: true\nhost:\n  cpus:\n    isolate: auto\n  hugepages:\n    size: 2M\n` +
        `vnfs:\n${vnfs}`,
    );
    const r = await timeRun(process.execPath, [BIN, "apply", file, "--yes"], {
      env: BENCH_ENV,
      cwd: ROOT,
      timeoutMs: 600_000,
    });
    if (r.result.code !== 0) {
      return unavailable(
        `nfvhost apply exit ${r.result.code}: ${lastLine(r.result.stderr || r.result.stdout)}`,
      );
    }
    return { domains: n, totalMs: r.ms, perDomainMs: r.ms / n };
  } finally {
    await cleanup(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function applyBench(opts: { domains: number }): Promise<ApplySection> {
  return {
    domains: opts.domains,
    byHand: await byHand(opts.domains),
    nfvhost: await throughNfvhost(opts.domains),
  };
}
