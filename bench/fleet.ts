/**
 * The fleet rows of `npm run bench`: `nfvhost plan FLEET -i INVENTORY`'s placement (planFleet, the
 * library call the CLI makes) against the exact optimum (./fleet-milp.ts, MILP over hosts x nodes)
 * and against Nova's scheduler path (./fleet_nova.py: NUMATopologyFilter + PciPassthroughFilter
 * from python3-nova) on the same hosts and requests; and planning 1,000 hosts x 10,000 VNFs.
 * Fleets are built from the real host shapes (src/facts/shapes.ts).
 */
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { buildHostFacts, HOST_SHAPES, type HostShape } from "../src/facts/shapes.js";
import { demandOf } from "../src/fleet/capacity.js";
import { checkFleetPlan } from "../src/fleet/check.js";
import { hostFromVars } from "../src/fleet/inventory.js";
import { planFleet, searchInputs } from "../src/fleet/plan.js";
import { parseFleetTopology } from "../src/fleet/topology.js";
import type { FleetTopology, HostInput } from "../src/fleet/types.js";
import { run } from "../src/util/exec.js";
import { solveFleet } from "./fleet-milp.js";
import { novaPeer } from "./peers.js";

import type { Unavailable } from "./placement.js";

export interface FleetCaseResult {
  id: string;
  hosts: number;
  vnfs: number;
  optimum: number | null;
  nfvhost: number;
  nova: number | null;
  nfvhostMs: number;
  milpMs: number;
  violations: number;
}

export interface FleetSection {
  cases: FleetCaseResult[];
  nfvhost: { placed: number; avgRatio: number; minRatio: number; allFitMissed: number; violations: number };
  milp: { placed: number; proven: number };
  nova: { version: string; placed: number; avgRatio: number; casesBelowNfvhost: number } | Unavailable;
  scale: FleetScale;
}

/** The scale row, measured in a child process (./fleet-scale-child.ts). */
export interface FleetScale {
  hosts: number;
  vnfs: number;
  placed: number;
  wallMs: number;
  /** CPU time (user + system) of planFleet: wall time on an idle machine. */
  cpuMs: number;
  /** Peak RSS of the child (building the case, then planning). */
  peakRssMB: number;
  rssBeforePlanningMB: number;
  /** bench/run.ts's row prints this: the child's peak RSS (the same as peakRssMB). */
  rssMB: number;
  goalMs: number;
  error?: string;
}

const SCALE_CHILD = fileURLToPath(new URL("./fleet-scale-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function fleetScale(seed: number, hosts: number, vnfs: number): Promise<FleetScale> {
  const base = {
    hosts,
    vnfs,
    placed: 0,
    wallMs: NaN,
    cpuMs: NaN,
    peakRssMB: NaN,
    rssBeforePlanningMB: NaN,
    rssMB: NaN,
  };
  const r = await run(
    process.execPath,
    ["--import", "tsx", SCALE_CHILD, String(hosts), String(vnfs), String(seed)],
    {
      cwd: ROOT,
      timeoutMs: 600_000,
    },
  );
  try {
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Omit<FleetScale, "goalMs" | "rssMB">;
    return { ...base, ...out, rssMB: out.peakRssMB, goalMs: 2000 };
  } catch {
    const why = r.stderr.trim().split("\n").slice(-1)[0] ?? `exit ${r.code}`;
    return { ...base, goalMs: 2000, error: `fleet scale child failed: ${why}` };
  }
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shapes with 1G pages (the fleet's page size); their first SR-IOV PF carries the VFs. */
const SHAPES: HostShape[] = HOST_SHAPES.filter((s) => s.pages1G);
const SITES = ["fra1", "ams1", "par1", "lon1"];

function pfOf(shape: HostShape): { name: string; vfs: number } | null {
  const nic = shape.nics.find((n) => (n.totalVfs ?? 0) > 0 && (n.numVfs ?? 0) > 0);
  return nic ? { name: nic.name, vfs: nic.numVfs! } : null;
}

export function fleetCase(
  seed: number,
  hostCount: number,
  vnfCount: number,
  opts: { rules: boolean; maxVcpus?: number; maxGiB?: number } = { rules: true },
): { inputs: HostInput[]; fleet: FleetTopology } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const shapes = new Map<string, HostShape>();
  const inputs: HostInput[] = Array.from({ length: hostCount }, (_, i) => {
    const shape = pick(SHAPES);
    const name = `h${String(i).padStart(4, "0")}`;
    shapes.set(name, shape);
    const pf = pfOf(shape);
    const facts = buildHostFacts(shape);
    return {
      host: hostFromVars(
        name,
        {
          nfvhost_labels: { site: pick(SITES), rack: `r${Math.floor(r() * 8)}` },
          nfvhost_host: {
            cpus: { isolate: "auto", "housekeeping-cores-per-node": 1 },
            hugepages: { size: "1GiB" },
            ...(pf ? { sriov: [{ pf: pf.name, vfs: pf.vfs }] } : {}),
          },
        },
        [],
      ),
      facts,
      deployed: [],
      source: `shape ${shape.name}`,
    };
  });
  const vnfs: Record<string, unknown> = {};
  const groups: Record<string, unknown> = {};
  for (let i = 0; i < vnfCount; i++) {
    const name = `v${String(i).padStart(5, "0")}`;
    const v: Record<string, unknown> = {
      kind: "generic",
      image: `/i/${name}.qcow2`,
      vcpus: 1 + Math.floor(r() * (opts.maxVcpus ?? 8)),
      memory: `${1 + Math.floor(r() * (opts.maxGiB ?? 12))}GiB`,
    };
    if (opts.rules) {
      const roll = r();
      if (roll < 0.1) v.host = pick(inputs).host.name;
      else if (roll < 0.2) v.hosts = { site: pick(SITES) };
      else if (roll < 0.3) {
        const h = pick(inputs);
        const pf = pfOf(shapes.get(h.host.name)!);
        if (pf) v.interfaces = [{ type: "sriov", pf: pf.name }];
      }
    }
    vnfs[name] = v;
  }
  if (opts.rules) {
    const names = Object.keys(vnfs).filter((n) => (vnfs[n] as Record<string, unknown>).host === undefined);
    for (let g = 0; g + 1 < names.length && g < 6; g += 2)
      groups[`pair-${g / 2}`] = {
        vnfs: [names[g], names[g + 1]],
        "anti-affinity": pick(["host", "site", "rack"]),
      };
  }
  const fleet = parseFleetTopology(
    stringify({ name: `bench-${seed}`, vnfs, ...(Object.keys(groups).length ? { groups } : {}) }),
    `bench-${seed}.yaml`,
  );
  return { inputs, fleet };
}

/** Nova's input: per host its usable CPUs, siblings, pages and VFs; per instance its allowed hosts. */
function novaInput(id: string, inputs: HostInput[], fleet: FleetTopology): unknown {
  const [hosts, vnfs, groups, networks] = searchInputs(inputs, fleet);
  return {
    id,
    hosts: hosts.map((h) => {
      const facts = inputs.find((i) => i.host.name === h.name)!.facts;
      return {
        name: h.name,
        pageSizeKiB: h.cap.pageSizeKiB,
        nodes: h.cap.nodes.map((n) => {
          // The usable cores as nfvhost counts them: not the first core (housekeeping), not CPU 0's.
          const cpus = facts.cpus.filter((c) => c.node === n.node && c.online);
          const cores = new Map<string, number[]>();
          for (const c of cpus) {
            const key = [c.id, ...c.siblings].sort((a, b) => a - b).join(",");
            if (!cores.has(key))
              cores.set(
                key,
                [...new Set([c.id, ...c.siblings])].sort((a, b) => a - b),
              );
          }
          const usable = [...cores.values()]
            .sort((a, b) => a[0]! - b[0]!)
            .slice(1)
            .filter((t) => !t.includes(0))
            .slice(0, n.cores);
          return {
            id: n.node,
            socket: 0,
            pcpus: usable.flat(),
            siblings: usable.filter((t) => t.length > 1),
            memoryMiB: Math.floor((facts.nodes.find((x) => x.id === n.node)?.memoryKiB ?? 0) / 1024),
            pages: n.pages,
          };
        }),
        pfs: [...h.cap.pfs].map(([name, p]) => ({ name, node: p.node, vfs: p.free })),
      };
    }),
    instances: vnfs.map((v) => {
      const d = demandOf(v.spec, hosts[0]!.cap, networks);
      const pfs = v.spec.interfaces.flatMap((i) => (i.type === "sriov" && i.pf ? [i.pf] : []));
      return {
        name: v.spec.name,
        vcpus: v.spec.vcpus,
        memoryMiB: v.spec.memoryKiB / 1024,
        vfs: Object.fromEntries(pfs.map((pf) => [pf, pfs.filter((x) => x === pf).length])),
        hosts: v.allowed ? [...v.allowed] : null,
        antiAffinity: groups.find((g) => g.antiAffinity && g.vnfs.includes(v.spec.name))?.name ?? null,
        pages: d.pages,
      };
    }),
  };
}

export async function fleetBench(opts: {
  seed: number;
  cases: number;
  scaleHosts: number;
  scaleVnfs: number;
}): Promise<FleetSection> {
  const cases: FleetCaseResult[] = [];
  const novaCases: unknown[] = [];
  for (let i = 0; i < opts.cases; i++) {
    const hostCount = 3 + (i % 4);
    const vnfCount = hostCount * (6 + (i % 5) * 2);
    const { inputs, fleet } = fleetCase(opts.seed + i, hostCount, vnfCount);
    const t0 = performance.now();
    const plan = planFleet(inputs, fleet, "bench");
    const nfvhostMs = performance.now() - t0;
    const milp = await solveFleet(...searchInputs(inputs, fleet), 60);
    novaCases.push(novaInput(`c${i}`, inputs, fleet));
    cases.push({
      id: `c${i}`,
      hosts: hostCount,
      vnfs: vnfCount,
      optimum: milp.optimum,
      nfvhost: Object.keys(plan.assignment).length,
      nova: null,
      nfvhostMs,
      milpMs: milp.ms,
      violations: checkFleetPlan(plan, fleet, inputs).length,
    });
  }
  let nova: FleetSection["nova"] = "unavailable: not run";
  const peer = await novaPeer();
  if (!peer.ok) nova = `unavailable: ${peer.reason}`;
  else {
    const r = await run("/usr/bin/python3", [new URL("./fleet_nova.py", import.meta.url).pathname], {
      input: JSON.stringify({ cases: novaCases }),
      timeoutMs: 1_800_000,
    });
    if (r.code !== 0)
      nova = `unavailable: fleet_nova.py exit ${r.code}: ${r.stderr.trim().split("\n").slice(-1)[0]}`;
    else {
      const out = JSON.parse(r.stdout) as { nova: string; cases: { id: string; placed: number }[] };
      for (const c of out.cases) cases.find((x) => x.id === c.id)!.nova = c.placed;
      const ratios = cases.filter((c) => c.optimum).map((c) => c.nova! / c.optimum!);
      nova = {
        version: out.nova,
        placed: cases.reduce((s, c) => s + (c.nova ?? 0), 0),
        avgRatio: ratios.reduce((s, x) => s + x, 0) / Math.max(1, ratios.length),
        casesBelowNfvhost: cases.filter((c) => (c.nova ?? 0) > c.nfvhost).length,
      };
    }
  }
  const proven = cases.filter((c) => c.optimum !== null);
  const ratios = proven.map((c) => (c.optimum === 0 ? 1 : c.nfvhost / c.optimum!));

  // Scale: the same code path (planFleet), no rules, every VNF fits; in a child for its peak RSS.
  const scale = await fleetScale(opts.seed, opts.scaleHosts, opts.scaleVnfs);
  return {
    cases,
    nfvhost: {
      placed: cases.reduce((s, c) => s + c.nfvhost, 0),
      avgRatio: ratios.reduce((s, x) => s + x, 0) / Math.max(1, ratios.length),
      minRatio: Math.min(...ratios),
      allFitMissed: proven.filter((c) => c.optimum === c.vnfs && c.nfvhost < c.vnfs).length,
      violations: cases.reduce((s, c) => s + c.violations, 0),
    },
    milp: { placed: proven.reduce((s, c) => s + c.optimum!, 0), proven: proven.length },
    nova,
    scale,
  };
}
