/**
 * The rules every fleet plan must obey, checked from the plan alone, independently of how the
 * fleet placement reached it: each VNF on one host or reported as a misfit, pins and selectors held,
 * anti-affinity groups never sharing their key, affinity groups on one host, running VNFs where they
 * run, and every host's plan sound by the single-host invariant checker.
 */
import { checkPlanInvariants } from "../plan/invariants.js";
import type { FleetPlan, FleetTopology, HostInput } from "./types.js";

/** One line per violated rule; empty when the fleet plan is sound. */
export function checkFleetPlan(
  plan: FleetPlan,
  fleet: FleetTopology,
  inputs: readonly HostInput[],
): string[] {
  const out: string[] = [];
  const hostOf = new Map<string, string>();
  const byHost = new Map(inputs.map((i) => [i.host.name, i]));
  for (const h of plan.hosts) {
    if (!byHost.has(h.host)) out.push(`host ${h.host} is not in the inventory`);
    for (const v of h.plan.vnfs) {
      const prev = hostOf.get(v.name);
      if (prev !== undefined) out.push(`${v.name} is planned on ${prev} and on ${h.host}`);
      hostOf.set(v.name, h.host);
    }
  }
  for (const [vnf, host] of Object.entries(plan.assignment))
    if (hostOf.get(vnf) !== host)
      out.push(`${vnf}: assignment says ${host}, the host plans say ${hostOf.get(vnf) ?? "nowhere"}`);
  const misfit = new Set(plan.misfits.map((m) => m.vnf));
  for (const v of fleet.vnfs) {
    const name = v.spec.name;
    const host = hostOf.get(name);
    if (host === undefined && !misfit.has(name))
      out.push(`${name} is neither placed nor reported as a misfit`);
    if (host !== undefined && misfit.has(name))
      out.push(`${name} is placed on ${host} and reported as a misfit`);
    if (host === undefined) continue;
    if (v.host !== undefined && v.host !== host)
      out.push(`${name} is pinned to ${v.host} but planned on ${host}`);
    const labels = byHost.get(host)?.host.labels ?? {};
    const groups = byHost.get(host)?.host.groups ?? [];
    for (const [k, want] of Object.entries(v.selector ?? {})) {
      const ok = k === "group" ? groups.includes(want) : labels[k] === want;
      if (!ok) out.push(`${name} selects ${k}=${want} but ${host} has ${k}=${labels[k] ?? "(none)"}`);
    }
  }
  // Running VNFs never change host.
  for (const i of inputs)
    for (const d of i.deployed) {
      const h = hostOf.get(d.name);
      if (h !== undefined && h !== i.host.name)
        out.push(`${d.name} runs on ${i.host.name} but is planned on ${h}`);
      if (h === i.host.name) {
        const v = plan.hosts.find((x) => x.host === h)!.plan.vnfs.find((x) => x.name === d.name)!;
        if (v.vcpuPins.join(",") !== d.vcpuPins.join(",") || v.node !== d.node)
          out.push(
            `${d.name} runs on ${h} node ${d.node} CPUs ${d.vcpuPins.join(",")} but is planned at node ${v.node} CPUs ${v.vcpuPins.join(",")}`,
          );
      }
    }
  for (const g of fleet.groups) {
    const placed = g.vnfs.filter((n) => hostOf.has(n));
    if (g.affinity) {
      const hosts = new Set(placed.map((n) => hostOf.get(n)!));
      if (hosts.size > 1) out.push(`affinity group ${g.name} spans hosts ${[...hosts].join(", ")}`);
    }
    if (g.antiAffinity) {
      const key = g.antiAffinity;
      for (let a = 0; a < placed.length; a++)
        for (let b = a + 1; b < placed.length; b++) {
          const ha = hostOf.get(placed[a]!)!;
          const hb = hostOf.get(placed[b]!)!;
          const la = key === "host" ? ha : byHost.get(ha)?.host.labels[key];
          const lb = key === "host" ? hb : byHost.get(hb)?.host.labels[key];
          const same = la === undefined || lb === undefined ? ha === hb : la === lb;
          if (same)
            out.push(
              `anti-affinity group ${g.name}: ${placed[a]} (${ha}) and ${placed[b]} (${hb}) share ${key}${la !== undefined ? ` ${la}` : ""}`,
            );
        }
    }
  }
  for (const h of plan.hosts) {
    const i = byHost.get(h.host);
    if (!i) continue;
    for (const line of checkPlanInvariants(i.facts, h.topology, h.plan, i.deployed))
      out.push(`${h.host}: ${line}`);
  }
  return out;
}
