/**
 * Why the solver left a VNF out, read from its answer: what the VNF needs, the resource that binds
 * on the node that comes closest once the others are placed ("leaving out v02 (needs ..., binding:
 * 3 of 22 1G pages left on node 1) lets the other 7 fit"), and, when it is the only VNF left out,
 * the smallest change to the topology file that makes every VNF fit, checked by planning again.
 */
import { KINDS } from "../topology/kinds.js";
import type { Topology, VnfSpec } from "../topology/types.js";
import type { VnfWork } from "./checks.js";
import { allocate, cpuNeed, largestFit } from "./cpuPool.js";
import { pageSizeText } from "./hostModel.js";
import { plural, sizeText } from "./problems.js";
import type { PlacedState } from "./capacity.js";
import type { PlacementChange, PlacementLeftOut, PlanResource } from "./types.js";

/** The plan of the VNFs that fit: what is left for the one left out. */
export interface LeftOutContext extends PlacedState {
  /** VNFs placed (new ones): "lets the other N fit". */
  placed: number;
  /** VNFs left out: one gets the whole sentence, several are listed under one. */
  leftOut: number;
}

interface NodeView {
  node: number;
  cpuFits: boolean;
  cpu: ReturnType<typeof cpuNeed>;
  pagesLeft: number;
}

function nodeViews(w: VnfWork, ctx: LeftOutContext): NodeView[] {
  return w.candidates.map((node) => {
    const pool = ctx.pools.get(node)!;
    return {
      node,
      cpuFits: allocate(pool, w.spec.name, w.spec.vcpus, w.spec.threadPolicy, ctx.model.smt) !== null,
      cpu: cpuNeed(pool, w.spec.vcpus, w.spec.threadPolicy),
      pagesLeft: ctx.pagesFree.get(node) ?? 0,
    };
  });
}

/** VFs the VNF needs per PF. */
function vfNeeds(w: VnfWork): Map<string, number> {
  const out = new Map<string, number>();
  for (const pf of w.pfOf.values()) out.set(pf, (out.get(pf) ?? 0) + 1);
  return out;
}

function cpuText(v: NodeView, spec: VnfSpec): string {
  const unit = v.cpu.unit === "cores" ? "core" : "CPU";
  return `${plural(v.cpu.need, unit)} for ${plural(spec.vcpus, "vCPU")} (thread policy ${spec.threadPolicy})`;
}

/** What binds a VNF the solver left out, against the plan of the others. */
export function leftOutReason(w: VnfWork, ctx: LeftOutContext): PlacementLeftOut {
  const size = pageSizeText(ctx.topology.host.hugepages.sizeKiB);
  const views = nodeViews(w, ctx);
  // The node that comes closest: fewest resources short, then the smallest shortfall.
  const short = (v: NodeView) => Number(!v.cpuFits) + Number(v.pagesLeft < w.pages);
  const best = [...views].sort(
    (a, b) =>
      short(a) - short(b) ||
      Math.max(0, a.cpu.need - a.cpu.have) - Math.max(0, b.cpu.need - b.cpu.have) ||
      Math.max(0, w.pages - a.pagesLeft) - Math.max(0, w.pages - b.pagesLeft) ||
      a.node - b.node,
  )[0];
  const vfs = vfNeeds(w);
  const needsParts = [
    best ? cpuText(best, w.spec) : plural(w.spec.vcpus, "vCPU"),
    `${w.pages} x ${size} pages`,
    ...[...vfs].map(([pf, k]) => `${plural(k, "VF")} of ${pf}`),
  ];
  const binding: string[] = [];
  let resource: PlanResource = "cpu";
  for (const [pf, k] of vfs) {
    const st = ctx.pfStates.get(pf);
    const free = st ? st.holder.filter((h) => h === null).length : 0;
    if (free < k) {
      binding.push(`${free} of ${st?.numVfs ?? 0} VFs of ${pf} free`);
      resource = "vf";
    }
  }
  if (best && binding.length === 0) {
    if (!best.cpuFits) {
      binding.push(
        `${plural(best.cpu.have, best.cpu.unit === "cores" ? "free core" : "free CPU")} on node ${best.node}`,
      );
      resource = ctx.topology.host.cpus.isolate === "auto" ? "cpu" : "isolation";
    }
    if (best.pagesLeft < w.pages) {
      const np = ctx.pagesByNode.get(best.node);
      binding.push(`${best.pagesLeft} of ${np?.capacity ?? 0} ${size} pages left on node ${best.node}`);
      if (best.cpuFits) resource = "hugepages";
    }
    if (binding.length === 0)
      binding.push("cores and pages fit on their own, not together with the VNFs placed");
  }
  if (!best && binding.length === 0) binding.push("no NUMA node may hold it");
  const item = `${w.spec.name} (needs ${needsParts.join(", ")}; binding: ${binding.join(" and ")})`;
  return {
    vnf: w.spec.name,
    resource,
    node: best?.node ?? null,
    needs: needsParts.join(", "),
    binding: binding.join(" and "),
    text: ctx.leftOut === 1 ? `leaving out ${item} lets the other ${ctx.placed} fit` : item,
  };
}

/** One change of the VNF's own keys (or of host.hugepages.count) and how much it takes away. */
interface Change {
  /** Topology key path, as the file writes it. */
  path: string[];
  value: string | number;
  from: string | number;
  /** Share of the VNF's request it gives up (0: nothing, the host gives more). */
  cost: number;
  apply(t: Topology): Topology;
}

function withVnf(t: Topology, name: string, edit: (v: VnfSpec) => VnfSpec): Topology {
  return { ...t, vnfs: t.vnfs.map((v) => (v.name === name ? edit(v) : v)) };
}

/** Changes that could make the VNF fit on one of its nodes, least costly first. */
function candidateChanges(w: VnfWork, ctx: LeftOutContext): Change[] {
  const { spec } = w;
  const name = spec.name;
  const sizeKiB = ctx.topology.host.hugepages.sizeKiB;
  const kind = KINDS[spec.kind];
  const out: Change[] = [];
  for (const v of nodeViews(w, ctx)) {
    const pool = ctx.pools.get(v.node)!;
    const pagesFit = v.pagesLeft >= w.pages;
    if (!v.cpuFits && pagesFit) {
      const fit = largestFit(pool, spec.threadPolicy, ctx.model.smt, kind?.vcpus ?? null, spec.vcpus - 1);
      if (fit > 0)
        out.push({
          path: ["vnfs", name, "vcpus"],
          value: fit,
          from: spec.vcpus,
          cost: (spec.vcpus - fit) / spec.vcpus,
          apply: (t) => withVnf(t, name, (x) => ({ ...x, vcpus: fit })),
        });
      if (spec.threadPolicy === "isolate" && allocate(pool, name, spec.vcpus, "prefer", ctx.model.smt)) {
        const cores = cpuNeed(pool, spec.vcpus, "prefer").need;
        out.push({
          path: ["vnfs", name, "thread-policy"],
          value: "prefer",
          from: "isolate",
          cost: (spec.vcpus - cores) / spec.vcpus,
          apply: (t) => withVnf(t, name, (x) => ({ ...x, threadPolicy: "prefer" })),
        });
      }
    }
    if (v.cpuFits && !pagesFit) {
      const memoryKiB = v.pagesLeft * sizeKiB;
      if (memoryKiB > 0 && memoryKiB >= (kind?.minMemoryKiB ?? 0))
        out.push({
          path: ["vnfs", name, "memory"],
          value: sizeText(memoryKiB),
          from: sizeText(spec.memoryKiB),
          cost: (spec.memoryKiB - memoryKiB) / spec.memoryKiB,
          apply: (t) => withVnf(t, name, (x) => ({ ...x, memoryKiB })),
        });
      // More pages at boot cost the VNF nothing, when the node's memory holds them.
      const count = ctx.topology.host.hugepages.count;
      const np = ctx.pagesByNode.get(v.node);
      if (count !== undefined && np && np.bootShare !== null) {
        // Every node's boot share must reach the capacity this node needs (the kernel spreads
        // hugepages= evenly), and what is reserved now already counts.
        const wanted = np.capacity + (w.pages - v.pagesLeft);
        const raised = Math.max(count, wanted * ctx.model.nodeIds.length);
        if (wanted <= np.memoryPages && raised > count)
          out.push({
            path: ["host", "hugepages", "count"],
            value: raised,
            from: count,
            cost: 0,
            apply: (t) => ({
              ...t,
              host: { ...t.host, hugepages: { ...t.host.hugepages, count: raised } },
            }),
          });
      }
    }
  }
  // A `node:` pin that holds it on a full node: another node where it fits costs it nothing.
  if (spec.node !== undefined) {
    for (const node of ctx.model.nodeIds) {
      if (node === spec.node) continue;
      const pool = ctx.pools.get(node);
      if (!pool || (ctx.pagesFree.get(node) ?? 0) < w.pages) continue;
      if (!allocate(pool, name, spec.vcpus, spec.threadPolicy, ctx.model.smt)) continue;
      out.push({
        path: ["vnfs", name, "node"],
        value: node,
        from: spec.node,
        cost: 0,
        apply: (t) => withVnf(t, name, (x) => ({ ...x, node })),
      });
    }
  }
  const seen = new Set<string>();
  return out
    .sort((a, b) => a.cost - b.cost || a.path.join(".").localeCompare(b.path.join(".")))
    .filter((c) => {
      const k = `${c.path.join(".")}=${c.value}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/**
 * The least costly change that makes every VNF fit when only this one is left out: each candidate
 * is planned again (`fitsAll`) and only a change that really places them all is named.
 */
export function smallestChange(
  w: VnfWork,
  ctx: LeftOutContext,
  fitsAll: (topology: Topology) => boolean,
): PlacementChange | null {
  for (const c of candidateChanges(w, ctx)) {
    if (!fitsAll(c.apply(ctx.topology))) continue;
    return {
      path: c.path,
      value: c.value,
      from: c.from,
      text: `smallest change that makes every VNF fit: set ${c.path.join(".")} to ${c.value} (now ${c.from})`,
    };
  }
  return null;
}
