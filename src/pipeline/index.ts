/**
 * The pipeline every command runs up to where it needs: load the topology -> discover the host ->
 * what runs now (every libvirt domain) -> plan -> (for apply and verify) what this host can do
 * (preflight) -> desired state -> live state of what the desired state names. `plan`, `render`,
 * `apply`, `verify` and the dashboard all call it, so on one host they place VNFs the same way.
 */
import { discoverHost } from "../facts/discover.js";
import type { HostFacts } from "../facts/types.js";
import type { LiveDomain } from "../libvirt/deployed.js";
import type { NetworkListEntry } from "../libvirt/parse.js";
import { isUnreachable, type Virsh } from "../libvirt/virsh.js";
import { planDeployment } from "../plan/planner.js";
import type { DeployedVnf, Plan, PlanResult } from "../plan/types.js";
import { loadAppliedPlan } from "../state/applied.js";
import { loadTopology } from "../topology/load.js";
import type { ParsedTopology } from "../topology/types.js";
import { mapLimit, READ_CONCURRENCY } from "../util/concurrency.js";
import { formatCpuList } from "../util/cpulist.js";
import type { Desired, LiveState } from "../desired/types.js";
import { readMaybe, readSysfs, resolveInRoot } from "../host/files.js";
import { bootFirmware, hostExecutor, type HostExecutor } from "../host/executor.js";
import { readSetting, type HostReading } from "../host/settings.js";
import type { PreflightResult } from "../desired/preflight.js";
import { TopologyDoesNotFit } from "../plan/misfit-error.js";
import { deployedFromPlan } from "../plan/deployed.js";
import { NfvError, NfvErrors } from "../util/errors.js";

export { bindHost, uriKind, type HostBinding } from "./host.js";

/** What libvirt runs, read once per run: domains (with their XML), autostart flags, networks. */
export interface LibvirtSnapshot {
  domains: LiveDomain[];
  autostart: Set<string>;
  networks: NetworkListEntry[];
}

/** A running domain nfvhost did not create: its resources are taken, it is never touched. */
export interface ForeignDomain {
  name: string;
  state: string;
  /** CPUs its vCPUs may run on (every CPU of each vcpupin set); empty when not pinned. */
  cpus: number[];
  emulatorCpus: number[];
  /** NUMA nodes its memory is bound to (numatune); empty when not bound. */
  nodes: number[];
  memoryKiB: number;
  /** Hugepage size it is backed by; null for ordinary pages. */
  hugepageSizeKiB: number | null;
}

/** "What runs now", read one way for every command. */
export interface RunningNow {
  /** Every domain libvirt lists (empty without libvirt). */
  libvirt: LibvirtSnapshot;
  /** nfvhost's own running domains, placed where the applied plan put them, and foreign ones. */
  deployed: DeployedVnf[];
  foreign: ForeignDomain[];
  /** How each foreign domain counts, in words for the plan output. */
  notes: string[];
}

export interface PipelineInput {
  /** The parsed topology (commands parse once and pass it on), or a promise of it. */
  parsed: ParsedTopology | Promise<ParsedTopology>;
  /** Facts source: "/" for this host, a snapshot root otherwise. */
  root: string;
  /** libvirt of the host; null when none belongs to the facts (a snapshot of another machine). */
  virsh: Virsh | null;
  /** Where the applied plan is kept; null: none (nothing nfvhost applied is known). */
  stateDir: string | null;
  /** VNFs the caller may move (apply --yes): re-planned when their size changed. */
  yes?: string[];
  /** apply --adopt: a foreign domain of a VNF's name named in `yes` is taken over, not counted. */
  adopt?: boolean;
  /** Facts already discovered (the dashboard caches them). */
  facts?: HostFacts | Promise<HostFacts>;
  /**
   * plan and render on a host whose libvirtd does not run yet (a host being prepared): plan as if
   * no VM runs, and say so. apply and verify need libvirt and fail instead.
   */
  libvirtOptional?: boolean;
  /** Running VMs given by hand (plan --deployed FILE, for a snapshot): added to what runs now. */
  deployed?: DeployedVnf[];
  /** How long exact placement may search when not every VNF fits (plan --time-limit). */
  timeLimitS?: number;
}

export interface PipelineResult {
  parsed: ParsedTopology;
  facts: HostFacts;
  running: RunningNow;
  applied: Plan | null;
  result: PlanResult;
}

const EMPTY: LibvirtSnapshot = { domains: [], autostart: new Set(), networks: [] };

/** The three reads are independent: each its own virsh process, run side by side. */
export async function readLibvirt(virsh: Virsh): Promise<LibvirtSnapshot> {
  // The XML parser loads only when there is a libvirt to read (plan of a snapshot starts faster).
  const { readDomains } = await import("../libvirt/deployed.js");
  const [domains, autostart, networks] = await Promise.all([
    readDomains(virsh),
    // One `list --autostart` for every domain instead of one `dominfo` each.
    virsh.autostartDomains(),
    virsh.listNetworks(),
  ]);
  return { domains, autostart, networks };
}

function foreignOf(d: LiveDomain): ForeignDomain {
  // The live definition: what it really uses now (a live re-pin counts).
  const s = d.summary;
  const cpus = [...new Set(Object.values(s.vcpuPins).flat())].sort((a, b) => a - b);
  return {
    name: d.name,
    state: d.state,
    cpus,
    emulatorCpus: s.emulatorPin ?? [],
    nodes: s.numatune?.nodeset ?? [],
    memoryKiB: s.memoryKiB,
    hugepageSizeKiB: s.hugepageSizeKiB,
  };
}

function foreignNote(f: ForeignDomain): string {
  const pages = f.hugepageSizeKiB ? `, ${f.memoryKiB / 1024} MiB in ${f.hugepageSizeKiB} KiB hugepages` : "";
  const nodes = f.nodes.length ? ` on node ${formatCpuList(f.nodes)}` : "";
  if (f.cpus.length === 0) {
    return `domain ${f.name} (not managed by nfvhost, ${f.state}) has no vCPU pinning: it may run on any housekeeping CPU${pages}; left as it is`;
  }
  const emu = f.emulatorCpus.length ? `, emulator on CPU ${formatCpuList(f.emulatorCpus)}` : "";
  return `CPU ${formatCpuList(f.cpus)} taken by domain ${f.name} (not managed by nfvhost, ${f.state}${emu}${nodes}${pages}); left as it is`;
}

export interface RunsNowOptions {
  /** nfvhost's VNFs to plan anew (apply --yes NAME whose size changed): they hold nothing. */
  replan?: ReadonlySet<string>;
  /** The topology's VNF names: a foreign domain of such a name is counted under another name. */
  topologyVnfs?: ReadonlySet<string>;
  /**
   * Foreign domains this apply takes over (--adopt --yes NAME, NAME a VNF of the topology): the
   * takeover restarts them on the plan's CPUs, so what they use now is planned anew, not taken.
   */
  adopting?: ReadonlySet<string>;
}

/**
 * Every domain libvirt runs, one way: nfvhost's running ones where the applied plan put them (a
 * hand re-pin is drift to undo, not a new placement), foreign running ones with the CPUs, nodes
 * and hugepages they use. Shut-off domains hold nothing.
 */
export function whatRunsNow(
  toDeployedVnf: (d: LiveDomain, facts: HostFacts) => DeployedVnf,
  libvirt: LibvirtSnapshot,
  facts: HostFacts,
  applied: Plan | null,
  opts: RunsNowOptions = {},
): RunningNow {
  const replan = opts.replan ?? new Set<string>();
  const topologyVnfs = opts.topologyVnfs ?? new Set<string>();
  const deployed: DeployedVnf[] = [];
  const foreign: ForeignDomain[] = [];
  const notes: string[] = [];
  for (const d of libvirt.domains) {
    if (d.state === "shut off") continue;
    if (d.managed) {
      if (replan.has(d.name)) continue;
      const p = applied?.vnfs.find((v) => v.name === d.name);
      const now = toDeployedVnf(d, facts);
      // Where the last apply placed it; its VFs and MACs as they are now.
      deployed.push(p ? { ...deployedFromPlan(p), vfs: now.vfs, macs: now.macs } : now);
      continue;
    }
    const f = foreignOf(d);
    foreign.push(f);
    if (topologyVnfs.has(d.name) && opts.adopting?.has(d.name)) {
      notes.push(
        `domain ${d.name} (not managed by nfvhost, ${d.state}) is taken over by this apply (--adopt --yes ${d.name}): it is placed as the VNF of that name${f.cpus.length ? `; CPU ${formatCpuList(f.cpus)} it uses now count as free` : ""}`,
      );
      continue;
    }
    notes.push(foreignNote(f));
    const live = toDeployedVnf(d, facts);
    // A foreign domain that has a VNF's name is not that VNF (apply holds it until --adopt): the
    // planner counts what it uses under another name and places the VNF on its own.
    const name = topologyVnfs.has(d.name) ? `${d.name} (foreign)` : d.name;
    deployed.push({
      ...live,
      name,
      vcpuPins: f.cpus,
      emulatorCpus: f.emulatorCpus,
      node: f.nodes[0] ?? live.node,
    });
  }
  return { libvirt, deployed, foreign, notes };
}

/**
 * Facts that discover and doctor call garbage (a file that is not what the kernel writes there,
 * such as nr_hugepages = -5) are not planned on: every decision after them could be wrong.
 */
export function refuseGarbageFacts(facts: HostFacts): void {
  const garbage = facts.warnings.filter((w) => w.kind === "garbage");
  if (garbage.length === 0) return;
  throw new NfvErrors(
    garbage.map(
      (w) =>
        new NfvError({
          what: `host fact ${w.path}`,
          value: w.message,
          expected: "the file as the kernel writes it",
          fix: "check that path on the host (nfvhost doctor shows it), or capture the snapshot again with nfvhost snapshot",
          exitCode: 1,
        }),
    ),
    `the host facts hold ${garbage.length} file(s) that are not what the kernel writes; nothing was planned`,
  );
}

/** load -> discover -> what runs now -> plan. Reads, never changes anything. */
export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  // libvirt is read while the topology is validated and the host discovered (virsh runs in its
  // own processes).
  const unreachable: string[] = [];
  const libvirt = input.virsh
    ? readLibvirt(input.virsh).catch((e: unknown) => {
        if (!input.libvirtOptional || !(e instanceof NfvError) || !isUnreachable(e.message)) throw e;
        unreachable.push(
          `libvirt does not answer at ${input.virsh!.uri}: planned as if no VM runs on this host (start libvirtd for the real picture)`,
        );
        return EMPTY;
      })
    : Promise.resolve(EMPTY);
  libvirt.catch(() => undefined); // awaited below; a bad topology file must not leave it unhandled
  const factsP = input.facts ?? discoverHost({ root: input.root });
  Promise.resolve(factsP).catch(() => undefined);
  const parsed = await input.parsed;
  const facts = await factsP;
  refuseGarbageFacts(facts);
  const snapshot = await libvirt;
  const applied = input.stateDir ? await loadAppliedPlan(input.stateDir, parsed.topology.name) : null;
  const byName = new Map(parsed.topology.vnfs.map((v) => [v.name, v]));
  // A VNF named in --yes whose size changed in the file is re-planned from scratch; otherwise it
  // keeps its place (and its hugepages are not counted twice).
  const replan = new Set(
    (input.yes ?? []).filter((n) => {
      const spec = byName.get(n);
      const p = applied?.vnfs.find((v) => v.name === n);
      return !p || !spec || spec.vcpus !== p.vcpus || spec.memoryKiB !== p.memory.KiB;
    }),
  );
  const toDeployed =
    snapshot.domains.length > 0
      ? (await import("../libvirt/deployed.js")).toDeployedVnf
      : () => {
          throw new Error("unreachable: no domain to convert");
        };
  const running = whatRunsNow(toDeployed, snapshot, facts, applied, {
    replan,
    topologyVnfs: new Set(byName.keys()),
    adopting: new Set(input.adopt ? (input.yes ?? []) : []),
  });
  running.notes.unshift(...unreachable);
  if (input.deployed) running.deployed.push(...input.deployed);
  const planned = planDeployment(
    facts,
    parsed.topology,
    running.deployed,
    input.timeLimitS !== undefined ? { timeLimitS: input.timeLimitS } : {},
  );
  const result: PlanResult = planned.ok
    ? { ok: true, plan: { ...planned.plan, warnings: [...running.notes, ...planned.plan.warnings] } }
    : planned;
  return { parsed, facts, running, applied, result };
}

export interface PrepareOptions {
  topologyFile: string;
  /** Host root for facts, sysfs and files ("/" on a host; a snapshot copy in tests). */
  root: string;
  stateDir: string;
  accel?: "kvm" | "tcg";
  allowUnlocked: boolean;
  env: Readonly<Record<string, string | undefined>>;
  yes?: string[];
  /** apply --adopt (with `yes`: the foreign domains of those VNF names are taken over). */
  adopt?: boolean;
  createState?: boolean;
  /** The topology, when the caller started loading it already (apply does, during its ping). */
  parsed?: Promise<ParsedTopology>;
  /**
   * "render" (apply): the day-0 files, with the secrets from `env`. "presence" (verify): only
   * which VNFs have a day-0 ISO, so the domain XML is right without any secret; verify proves the
   * ISO by the digest apply recorded when it built it.
   */
  day0?: "render" | "presence";
  /**
   * Test hook: run host commands (boot loader, systemctl) through the injected runner under a
   * snapshot root, so they are recorded; never set by the CLI (under --root they are reported).
   */
  hostCommands?: boolean;
  /**
   * Facts already discovered, instead of discovering `root` (PipelineInput.facts). Lets a test
   * drive the live-host paths (root "/": `ip link`, no snapshot-root checks) on a snapshot's facts,
   * so its plan does not depend on the machine it runs on.
   */
  facts?: HostFacts;
}

export interface ApplyContext {
  parsed: ParsedTopology;
  facts: HostFacts;
  plan: Plan;
  pre: PreflightResult;
  desired: Desired;
  live: LiveState;
  running: RunningNow;
  /** Where host settings act: this machine, or a snapshot root (commands not run). */
  host: HostExecutor;
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
  host: HostExecutor = hostExecutor(root),
): Promise<LiveState> {
  const { networkOwner } = await import("../libvirt/network-owner.js");
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
  for (const f of desired.nm) files.set(f.path, await readMaybe(await resolveInRoot(root, f.path)));
  const isoDigests = new Map<string, string | null>();
  for (const iso of desired.isos) {
    const iso0 = await readMaybe(iso.path);
    const dig = await readMaybe(`${iso.path}.sha256`);
    isoDigests.set(iso.path, iso0 && dig ? dig.toString("utf8").trim() : null);
  }
  const hostReadings = new Map<string, HostReading>();
  for (const s of desired.host ?? []) hostReadings.set(s.id, await readSetting(host, s));
  return { domains, networks, host: hostReadings, sysfs, files, isoDigests };
}

/** A misfit with what runs now, so apply reports it exactly as plan does. */
export class PlanDoesNotFit extends TopologyDoesNotFit {
  constructor(
    problems: ConstructorParameters<typeof TopologyDoesNotFit>[0],
    parsed: ParsedTopology,
    readonly notes: readonly string[],
  ) {
    super(problems, parsed);
  }
}

/** Everything up to the change set; shared by apply, --dry-run and verify. */
export async function prepare(opts: PrepareOptions, virsh: Virsh): Promise<ApplyContext> {
  const pipe = await runPipeline({
    parsed: opts.parsed ?? loadTopology(opts.topologyFile),
    root: opts.root,
    virsh,
    stateDir: opts.stateDir,
    yes: opts.yes,
    adopt: opts.adopt,
    facts: opts.facts,
  });
  const { parsed, facts, result } = pipe;
  // The desired-state builders (renderers, XML library) load only for apply and verify: `plan`
  // starts without them.
  const [{ day0Presence, renderDay0, saltSeed }, { buildDesired, labRun }, { memlockRaisable, preflight }] =
    await Promise.all([
      import("../desired/day0.js"),
      import("../desired/desired.js"),
      import("../desired/preflight.js"),
    ]);
  if (!result.ok) throw new PlanDoesNotFit(result.problems, parsed, pipe.running.notes);
  const plan = result.plan;
  const pre = await preflight(
    facts,
    plan,
    {
      accel: opts.accel,
      lab: labRun(parsed.topology.lab, plan),
      allowUnlocked: opts.allowUnlocked,
      memlockRaisable,
    },
    () => true,
  );
  const day0 =
    opts.day0 === "presence"
      ? day0Presence(plan)
      : await renderDay0(plan, opts.env, await saltSeed(opts.stateDir, opts.createState ?? false));
  const liveDomains = pipe.running.libvirt.domains;
  const host = hostExecutor(opts.root, opts.hostCommands ? { commands: true } : {});
  const desired = await buildDesired(plan, facts, pre, {
    firmware: await bootFirmware(opts.root),
    lab: labRun(parsed.topology.lab, plan),
    uuids: Object.fromEntries(liveDomains.filter((d) => d.config.uuid).map((d) => [d.name, d.config.uuid!])),
    root: opts.root,
    stateDir: opts.stateDir,
    topologyName: parsed.topology.name,
    day0,
  });
  const live = await readLive(virsh, desired, opts.root, pipe.running.libvirt, host);
  return { parsed, facts, plan, pre, desired, live, running: pipe.running, host };
}
