/**
 * The exact optimum of a placement problem: a MILP in CPLEX LP format solved by HiGHS (the `highs`
 * package, HiGHS compiled to WebAssembly). Maximises the number of VNFs placed under the rules of
 * ./model.ts. See docs/bench.md for the formulation.
 */
import highsModule from "highs";
import type { LegacyHighs } from "highs";
import { coresFor } from "./model.js";
import type { PlacementModel } from "./model.js";

type Loader = () => Promise<LegacyHighs>;

// highs ships CommonJS typings for an ESM entry: the default export is the loader at run time.
const highsLoader: Loader =
  (highsModule as unknown as { default?: Loader }).default ?? (highsModule as unknown as Loader);

let loaded: Promise<LegacyHighs> | null = null;
/** HiGHS is loaded once per process; its solve() builds a fresh native solver every call. */
export function loadHighs(): Promise<LegacyHighs> {
  loaded ??= highsLoader();
  return loaded;
}

export type Formulation = "aggregate" | "per-core";

export interface MilpResult {
  status: string;
  /** Proven optimum (number of VNFs placed); null when HiGHS did not prove one. */
  optimum: number | null;
  /** VNF index -> node, for the optimal solution. */
  assignment: Map<number, number>;
  variables: number;
  constraints: number;
  ms: number;
}

interface Row {
  name: string;
  terms: [number, string][];
  sense: "<=" | "=";
  rhs: number;
}

function formatRow(r: Row): string {
  const parts = r.terms.map(([c, v], i) => {
    const sign = c < 0 ? "-" : i === 0 ? "" : "+";
    const mag = Math.abs(c);
    return `${sign} ${mag === 1 ? "" : `${mag} `}${v}`.trim();
  });
  // Short lines: the LP format is line-oriented and some readers cap line length.
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i += 12) lines.push(parts.slice(i, i + 12).join(" "));
  return ` ${r.name}: ${lines.join("\n   ")} ${r.sense} ${r.rhs}`;
}

/** Builds the LP text; exported so tests can check the formulation itself. */
export function buildLp(
  model: PlacementModel,
  formulation: Formulation = "aggregate",
): {
  lp: string;
  xVars: { name: string; vnf: number; node: number }[];
  binaries: string[];
  rows: number;
} {
  const xVars: { name: string; vnf: number; node: number }[] = [];
  const binaries: string[] = [];
  const rows: Row[] = [];
  const nodeIndex = new Map(model.nodes.map((n, i) => [n.id, i]));
  model.vnfs.forEach((v, vi) => {
    for (const nodeId of v.nodes) {
      const node = model.nodes[nodeIndex.get(nodeId)!]!;
      // A VNF that cannot fit an empty node gets no variable there.
      if (coresFor(v.vcpus, node) > node.usableCores || v.pages > node.pages) continue;
      const name = `x_${vi}_${nodeId}`;
      xVars.push({ name, vnf: vi, node: nodeId });
      binaries.push(name);
    }
  });
  const xOf = (vi: number) => xVars.filter((x) => x.vnf === vi);
  const xOn = (nodeId: number) => xVars.filter((x) => x.node === nodeId);

  model.vnfs.forEach((_, vi) => {
    const xs = xOf(vi);
    if (xs.length > 1)
      rows.push({ name: `one_${vi}`, terms: xs.map((x) => [1, x.name]), sense: "<=", rhs: 1 });
  });
  for (const node of model.nodes) {
    const xs = xOn(node.id);
    if (!xs.length) continue;
    if (formulation === "aggregate") {
      rows.push({
        name: `cores_${node.id}`,
        terms: xs.map((x) => [coresFor(model.vnfs[x.vnf]!.vcpus, node), x.name]),
        sense: "<=",
        rhs: node.usableCores,
      });
    } else {
      // y_v_c = 1 when core c belongs to VNF v; each VNF on the node takes exactly its cores.
      const cores = node.cores.map((c, ci) => ({ c, ci })).filter(({ c }) => !c.housekeeping);
      for (const x of xs) {
        const ys = cores.map(({ ci }) => `y_${x.vnf}_${node.id}_${ci}`);
        binaries.push(...ys);
        rows.push({
          name: `take_${x.vnf}_${node.id}`,
          terms: [
            ...ys.map((y): [number, string] => [1, y]),
            [-coresFor(model.vnfs[x.vnf]!.vcpus, node), x.name],
          ],
          sense: "=",
          rhs: 0,
        });
      }
      for (const { ci } of cores) {
        rows.push({
          name: `core_${node.id}_${ci}`,
          terms: xs.map((x): [number, string] => [1, `y_${x.vnf}_${node.id}_${ci}`]),
          sense: "<=",
          rhs: 1,
        });
      }
    }
    rows.push({
      name: `pages_${node.id}`,
      terms: xs.map((x) => [model.vnfs[x.vnf]!.pages, x.name]),
      sense: "<=",
      rhs: node.pages,
    });
  }
  model.pfs.forEach((pf, pi) => {
    const xs = xVars.filter((x) => (model.vnfs[x.vnf]!.vfs[pf.name] ?? 0) > 0);
    if (!xs.length) return;
    rows.push({
      name: `vfs_${pi}`,
      terms: xs.map((x) => [model.vnfs[x.vnf]!.vfs[pf.name]!, x.name]),
      sense: "<=",
      rhs: pf.vfs,
    });
  });
  // VFs a VNF needs from a PF the host lacks: it cannot be placed at all.
  const missingPf = (vi: number) =>
    Object.keys(model.vnfs[vi]!.vfs).some((pf) => !model.pfs.some((p) => p.name === pf));
  const objective = xVars.filter((x) => !missingPf(x.vnf));
  const lp = [
    "Maximize",
    formatRow({ name: "placed", terms: objective.map((x) => [1, x.name]), sense: "<=", rhs: 0 }).replace(
      / <= 0$/,
      "",
    ),
    "Subject To",
    ...rows.map(formatRow),
    ...xVars.filter((x) => missingPf(x.vnf)).map((x) => ` none_${x.name}: ${x.name} = 0`),
    "Binary",
    ...binaries.map((b) => ` ${b}`),
    "End",
  ].join("\n");
  return { lp, xVars, binaries, rows: rows.length };
}

export async function solvePlacement(
  model: PlacementModel,
  opts: { formulation?: Formulation; timeLimitS?: number } = {},
): Promise<MilpResult> {
  const { lp, xVars, binaries, rows } = buildLp(model, opts.formulation ?? "aggregate");
  const t0 = performance.now();
  if (!xVars.length) {
    return { status: "Optimal", optimum: 0, assignment: new Map(), variables: 0, constraints: 0, ms: 0 };
  }
  const highs = await loadHighs();
  const sol = highs.solve(lp, {
    output_flag: false,
    mip_rel_gap: 0,
    mip_abs_gap: 0,
    // HiGHS 1.15.1 returned a wrong "optimal" on a symmetric packing with symmetry detection on.
    mip_detect_symmetry: false,
    time_limit: opts.timeLimitS ?? 60,
  });
  const ms = performance.now() - t0;
  const assignment = new Map<number, number>();
  if (sol.Status !== "Optimal") {
    return {
      status: sol.Status,
      optimum: null,
      assignment,
      variables: binaries.length,
      constraints: rows,
      ms,
    };
  }
  for (const x of xVars) {
    const col = sol.Columns[x.name] as { Primal?: number } | undefined;
    if ((col?.Primal ?? 0) > 0.5) assignment.set(x.vnf, x.node);
  }
  return {
    status: sol.Status,
    optimum: Math.round(sol.ObjectiveValue),
    assignment,
    variables: binaries.length,
    constraints: rows,
    ms,
  };
}
