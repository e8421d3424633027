/**
 * The pipeline every command runs up to where it needs: load the topology -> discover the host ->
 * read what runs now (libvirt) -> plan -> what this host can do (preflight) -> desired state ->
 * live state of what the desired state names. apply diffs and converges the result, verify
 * proves it, plan and the UI show it.
 */
import { discoverHost } from "../facts/discover.js";
import type { HostFacts } from "../facts/types.js";
import { readDomains, toDeployedVnf, type LiveDomain } from "../libvirt/deployed.js";
import { networkOwner } from "../libvirt/network-owner.js";
import type { NetworkListEntry } from "../libvirt/parse.js";
import type { Virsh } from "../libvirt/virsh.js";
import { planDeployment } from "../plan/planner.js";
import type { Plan } from "../plan/types.js";
import { loadAppliedPlan } from "../state/applied.js";
import { loadTopology } from "../topology/load.js";
import type { ParsedTopology } from "../topology/types.js";
import { mapLimit, READ_CONCURRENCY } from "../util/concurrency.js";
import type { Desired, LiveState } from "../desired/types.js";
import { renderDay0, saltSeed } from "../desired/day0.js";
import { buildDesired } from "../desired/desired.js";
import { readMaybe, readSysfs, underRoot } from "../host/files.js";
import { memlockRaisable, preflight, type PreflightResult } from "../desired/preflight.js";
import { TopologyDoesNotFit } from "../plan/misfit-error.js";
import { deployedFromPlan } from "../plan/deployed.js";

export interface PrepareOptions {
  topologyFile: string;
  /** Host root for facts, sysfs and files ("/" on a host; a snapshot copy in tests). */
  root: string;
  stateDir: string;
  accel?: "kvm" | "tcg";
  allowUnlocked: boolean;
  env: Readonly<Record<string, string | undefined>>;
  yes?: string[];
  createState?: boolean;
  /** The topology, when the caller started loading it already (apply does, during its ping). */
  parsed?: Promise<ParsedTopology>;
}

export interface ApplyContext {
  parsed: ParsedTopology;
  facts: HostFacts;
  plan: Plan;
  pre: PreflightResult;
  desired: Desired;
  live: LiveState;
}

/** What libvirt runs, read once per run: domains (with their XML), autostart flags, networks. */
export interface LibvirtSnapshot {
  domains: LiveDomain[];
  autostart: Set<string>;
  networks: NetworkListEntry[];
}

/** The three reads are independent: each its own virsh process, run side by side. */
export async function readLibvirt(virsh: Virsh): Promise<LibvirtSnapshot> {
  const [domains, autostart, networks] = await Promise.all([
    readDomains(virsh),
    // One `list --autostart` for every domain instead of one `dominfo` each.
    virsh.autostartDomains(),
    virsh.listNetworks(),
  ]);
  return { domains, autostart, networks };
}

/**
 * Live state for the diff. `snapshot` is what the caller already read from libvirt (prepare reads
 * it for the planner): reading libvirt once per run keeps plan and diff on the same snapshot and
 * saves a `list` plus one or two `dumpxml` per domain on the host.
 */
export async function readLive(
  virsh: Virsh,
  desired: Desired,
  root: string,
  snapshot?: LibvirtSnapshot,
): Promise<LiveState> {
  const { domains: listed, autostart, networks: netList } = snapshot ?? (await readLibvirt(virsh));
  const domains: LiveState["domains"] = new Map();
  for (const d of listed) domains.set(d.name, { ...d, autostart: autostart.has(d.name) });
  const networks: LiveState["networks"] = new Map();
  const wanted = netList.filter((n) => desired.networks.some((w) => w.name === n.name));
  const xmls = await mapLimit(wanted, READ_CONCURRENCY, (n) => virsh.netDumpXml(n.name, { inactive: true }));
  wanted.forEach((n, i) => {
    const xml = xmls[i]!;
    networks.set(n.name, {
      name: n.name,
      active: n.active,
      autostart: n.autostart,
      xml,
      managed: networkOwner(xml) !== null,
    });
  });
  const sysfs = new Map<string, string | null>();
  for (const s of desired.sysfs) sysfs.set(s.path, await readSysfs(root, s.path));
  const files = new Map<string, Buffer | null>();
  for (const f of desired.nm) files.set(f.path, await readMaybe(underRoot(root, f.path)));
  const isoDigests = new Map<string, string | null>();
  for (const iso of desired.isos) {
    const iso0 = await readMaybe(iso.path);
    const dig = await readMaybe(`${iso.path}.sha256`);
    isoDigests.set(iso.path, iso0 && dig ? dig.toString("utf8").trim() : null);
  }
  return { domains, networks, sysfs, files, isoDigests };
}

/** Everything up to the change set; shared by apply, --dry-run and verify. */
export async function prepare(opts: PrepareOptions, virsh: Virsh): Promise<ApplyContext> {
  // libvirt is read while the topology is validated and the host discovered (virsh runs in its
  // own processes); nothing here changes anything, and apply holds its lock already.
  const libvirt = readLibvirt(virsh);
  libvirt.catch(() => undefined); // awaited below; a bad topology file must not leave it unhandled
  const parsed = await (opts.parsed ?? loadTopology(opts.topologyFile));
  const facts = await discoverHost({ root: opts.root });
  const snapshot = await libvirt;
  const liveDomains = snapshot.domains;
  const applied = await loadAppliedPlan(opts.stateDir, parsed.topology.name);
  const byName = new Map(parsed.topology.vnfs.map((v) => [v.name, v]));
  // A VNF named in --yes whose size changed in the file is re-planned from scratch; otherwise it
  // keeps its place (and its hugepages are not counted twice).
  const replan = new Set(
    (opts.yes ?? []).filter((n) => {
      const spec = byName.get(n);
      const p = applied?.vnfs.find((v) => v.name === n);
      return !p || !spec || spec.vcpus !== p.vcpus || spec.memoryKiB !== p.memory.KiB;
    }),
  );
  // Running VNFs stay where the last apply put them (a hand re-pin is drift to undo); other
  // managed domains hold their CPUs too. A VNF named in --yes may be re-planned from scratch.
  const deployed = liveDomains
    .filter((d) => d.managed && d.state !== "shut off" && !replan.has(d.name))
    .map((d) => {
      const p = applied?.vnfs.find((v) => v.name === d.name);
      const now = toDeployedVnf(d, facts);
      // Where the last apply placed it; its VFs and MACs as they are now.
      return p ? { ...deployedFromPlan(p), vfs: now.vfs, macs: now.macs } : now;
    });
  const result = planDeployment(facts, parsed.topology, deployed);
  if (!result.ok) throw new TopologyDoesNotFit(result.problems, parsed);
  const plan = result.plan;
  const pre = await preflight(
    facts,
    plan,
    { accel: opts.accel, lab: parsed.topology.lab, allowUnlocked: opts.allowUnlocked, memlockRaisable },
    () => true,
  );
  const day0 = await renderDay0(plan, opts.env, await saltSeed(opts.stateDir, opts.createState ?? false));
  const desired = await buildDesired(plan, facts, pre, {
    uuids: Object.fromEntries(liveDomains.filter((d) => d.config.uuid).map((d) => [d.name, d.config.uuid!])),
    root: opts.root,
    stateDir: opts.stateDir,
    topologyName: parsed.topology.name,
    day0,
  });
  const live = await readLive(virsh, desired, opts.root, snapshot);
  return { parsed, facts, plan, pre, desired, live };
}
