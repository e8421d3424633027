/**
 * Joint placement across hosts: the exact solver (./solve.ts over src/plan/solve) assigns every VNF
 * a host on the capacity model, then the single-host planner places each host's share exactly
 * (node, cores, siblings, emulator CPUs, pages, VFs). A VNF the planner cannot fit on its host (the
 * model missed a rule it checks, e.g. a driver's VLAN budget) is kept off that host and the fleet is
 * solved again, until every host's plan holds. Pure: facts in, plans out.
 */
import { deployedFromPlan } from "../plan/deployed.js";
import { planDeployment } from "../plan/planner.js";
import type { Plan, PlanProblem } from "../plan/types.js";
import type { HostSpec, NetworkSpec, Topology } from "../topology/types.js";
import { NfvError } from "../util/errors.js";
import { coresFor, demandOf, hostCapacity, type HostCapacity } from "./capacity.js";
import { whyNot, type SearchHost, type SearchVnf } from "./search.js";
import { solveFleet } from "./solve.js";
import { hostSection, hostTopologyFast } from "./topology.js";
import type { FleetGroup, FleetPlan, FleetTopology, HostInput, HostPlan, Misfit } from "./types.js";

/** Which fleet VNFs run where now (a host's applied plan of this fleet names them). */
export function runningOn(inputs: readonly HostInput[], fleet: FleetTopology): Map<string, string> {
  const names = new Set(fleet.vnfs.map((v) => v.spec.name));
  const out = new Map<string, string>();
  for (const i of [...inputs].sort((a, b) => (a.host.name < b.host.name ? -1 : 1)))
    for (const d of i.deployed) if (names.has(d.name) && !out.has(d.name)) out.set(d.name, i.host.name);
  return out;
}

function hostSpecOf(fleet: FleetTopology, input: HostInput): HostSpec {
  return hostSection(fleet, input.host);
}

function matches(labels: Record<string, string>, groups: string[], sel: Record<string, string>): boolean {
  return Object.entries(sel).every(([k, v]) => (k === "group" ? groups.includes(v) : labels[k] === v));
}

/** The fleet's VNFs as the placement sees them: allowed hosts (pin, selector, evictions), fixed ones. */
export function searchVnfs(
  fleet: FleetTopology,
  hosts: readonly HostInput[],
  running: Map<string, string>,
  forbidden: Map<string, Set<string>> = new Map(),
): SearchVnf[] {
  return fleet.vnfs.map((v) => {
    const fixed = running.get(v.spec.name);
    let allowed: Set<string> | null = null;
    if (v.host !== undefined) allowed = new Set([v.host]);
    if (v.selector)
      allowed = new Set(
        hosts
          .filter((h) => matches(h.host.labels, h.host.groups, v.selector!))
          .map((h) => h.host.name)
          .filter((n) => allowed === null || allowed.has(n)),
      );
    const no = forbidden.get(v.spec.name);
    if (no) allowed = new Set([...(allowed ?? hosts.map((h) => h.host.name))].filter((n) => !no.has(n)));
    return { spec: v.spec, priority: v.priority, allowed, ...(fixed !== undefined ? { fixed } : {}) };
  });
}

/** The capacity model of a fleet, as the fleet solve and the bench's MILP take it. */
export function searchInputs(
  inputs: readonly HostInput[],
  fleet: FleetTopology,
): [SearchHost[], SearchVnf[], FleetGroup[], NetworkSpec[]] {
  const hosts = [...inputs].sort((a, b) =>
    a.host.name < b.host.name ? -1 : a.host.name > b.host.name ? 1 : 0,
  );
  const search = hosts.map((h) => ({
    name: h.host.name,
    labels: h.host.labels,
    cap: hostCapacity(h.host.name, h.facts, hostSpecOf(fleet, h), h.deployed),
  }));
  const vnfs = searchVnfs(fleet, hosts, runningOn(hosts, fleet)).filter((v) => v.fixed === undefined);
  return [search, vnfs, fleet.groups, fleet.topology.networks];
}

export interface FleetPlanOptions {
  /** Inventory hosts without facts: named in the warnings; VNFs pinned to them do not fit. */
  skipped?: { host: string; reason: string }[];
  /** Rounds of fleet solve + exact per-host planning before giving up on moving VNFs (default: hosts + 2). */
  maxRounds?: number;
  /** Wall-clock limit of the fleet's exact stage, seconds (a host's share always fits its host). */
  timeLimitS?: number;
}

export function planFleet(
  inputs: readonly HostInput[],
  fleet: FleetTopology,
  inventoryFile: string,
  opts: FleetPlanOptions = {},
): FleetPlan {
  const hosts = [...inputs].sort((a, b) =>
    a.host.name < b.host.name ? -1 : a.host.name > b.host.name ? 1 : 0,
  );
  const byName = new Map(hosts.map((h) => [h.host.name, h]));
  const warnings: string[] = (opts.skipped ?? []).map((s) => `host ${s.host} left out: ${s.reason}`);
  const skippedHosts = new Set((opts.skipped ?? []).map((s) => s.host));
  for (const v of fleet.vnfs) {
    if (v.host !== undefined && !byName.has(v.host) && !skippedHosts.has(v.host))
      throw new NfvError({
        code: "NFV-FLEET-PIN",
        what: `vnfs.${v.spec.name}.host`,
        value: v.host,
        expected: `a host of the inventory (${hosts.map((h) => h.host.name).join(", ")})`,
        fix: "check the name, or the inventory's --limit",
      });
  }
  const specs = new Map(hosts.map((h) => [h.host.name, hostSpecOf(fleet, h)]));
  const running = runningOn(hosts, fleet);
  const caps = new Map<string, HostCapacity>(
    hosts.map((h) => [h.host.name, hostCapacity(h.host.name, h.facts, specs.get(h.host.name)!, h.deployed)]),
  );
  const searchHosts = (): SearchHost[] =>
    hosts.map((h) => ({ name: h.host.name, labels: h.host.labels, cap: caps.get(h.host.name)! }));
  const forbidden = new Map<string, Set<string>>();
  const vnfs = (): SearchVnf[] => searchVnfs(fleet, hosts, running, forbidden);

  if (running.size > 0)
    for (const [vnf, host] of running) {
      const v = fleet.vnfs.find((x) => x.spec.name === vnf)!;
      if (v.host !== undefined && v.host !== host)
        warnings.push(
          `${vnf} runs on ${host}, pinned to ${v.host}: running VNFs are never moved; destroy it on ${host} to move it`,
        );
    }

  const maxRounds = opts.maxRounds ?? hosts.length + 2;
  type HostShare = { plan: Plan; raw: Record<string, unknown>; vnfs: string[]; topology: Topology };
  let plans = new Map<string, HostShare>();
  const lastPlans = new Map<string, { key: string; value: HostShare }>();
  let unplaced: string[] = [];
  const planProblems = new Map<string, PlanProblem[]>();
  let notProven: string | null = null;
  for (let round = 0; ; round++) {
    const found = solveFleet(searchHosts(), vnfs(), fleet.groups, fleet.topology.networks, {
      ...(opts.timeLimitS !== undefined ? { timeLimitS: opts.timeLimitS } : {}),
    });
    unplaced = found.unplaced;
    if (found.tooLarge)
      notProven = `fleet placement: not every VNF fits and ${hosts.length} hosts x ${found.bound} VNFs is too large for the exact stage; a first fit placed ${found.placed.size - running.size} (plan parts of the fleet, e.g. with --limit, to get the exact answer)`;
    else if (!found.proven)
      notProven = `fleet placement stopped at the time limit: placed ${found.placed.size - running.size} new VNFs, at most ${found.bound} possible; raise --time-limit to search further`;
    else notProven = null;
    const perHost = new Map<string, string[]>(hosts.map((h) => [h.host.name, []]));
    for (const v of fleet.vnfs) {
      const spot = found.placed.get(v.spec.name);
      if (spot) perHost.get(spot.host)!.push(v.spec.name);
    }
    plans = new Map();
    let evicted = false;
    for (const h of hosts) {
      const names = perHost.get(h.host.name)!;
      // A host whose share did not change since the last round keeps its plan.
      const key = names.join("\u0000");
      const cached = lastPlans.get(h.host.name);
      if (cached && cached.key === key) {
        plans.set(h.host.name, cached.value);
        continue;
      }
      const { raw, topology } = hostTopologyFast(fleet, h.host, specs.get(h.host.name)!, names);
      // Misfits leave the host; the smallest change to the file that would fit them (re-plans) is
      // not wanted here.
      const result = planDeployment(h.facts, topology, h.deployed, { smallestChange: false });
      if (result.ok) {
        const value = { plan: result.plan, raw, vnfs: names, topology };
        plans.set(h.host.name, value);
        lastPlans.set(h.host.name, { key, value });
        continue;
      }
      // The model said it fits, the exact planner disagrees: the VNFs it names leave this host.
      const named = new Set<string>();
      for (const p of result.problems) {
        if (p.vnf !== null && names.includes(p.vnf)) named.add(p.vnf);
        for (const m of p.misfits?.vnfs ?? []) if (names.includes(m)) named.add(m);
      }
      const movable = names.filter((n) => running.get(n) !== h.host.name);
      const out = named.size > 0 ? [...named].filter((n) => movable.includes(n)) : movable;
      if (out.length === 0) {
        throw new NfvError({
          code: "NFV-FLEET-HOST",
          what: `host ${h.host.name}`,
          value: result.problems.map((p) => p.message).join("; "),
          expected: "a host section and facts the planner accepts",
          fix: `plan it alone: nfvhost plan with its topology and --root ${h.source}`,
          exitCode: 1,
        });
      }
      // Only the last one named is moved per round: the others may fit once it is gone.
      const victim = out[out.length - 1]!;
      if (!forbidden.has(victim)) forbidden.set(victim, new Set());
      forbidden.get(victim)!.add(h.host.name);
      planProblems.set(
        victim,
        result.problems.filter((p) => p.vnf === victim || p.vnf === null),
      );
      evicted = true;
    }
    if (!evicted) break;
    if (round >= maxRounds) {
      warnings.push(`fleet placement stopped after ${round + 1} rounds of exact per-host planning`);
      break;
    }
  }
  if (notProven !== null) warnings.push(notProven);

  const hostPlans: HostPlan[] = [];
  const assignment: Record<string, string> = {};
  for (const h of hosts) {
    const p = plans.get(h.host.name);
    if (!p) continue;
    const topology = p.topology;
    for (const n of p.vnfs) assignment[n] = h.host.name;
    hostPlans.push({
      host: h.host.name,
      topology,
      raw: p.raw,
      plan: p.plan,
      facts: h.facts,
      deployed: h.deployed,
      changes: {
        added: p.plan.vnfs.filter((v) => !v.existing).map((v) => v.name),
        kept: p.plan.vnfs.filter((v) => v.existing).map((v) => v.name),
      },
    });
    for (const w of p.plan.warnings) warnings.push(`${h.host.name}: ${w}`);
  }
  const misfits = explainMisfits(fleet, hosts, specs, hostPlans, vnfs(), unplaced, planProblems);
  return {
    schema: 1,
    fleet: fleet.name,
    inventory: inventoryFile,
    hosts: hostPlans,
    assignment,
    misfits,
    warnings,
  };
}

function explainMisfits(
  fleet: FleetTopology,
  hosts: readonly HostInput[],
  specs: Map<string, HostSpec>,
  plans: readonly HostPlan[],
  vnfs: readonly SearchVnf[],
  unplaced: readonly string[],
  planProblems: Map<string, PlanProblem[]>,
): Misfit[] {
  if (unplaced.length === 0) return [];
  // What is left on each host after the fleet's plans: the exact plans' use, not the model's.
  const left = new Map<string, SearchHost>();
  for (const h of hosts) {
    const p = plans.find((x) => x.host === h.host.name);
    const taken = [...h.deployed, ...(p?.plan.vnfs.filter((v) => !v.existing).map(deployedFromPlan) ?? [])];
    left.set(h.host.name, {
      name: h.host.name,
      labels: h.host.labels,
      cap: hostCapacity(h.host.name, h.facts, specs.get(h.host.name)!, taken),
    });
  }
  return unplaced.map((name) => {
    const v = vnfs.find((x) => x.spec.name === name)!;
    const assigned = new Map(plans.flatMap((p) => p.plan.vnfs.map((x) => [x.name, p.host] as const)));
    const groupRule = (h: HostInput): string | null => {
      for (const g of fleet.groups) {
        if (!g.vnfs.includes(name)) continue;
        for (const other of g.vnfs) {
          const at = assigned.get(other);
          if (other === name || at === undefined) continue;
          const there = hosts.find((x) => x.host.name === at)!;
          if (g.affinity && at !== h.host.name) return `affinity group ${g.name}: ${other} is on ${at}`;
          if (g.antiAffinity) {
            const key = g.antiAffinity;
            const mine = key === "host" ? h.host.name : h.host.labels[key];
            const theirs = key === "host" ? at : there.host.labels[key];
            if (mine === undefined || theirs === undefined ? at === h.host.name : mine === theirs)
              return `anti-affinity group ${g.name}: ${other} is on ${at} (${key} ${theirs ?? at})`;
          }
        }
      }
      return null;
    };
    const per = hosts.map((h) => {
      const rule = groupRule(h);
      return rule !== null
        ? { host: h.host.name, reason: rule, short: Infinity }
        : { host: h.host.name, ...whyNot(v, left.get(h.host.name)!, fleet.topology.networks) };
    });
    const closest = [...per].sort((a, b) => a.short - b.short)[0];
    // What it needs, as the closest host counts it (its page size, its threads per core, its PFs).
    const near = left.get(
      closest?.short !== Infinity && closest ? closest.host : (hosts[0]?.host.name ?? ""),
    );
    const d = near ? demandOf(v.spec, near.cap, fleet.topology.networks) : undefined;
    const tpc = near?.cap.nodes[0]?.threadsPerCore ?? 2;
    const needs = [
      `${coresFor(v.spec, tpc)} free core${coresFor(v.spec, tpc) === 1 ? "" : "s"}`,
      ...(d ? [`${d.pages} hugepages`] : []),
    ];
    const vfNote =
      d && d.vfs.size > 0 ? ` with a VF of ${[...d.vfs.keys()].join(", ")} on the same node` : "";
    const message =
      closest && closest.short !== Infinity
        ? `${name} fits nowhere: needs ${needs.join(" and ")}${vfNote}; closest: ${closest.host} ${closest.reason}`
        : `${name} fits nowhere: ${per.map((p) => `${p.host}: ${p.reason}`).join("; ")}`;
    const problems = planProblems.get(name);
    return {
      vnf: name,
      message,
      hosts: per.map((p) => ({ host: p.host, reason: p.reason })),
      ...(problems ? { problems } : {}),
    };
  });
}
