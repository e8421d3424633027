/**
 * Apply: time to define and start N tiny emulated (TCG) test domains through `nfvhost apply`
 * versus the same `virsh define` + `virsh start` sequence by hand, on the real libvirtd
 * (qemu:///system). Every domain is named nfvb-<role>-<pid>-<i> and removed afterwards, even on
 * failure. This 2-CPU machine fits one isolated VNF at a time (CPU 0 stays the host's), so each of
 * the N rounds applies a one-VNF lab topology, and the by-hand side defines the XML nfvhost renders
 * for the same VNF. Each nfvhost round also runs the same apply a second time (it must report no
 * changes): that converged re-run is nfvhost's fixed cost without the define and start.
 */
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "xmlbuilder2";
import { run } from "../src/util/exec.js";
import { BENCH_ENV, BIN, ROOT, cliCommands } from "./cli.js";
import type { Unavailable } from "./placement.js";
import { unavailable } from "./placement.js";
import { lastLine, timeRun } from "./stats.js";
import { computeChanges, type Desired } from "../src/apply/changes.js";
import { executeChange } from "../src/apply/execute.js";
import { readLive } from "../src/apply/index.js";
import { DOMAIN_CONCURRENCY, runChanges } from "../src/apply/schedule.js";
import { Virsh } from "../src/libvirt/virsh.js";
import type { VnfPlan } from "../src/plan/types.js";
import { Journal } from "../src/state/journal.js";

const URI = "qemu:///system";

export interface ApplyFigures {
  domains: number;
  totalMs: number;
  perDomainMs: number;
}

export interface ApplySection {
  domains: number;
  /** Where the by-hand side's domain XML came from. */
  xml: string;
  byHand: (ApplyFigures & { defineMs: number; startMs: number }) | Unavailable;
  /**
   * rerunMs: the same apply run again right after (nothing to change: "no changes ... converged"),
   * total over the rounds: the fixed cost of reading the host, planning and diffing.
   */
  nfvhost: (ApplyFigures & { rerunMs: number; rerunPerDomainMs: number }) | Unavailable;
  /**
   * apply's execution of one change set holding all N new domains (read live state, diff, journal,
   * define + start + autostart each), in this process: once with the domain steps one after another
   * (`serialMs`, concurrency 1: what apply did before) and once side by side (`parallelMs`, apply's
   * DOMAIN_CONCURRENCY), alternated `rounds` times; figures are the means. This 2-CPU machine cannot
   * plan N VNFs in one topology (one isolated CPU), so the same rendered XML as the by-hand side is
   * fed to the engine directly; a whole apply adds its fixed per-run cost (the converged re-run).
   */
  engine?:
    | { domains: number; rounds: number; concurrency: number; serialMs: number; parallelMs: number }
    | Unavailable;
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

/** This host's 2 MiB hugepage pools, per NUMA node (sysfs path -> pages). */
function hugepagePools(): Map<string, number> {
  const pools = new Map<string, number>();
  const base = "/sys/devices/system/node";
  let nodes: string[] = [];
  try {
    nodes = readdirSync(base).filter((n) => /^node\d+$/.test(n));
  } catch {
    return pools; // no NUMA sysfs: nothing to size or give back
  }
  for (const n of nodes) {
    const path = join(base, n, "hugepages/hugepages-2048kB/nr_hugepages");
    try {
      pools.set(path, Number(readFileSync(path, "utf8").trim()));
    } catch {
      // no 2 MiB pool on that node
    }
  }
  return pools;
}

/** Writes pools back (the bench gives the operator's machine back as it found it). */
function setPools(pools: Map<string, number>): void {
  for (const [path, pages] of pools) {
    try {
      writeFileSync(path, String(pages));
    } catch {
      // not root: the bench's apply rounds would have failed already and said why
    }
  }
}

async function libvirtReachable(): Promise<Unavailable | null> {
  const r = await virsh(["uri"]).catch(() => null);
  if (!r) return unavailable("virsh not installed (libvirt-clients)");
  if (r.code !== 0) return unavailable(`libvirtd not reachable on ${URI}: ${lastLine(r.stderr)}`);
  return null;
}

/** A lab topology with one tiny VNF: what this 2-CPU machine fits (one isolated CPU, one VNF). */
function labTopology(vnf: string, image: string): string {
  return [
    "name: nfvb-apply",
    "lab: true",
    "host:",
    "  cpus:",
    "    isolate: auto",
    "  hugepages:",
    "    size: 2M",
    "vnfs:",
    `  ${vnf}:`,
    "    kind: generic",
    `    image: ${image}`,
    "    vcpus: 1",
    "    memory: 64MiB",
    "",
  ].join("\n");
}

/**
 * The domain XML for the by-hand side: what `nfvhost render` writes for the same VNF, so both sides
 * define the same domain; without <locked/> when this host cannot lock guest memory (apply drops it
 * too, with a warning). Falls back to a minimal TCG domain when render is not available.
 */
async function handXml(dir: string, vnf: string, image: string, canRender: boolean): Promise<string> {
  if (!canRender) return tinyDomainXml(vnf);
  const file = join(dir, `${vnf}.yaml`);
  writeFileSync(file, labTopology(vnf, image));
  const out = join(dir, `render-${vnf}`);
  // The XML's serial log (STATE/console/) lives in the bench's own directory, made as
  // libvirt/domains.sh makes it before `virsh start` (virtlogd needs the directory).
  const state = join(dir, "state-hand");
  const r = await run(process.execPath, [BIN, "render", file, "--out", out, "--state", state], {
    env: BENCH_ENV,
    cwd: ROOT,
  });
  if (r.code !== 0) throw new Error(`nfvhost render exit ${r.code}: ${lastLine(r.stderr || r.stdout)}`);
  mkdirSync(join(state, "console"), { recursive: true, mode: 0o755 });
  const xml = readFileSync(join(out, "libvirt", "domains", `${vnf}.xml`), "utf8");
  const doc = create(xml);
  const locked = doc.root().find((n) => n.node.nodeName === "locked", false, true);
  if (locked && !(await memlockAllowed())) locked.remove();
  return doc.end({ prettyPrint: true });
}

/** Whether this host lets QEMU lock guest memory (RLIMIT_MEMLOCK can be raised). */
async function memlockAllowed(): Promise<boolean> {
  const r = await run("prlimit", ["--pid", String(process.pid), "--memlock=unlimited:unlimited"]).catch(
    () => null,
  );
  return r !== null && r.code === 0;
}

function applyOnce(file: string, dir: string) {
  return timeRun(
    process.execPath,
    [BIN, "apply", file, "--yes", "--state", join(dir, "state"), "--connect", URI],
    {
      env: BENCH_ENV,
      cwd: ROOT,
      timeoutMs: 600_000,
    },
  );
}

/** apply refused because another VNF holds the free core (nothing was changed). */
function busy(stderr: string): boolean {
  return /free (cores|isolated CPUs) on node \d+ .*0 are left/.test(stderr);
}

interface Round {
  ms: number;
  defineMs?: number;
  startMs?: number;
  rerunMs?: number;
}

function figures(rounds: Round[]): ApplyFigures {
  const totalMs = rounds.reduce((a, r) => a + r.ms, 0);
  return { domains: rounds.length, totalMs, perDomainMs: totalMs / Math.max(1, rounds.length) };
}

/** One engine run: N new domains from `xmls` through readLive, computeChanges and runChanges. */
async function engineOnce(dir: string, xmls: { name: string; xml: string }[], concurrency: number) {
  const virshApi = new Virsh(URI);
  // The XML was rendered with --state DIR/state-hand: apply's steps use the paths it names.
  const state = join(dir, "state-hand");
  const desired: Desired = {
    sysfs: [],
    nm: [],
    isos: [],
    networks: [],
    domains: xmls.map((d) => ({
      vnf: { name: d.name } as VnfPlan,
      name: d.name,
      xml: d.xml,
      autostart: true,
    })),
  };
  const t0 = performance.now();
  const set = computeChanges(desired, await readLive(virshApi, desired, "/"), {
    yes: new Set(),
    adopt: false,
    topologyName: "nfvb-engine",
  });
  const journal = await new Journal(state).begin("nfvb-engine", URI);
  const exec = {
    virsh: virshApi,
    journal,
    root: "/",
    stateDir: state,
    stopTimeoutMs: 0,
    notes: [] as string[],
  };
  await runChanges(set.changes, (c) => executeChange(c, exec), { renderer: "silent", concurrency });
  await journal.finish("complete");
  return performance.now() - t0;
}

/** The engine figures: serial and side by side, alternated, each round's domains removed after it. */
async function engineBench(
  dir: string,
  domains: number,
  rounds: number,
  canRender: boolean,
): Promise<NonNullable<ApplySection["engine"]>> {
  const prefix = `nfvb-eng-${process.pid}-`;
  const xmls: { name: string; xml: string }[] = [];
  for (let i = 0; i < domains; i++) {
    const name = `${prefix}${i}`;
    const image = join(dir, `${name}.qcow2`);
    copyFileSync(join(dir, "base.qcow2"), image);
    xmls.push({ name, xml: await handXml(dir, name, image, canRender) });
  }
  const ms = { serial: [] as number[], parallel: [] as number[] };
  // The engine defines all N at once, each 64 MiB of 2 MiB pages bound to node 0 (what apply's plan
  // of one VNF reserved is enough for one): the pool of node 0 is raised for them, as apply would.
  const node0 = [...hugepagePools()].find(([path]) => path.includes("/node0/"));
  if (node0 && node0[1] < domains * 32) setPools(new Map([[node0[0], domains * 32]]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ["serial", "parallel"] as const) {
        ms[mode].push(await engineOnce(dir, xmls, mode === "serial" ? 1 : DOMAIN_CONCURRENCY));
        await cleanup(prefix);
      }
    }
  } catch (e) {
    return unavailable(`apply engine: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    await cleanup(prefix);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    domains,
    rounds,
    concurrency: DOMAIN_CONCURRENCY,
    serialMs: mean(ms.serial),
    parallelMs: mean(ms.parallel),
  };
}

export async function applyBench(opts: { domains: number; engineRounds?: number }): Promise<ApplySection> {
  const down = await libvirtReachable();
  if (down) return { domains: opts.domains, byHand: down, nfvhost: down, xml: "none" };
  const commands = await cliCommands();
  const has = (cmd: string) => typeof commands !== "string" && commands.has(cmd);
  const nfvhostMissing: Unavailable | null =
    typeof commands === "string"
      ? commands
      : has("apply")
        ? null
        : unavailable("nfvhost apply not available (not in the built CLI yet)");
  const handPrefix = `nfvb-hand-${process.pid}-`;
  const appPrefix = `nfvb-app-${process.pid}-`;
  const dir = mkdtempSync(join(tmpdir(), "nfvb-apply-"));
  // QEMU runs as its own user: it must be able to reach the images (libvirt chowns the files).
  chmodSync(dir, 0o755);
  const hand: Round[] = [];
  const app: Round[] = [];
  // nfvhost apply raises the pool its plan needs and keeps it (desired state); the bench's own
  // domains are gone afterwards, so the pools go back to what they were before the bench.
  const poolsBefore = hugepagePools();
  let handFailed: Unavailable | null = null;
  let appFailed: Unavailable | null = nfvhostMissing;
  let engine: ApplySection["engine"];
  try {
    const img = await run("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, "base.qcow2"), "16M"]).catch(
      () => null,
    );
    if (!img || img.code !== 0) {
      const why = unavailable("qemu-img create failed (qemu-utils missing?)");
      return { domains: opts.domains, byHand: why, nfvhost: why, xml: "none" };
    }
    // Rounds alternate between the two sides so that load drift on a shared machine hits both alike;
    // each round defines and starts one domain, then removes it (untimed).
    for (let i = 0; i < opts.domains; i++) {
      if (!appFailed) {
        const vnf = `${appPrefix}${i}`;
        const image = join(dir, `${vnf}.qcow2`);
        copyFileSync(join(dir, "base.qcow2"), image);
        const file = join(dir, `${vnf}.yaml`);
        writeFileSync(file, labTopology(vnf, image));
        // Other suites' test VNFs on this shared machine can hold the one free core for a while:
        // apply then refuses (and changes nothing); wait for it rather than report a failure.
        let r = await applyOnce(file, dir);
        for (let attempt = 1; r.result.code !== 0 && busy(r.result.stderr) && attempt < 20; attempt++) {
          await new Promise((res) => setTimeout(res, 3000));
          r = await applyOnce(file, dir);
        }
        if (r.result.code !== 0) {
          appFailed = unavailable(
            `nfvhost apply exit ${r.result.code}: ${lastLine(r.result.stderr || r.result.stdout)}`,
          );
        } else {
          // The same apply again: nothing may change (idempotence), and its time is the fixed cost.
          const again = await applyOnce(file, dir);
          if (again.result.code !== 0 || !/no changes: .* is converged/.test(again.result.stdout)) {
            appFailed = unavailable(
              `nfvhost apply re-run did not converge (exit ${again.result.code}): ${lastLine(again.result.stderr || again.result.stdout)}`,
            );
          } else {
            app.push({ ms: r.ms, rerunMs: again.ms });
          }
        }
        await cleanup(appPrefix);
      }
      if (!handFailed) {
        const vnf = `${handPrefix}${i}`;
        const image = join(dir, `${vnf}.qcow2`);
        copyFileSync(join(dir, "base.qcow2"), image);
        const file = join(dir, `${vnf}.xml`);
        try {
          writeFileSync(file, await handXml(dir, vnf, image, has("render")));
        } catch (e) {
          handFailed = unavailable((e as Error).message);
          continue;
        }
        const d = await timeRun("virsh", ["-c", URI, "define", file], { timeoutMs: 120_000 });
        const s =
          d.result.code === 0
            ? await timeRun("virsh", ["-c", URI, "start", vnf], { timeoutMs: 120_000 })
            : null;
        if (d.result.code !== 0)
          handFailed = unavailable(`virsh define failed: ${lastLine(d.result.stderr)}`);
        else if (!s || s.result.code !== 0)
          handFailed = unavailable(`virsh start failed: ${lastLine(s?.result.stderr ?? "")}`);
        else hand.push({ ms: d.ms + s.ms, defineMs: d.ms, startMs: s.ms });
        await cleanup(handPrefix);
      }
    }
    engine = await engineBench(dir, opts.domains, opts.engineRounds ?? 3, has("render"));
  } finally {
    await cleanup(appPrefix);
    await cleanup(handPrefix);
    setPools(poolsBefore);
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    domains: opts.domains,
    xml: has("render") ? "nfvhost render (same domain on both sides)" : "bench minimal TCG domain",
    byHand: handFailed ?? {
      ...figures(hand),
      defineMs: hand.reduce((a, r) => a + (r.defineMs ?? 0), 0),
      startMs: hand.reduce((a, r) => a + (r.startMs ?? 0), 0),
    },
    nfvhost: appFailed ?? {
      ...figures(app),
      rerunMs: app.reduce((a, r) => a + (r.rerunMs ?? 0), 0),
      rerunPerDomainMs: app.reduce((a, r) => a + (r.rerunMs ?? 0), 0) / Math.max(1, app.length),
    },
    engine,
  };
}
