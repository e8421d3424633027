/**
 * Records the virsh stories of test/replay/story.ts on this machine's real libvirtd (TCG test
 * guest, as the real-daemon suites run it) into test/fixtures/virsh-sessions/. Run it again when
 * apply, verify or rollback ask libvirt something new (a replay test then fails with
 * NFV-TEST-REPLAY naming the call):
 *
 *   node --import tsx test/replay/record.ts [STORY...]
 *
 * All stories are recorded together: they share the snapshot, which holds this run's bridge.
 * It takes the real suites' lock, makes a bridge, a work directory and names of its own
 * (nfvt-rec-*), snapshots this host (facts for the stories; sysfs is written under a copy of the
 * snapshot, never to this host) and removes everything it made, also on failure.
 */
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { snapshotHost } from "../../src/facts/snapshot.js";
import { run, runChecked, spawnRunner, withRunner } from "../../src/util/exec.js";
import { RecordingRunner } from "../../src/util/recorded.js";
import {
  ensureHugepages,
  ensureTestGuest,
  makeGuestDir,
  removeDomain,
  uniqueSuffix,
} from "../support/guest.js";
import keepHugepagePools from "../support/hugepages-restore.js";
import { withSuiteLock } from "../support/lab.js";
import {
  HOST_SNAPSHOT,
  PASSWORD,
  PASSWORD_ENV,
  RECORDED_PROGRAMS,
  SESSIONS,
  copyRoot,
  loadFixture,
  placeholders,
  writeTopologies,
  type StepRecord,
  type StoryEnv,
  type StoryFixture,
  type StoryNames,
} from "./story.js";
import { STORIES, type Story } from "./stories.js";

const URI = "qemu:///system";

/** A line about a step's result, for the one who records (what to assert in the replay). */
function summary(r: unknown): string {
  if (r && typeof r === "object" && "changes" in r) {
    const a = r as { changes: { summary: string }[]; held: { what: string }[] };
    return JSON.stringify({ changes: a.changes.map((c) => c.summary), held: a.held.map((h) => h.what) });
  }
  if (r && typeof r === "object" && "checks" in r) {
    const v = r as { checks: { subject: string; check: string; status: string }[] };
    return JSON.stringify(v.checks.filter((c) => c.status !== "pass").map((c) => `${c.check}: ${c.status}`));
  }
  return JSON.stringify(r)?.slice(0, 400) ?? "";
}
const virsh = (args: string[]) => run("virsh", ["--connect", URI, ...args]);

/**
 * qemu's /proc evidence of the VNF as files under procDir (verify reads them with procRoot), and
 * the host's hugepage counters of this moment under the story's root.
 */
async function captureProc(e: StoryEnv, procDir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const pidFile = `run/libvirt/qemu/${e.names.vnf}.pid`;
  const pid = (await readFile(join("/", pidFile), "utf8")).trim();
  files[`${procDir}/${pidFile}`] = `${pid}\n`;
  // Of numa_maps, verify reads the hugepage mappings (the guest's memory); the rest is left out.
  files[`${procDir}/proc/${pid}/numa_maps`] = (await readFile(`/proc/${pid}/numa_maps`, "utf8"))
    .split("\n")
    .filter((l) => / huge /.test(l))
    .map((l) => `${l}\n`)
    .join("");
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    for (const f of ["stat", "status"]) {
      const text = await readFile(`/proc/${pid}/task/${tid}/${f}`, "utf8");
      // Of status, verify reads the allowed CPUs; the rest is kept out of the fixture.
      files[`${procDir}/proc/${pid}/task/${tid}/${f}`] =
        f === "stat" ? text : text.replace(/^(?!(Name|State|Tgid|Pid|Cpus_allowed_list):).*\n/gm, "");
    }
  }
  // The host's hugepage counters now (verify compares them with the plan), into the story's root.
  const hp = "sys/devices/system/node/node0/hugepages/hugepages-2048kB";
  for (const dir of [hp, "sys/kernel/mm/hugepages/hugepages-2048kB"]) {
    for (const f of ["nr_hugepages", "free_hugepages"]) {
      const live = await readFile(join("/", dir, f), "utf8").catch(() => null);
      if (live !== null) files[`${relative(e.dir, e.root)}/${dir}/${f}`] = live;
    }
  }
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(e.dir, rel, ".."), { recursive: true });
    await writeFile(join(e.dir, rel), text);
  }
  return files;
}

async function recordStory(
  story: Story,
  base: string,
  names: StoryNames,
  guest: { kernel: string; initrd: string },
) {
  const dir = join(base, story.name);
  const state = join(dir, "state");
  await mkdir(state, { recursive: true, mode: 0o755 });
  await copyFile(guest.kernel, join(dir, "vmlinuz"));
  await copyFile(guest.initrd, join(dir, "initrd.img"));
  for (const disk of ["disk", "disk-p1", "disk-p2", "disk-p3"])
    await runChecked("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, `${disk}.qcow2`), "64M"]);
  let roots = 0;
  const e: StoryEnv = {
    names,
    dir,
    state,
    root: await copyRoot(join(dir, "root")),
    uri: URI,
    env: { ...process.env, [PASSWORD_ENV]: PASSWORD },
    rootFor: () => copyRoot(join(dir, `root-${++roots}`)),
  };
  await writeTopologies(e);
  const p = placeholders(e);
  const steps: StepRecord[] = [];
  try {
    for (const step of story.steps) {
      if (step.hand) {
        const files = await step.hand(e, { virsh, captureProc: (d) => captureProc(e, d) });
        if (files) steps.push({ id: step.id, calls: [], files });
        continue;
      }
      const rec = new RecordingRunner(p, spawnRunner, RECORDED_PROGRAMS);
      const outcome = await withRunner(rec, () => step.run!(e)).then(
        (r) => `ok ${summary(r)}`,
        (err: unknown) => `error: ${(err as Error).message}`,
      );
      process.stdout.write(`${story.name} ${step.id}: ${rec.calls.length} calls, ${outcome.slice(0, 300)}\n`);
      steps.push({ id: step.id, calls: rec.calls });
    }
  } finally {
    // The VNF, the parallel story's three and the domains it defines by hand beside them.
    for (const n of [names.vnf, ...["p1", "p2", "p3", "f1", "o1"].map((p) => `${names.topo}-${p}`)])
      await removeDomain(n);
    await virsh(["net-destroy", names.net]);
    await virsh(["net-undefine", names.net]);
  }
  const fixture: StoryFixture = {
    schema: 1,
    story: story.name,
    about: story.about,
    recorded: new Date().toISOString(),
    names,
    steps,
  };
  await writeFile(join(SESSIONS, `${story.name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
}

/**
 * Story names on the command line record only those, on the snapshot the others were recorded
 * with (its bridge is made again under the same name): the fixtures of the others stay as they are.
 */
const only = process.argv.slice(2);
const unknown = only.filter((n) => !STORIES.some((s) => s.name === n));
if (unknown.length > 0)
  throw new Error(`no story ${unknown.join(", ")} (stories: ${STORIES.map((s) => s.name).join(", ")})`);
const kept = only.length > 0 ? STORIES.find((s) => !only.includes(s.name)) : undefined;
const sfx = uniqueSuffix();
const names: StoryNames = {
  topo: `nfvt-rec-${sfx}`,
  vnf: `nfvt-rec-${sfx}-r1`,
  bridge: kept ? (await loadFixture(kept.name)).names.bridge : `nfvtq${sfx}`,
  net: `nfvt-rec-${sfx}-lan`,
  mac: `52:54:00:${sfx.slice(0, 2)}:${sfx.slice(2, 4)}:${sfx.slice(4, 6)}`,
  hostname: `nfvt-${sfx}`,
};
const lock = await withSuiteLock("test/replay/record.ts");
// Recording raises the 2 MiB pool for its guests; the machine gets its pools back at the end (as
// the vitest runs do), lowered only by free pages.
const restorePools = await keepHugepagePools();
let base = "";
try {
  const guest = await ensureTestGuest();
  await ensureHugepages(2048, 2048);
  base = await makeGuestDir("nfvt-rec-");
  await runChecked("ip", ["link", "add", names.bridge, "type", "bridge"]);
  await runChecked("ip", ["link", "set", names.bridge, "up"]);
  if (!kept) {
    // The stories' facts: this host with the bridge the network sits on.
    await rm(HOST_SNAPSHOT, { recursive: true, force: true });
    await mkdir(SESSIONS, { recursive: true });
    await snapshotHost(HOST_SNAPSHOT);
  }
  for (const story of STORIES) {
    if (only.length === 0 || only.includes(story.name)) await recordStory(story, base, names, guest);
  }
} finally {
  await removeDomain(names.vnf);
  await run("ip", ["link", "del", names.bridge]);
  if (base) await rm(base, { recursive: true, force: true });
  await restorePools();
  await lock.release();
}
// Killed applies of the stories are still pending (by design): leave now.
process.exit(0);
