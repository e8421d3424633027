/**
 * The stories test/replay/record.ts records and the replay tests replay, step by step. Each step
 * is one command of nfvhost (apply, verify, rollback, destroy) or something an operator does by
 * hand between two of them (recorded only through its effect on the next step's answers).
 */
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { applyTopology } from "../../src/apply/index.js";
import { readStatus } from "../../src/apply/status.js";
import { Virsh } from "../../src/libvirt/virsh.js";
import { verifyTopology } from "../../src/verify/index.js";
import { PARALLEL_STORY } from "./parallel.js";
import type { RunResult } from "../../src/util/exec.js";
import {
  applyOptions,
  destroy,
  killedApply,
  rollback,
  verify,
  type KillPoint,
  type StoryEnv,
} from "./story.js";

export interface HandTools {
  virsh: (args: string[]) => Promise<RunResult>;
  /** Copies qemu's /proc evidence of the VNF under $DIR/<dir>; returns the files. */
  captureProc: (dir: string) => Promise<Record<string, string>>;
}

export interface StoryStep {
  id: string;
  run?: (e: StoryEnv) => Promise<unknown>;
  hand?: (e: StoryEnv, t: HandTools) => Promise<Record<string, string> | void>;
}

export interface Story {
  name: string;
  about: string;
  steps: StoryStep[];
}

const must = async (r: Promise<RunResult>) => {
  const x = await r;
  if (x.code !== 0) throw new Error(`${x.args.join(" ")}: ${x.stderr}`);
};

export const KILL_POINTS: KillPoint[] = [
  "before-stop",
  "after-stop",
  "before-define",
  "after-define",
  "before-start",
  "after-start",
];

const apply = (id: string, topology: Parameters<typeof applyOptions>[1], over = {}): StoryStep => ({
  id,
  run: (e) => applyTopology(applyOptions(e, topology, over)),
});
const applyYes = (id: string, topology: Parameters<typeof applyOptions>[1]): StoryStep => ({
  id,
  run: (e) => applyTopology(applyOptions(e, topology, { yes: [e.names.vnf] })),
});

export const STORIES: Story[] = [
  {
    name: "lifecycle",
    about:
      "one VNF's life on a host: first apply (network, hugepages, day-0 ISO, domain), converged second apply, verify passing, drift by hand (vCPU re-pinned, VNF paused, network autostart off) that verify finds and apply fixes, a redefinition held without --yes and done with it, its rollback, a redefinition whose start fails (undone on the spot), destroy without and with --yes, rollback of the destroy, redefinitions killed at each sub-step and rolled back",
    steps: [
      apply("first-apply", "v1"),
      apply("second-apply", "v1"),
      { id: "proc-1", hand: (_e, t) => t.captureProc("proc-1") },
      { id: "verify-pass", run: (e) => verify(e, "proc-1") },
      {
        id: "status",
        run: (e) =>
          readStatus(new Virsh(e.uri), {
            threads: true,
            topology: e.names.topo,
            procRoot: join(e.dir, "proc-1"),
          }),
      },
      {
        id: "drift",
        hand: async (e, t) => {
          await must(t.virsh(["vcpupin", e.names.vnf, "0", "0", "--live", "--config"]));
          await must(t.virsh(["suspend", e.names.vnf]));
          await must(t.virsh(["net-autostart", "--disable", e.names.net]));
        },
      },
      { id: "proc-2", hand: (_e, t) => t.captureProc("proc-2") },
      { id: "verify-drift", run: (e) => verify(e, "proc-2") },
      apply("drift-fix", "v1"),
      // Re-pinned live only (no --config): the definition still says CPU 1.
      { id: "repin-live", hand: async (e, t) => must(t.virsh(["vcpupin", e.names.vnf, "0", "0"])) },
      { id: "proc-3", hand: (_e, t) => t.captureProc("proc-3") },
      { id: "verify-repin-live", run: (e) => verify(e, "proc-3") },
      apply("repin-live-fix", "v1"),
      apply("redefine-held", "v2"),
      applyYes("redefine", "v2"),
      { id: "rollback-redefine", run: (e) => rollback(e, [e.names.vnf]) },
      applyYes("redefine-fails", "no-image"),
      { id: "destroy-refused", run: (e) => destroy(e, false) },
      { id: "destroy", run: (e) => destroy(e, true) },
      { id: "rollback-destroy", run: (e) => rollback(e) },
      ...KILL_POINTS.flatMap((point): StoryStep[] => [
        {
          id: `kill-${point}`,
          run: async (e) => killedApply(e, await e.rootFor!(point), "v2", point),
        },
        { id: `rollback-${point}`, run: (e) => rollback(e, [e.names.vnf]) },
      ]),
      { id: "destroy-all-refused", run: (e) => destroy(e, false, true) },
      { id: "destroy-all", run: (e) => destroy(e, true, true) },
    ],
  },
  {
    name: "fresh",
    about:
      "a new VNF on a host: dry run, a first apply whose start fails (missing kernel; the domain is removed on the spot), rollback of that failed run, a first apply and its rollback, a domain of the same name nfvhost did not create (held; adopted), a network of the same name nfvhost did not create (held with the domain on it; adopted; the adoption rolled back)",
    steps: [
      apply("dry-run", "v1", { dryRun: true }),
      apply("start-fails", "no-kernel"),
      { id: "rollback-failed", run: (e) => rollback(e) },
      apply("first-apply", "v1"),
      { id: "rollback-first", run: (e) => rollback(e, [e.names.vnf]) },
      {
        id: "foreign",
        hand: async (e, t) => {
          // Same name, another UUID, no nfvhost metadata: someone else's domain.
          const xml = join(e.dir, "foreign.xml");
          await writeFile(
            xml,
            `<domain type='qemu'><name>${e.names.vnf}</name><uuid>6d3f0b8e-0000-4000-8000-000000000001</uuid><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`,
          );
          await must(t.virsh(["define", xml]));
        },
      },
      apply("foreign-held", "v1"),
      { id: "destroy-foreign-refused", run: (e) => destroy(e, true) },
      apply("adopt", "v1", { adopt: true }),
      {
        id: "foreign-net",
        hand: async (e, t) => {
          // The network replaced by someone else's of the same name: no nfvhost mark, not started.
          await must(t.virsh(["net-destroy", e.names.net]));
          await must(t.virsh(["net-undefine", e.names.net]));
          const xml = join(e.dir, "foreign-net.xml");
          await writeFile(
            xml,
            `<network><name>${e.names.net}</name><forward mode='bridge'/><bridge name='${e.names.bridge}'/></network>`,
          );
          await must(t.virsh(["net-define", xml]));
        },
      },
      apply("net-held", "v1"),
      apply("net-adopt", "v1", { adopt: true }),
      { id: "rollback-net-adopt", run: (e) => rollback(e, [e.names.vnf]) },
      { id: "shut-off", hand: async (e, t) => must(t.virsh(["destroy", e.names.vnf])) },
      // No procRoot: the VNF runs nowhere, so verify finds no qemu process of it on this host.
      {
        id: "verify-shut-off",
        run: (e) =>
          verifyTopology({
            topologyFile: join(e.dir, "v1.yaml"),
            connect: e.uri,
            stateDir: e.state,
            root: e.root,
            env: {},
            persist: false,
          }),
      },
    ],
  },
  PARALLEL_STORY,
  {
    name: "foreign-running",
    about:
      "a running domain of the VNF's name that nfvhost did not create (tiny TCG domain, one unpinned vCPU, no disk): a dry run and an apply hold it with the fix naming --adopt --yes NAME, --adopt alone still holds it (a running VM is never stopped without consent), --adopt --yes NAME takes it over (stopped, redefined as the VNF, started), rollback gives the foreign definition back, running",
    steps: [
      {
        id: "foreign-running",
        hand: async (e, t) => {
          // Same name, another UUID, no nfvhost metadata, and running: someone else's live VM.
          const xml = join(e.dir, "foreign-running.xml");
          await writeFile(
            xml,
            `<domain type='qemu'><name>${e.names.vnf}</name><uuid>6d3f0b8e-0000-4000-8000-000000000002</uuid><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`,
          );
          await must(t.virsh(["define", xml]));
          await must(t.virsh(["start", e.names.vnf]));
        },
      },
      apply("dry-run", "v1", { dryRun: true }),
      apply("running-held", "v1"),
      apply("adopt-held", "v1", { adopt: true }),
      {
        id: "adopt-yes",
        run: (e) => applyTopology(applyOptions(e, "v1", { adopt: true, yes: [e.names.vnf] })),
      },
      { id: "rollback-adopt", run: (e) => rollback(e, [e.names.vnf]) },
    ],
  },
];
