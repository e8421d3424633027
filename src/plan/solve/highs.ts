/**
 * HiGHS (the `highs` package: the HiGHS MILP solver compiled to WebAssembly) behind a synchronous
 * call. Its loader is asynchronous and the planner is a pure synchronous function, so HiGHS runs in
 * a worker thread that this thread waits on (Atomics.wait), loaded on the first solve only: plans
 * whose first pass places every VNF never pay for the 3.5 MB WebAssembly module.
 */
import { createRequire } from "node:module";
import { MessageChannel, Worker, receiveMessageOnPort } from "node:worker_threads";

export interface MilpRun {
  /** HiGHS model status text: "Optimal", "Time limit reached", "Infeasible"... */
  status: string;
  /** Column values by name (only for statuses that carry a solution). */
  values: Map<string, number>;
  objective: number | null;
  /** Proven bound on the objective (maximisation: no solution is better). */
  dualBound: number | null;
  /** Branch-and-bound nodes HiGHS processed. */
  nodes: number | null;
  ms: number;
}

export interface MilpLimits {
  /** Wall-clock guard in seconds. */
  timeLimitS: number;
  /**
   * Branch-and-bound nodes HiGHS may process: the work limit. Unlike the wall clock it does not
   * depend on how busy the machine is, so the same problem always gets the same answer.
   */
  nodeLimit: number;
  /** A known solution (column name -> value) HiGHS starts from; it completes missing columns. */
  start?: Record<string, number>;
}

// Runs in the worker (CommonJS, evaluated from this string so it needs no file of its own next
// to the compiled planner). One persistent HiGHS instance per solve, disposed afterwards.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
let highs = null;
parentPort.on("message", async (msg) => {
  let out;
  try {
    highs ??= await require(workerData.highsPath)();
    const model = highs.createModel({ format: "lp", data: msg.lp });
    try {
      for (const [k, v] of Object.entries(msg.options)) model.options.set(k, v);
      if (msg.start) {
        // A MIP start (the first pass's answer): its x columns by name; HiGHS completes the rest.
        const indices = [];
        const values = [];
        for (const [name, value] of Object.entries(msg.start)) {
          const i = model.getColByName(name);
          if (i >= 0) { indices.push(i); values.push(value); }
        }
        if (indices.length > 0) model.setSolution({ indices, values });
      }
      const t0 = performance.now();
      model.run();
      const ms = performance.now() - t0;
      const code = model.getModelStatus();
      const names = Object.fromEntries(Object.entries(highs.constants.modelStatus).map(([k, v]) => [v, k]));
      const status = names[code] ?? String(code);
      let values = null;
      let objective = null;
      let dualBound = null;
      const sol = model.getSolution();
      if (status === "optimal" || (sol && sol.colValue && sol.colValue.length > 0 && Number.isFinite(model.getObjectiveValue()))) {
        values = {};
        const n = sol.colValue.length;
        for (let i = 0; i < n; i++) if (Math.abs(sol.colValue[i]) > 1e-6) values[model.getColName(i)] = sol.colValue[i];
        objective = model.getObjectiveValue();
      }
      try { dualBound = Number(model.info.get("mip_dual_bound")); } catch { dualBound = null; }
      let nodes = null;
      try { nodes = Number(model.info.get("mip_node_count")); } catch { nodes = null; }
      out = { status, values, objective, dualBound, nodes, ms };
    } finally {
      model.dispose();
    }
  } catch (e) {
    out = { error: String((e && e.message) || e) };
  }
  msg.port.postMessage(out);
  Atomics.store(msg.flag, 0, 1);
  Atomics.notify(msg.flag, 0);
});
`;

let worker: Worker | null = null;

function getWorker(): Worker {
  if (worker) return worker;
  const require = createRequire(import.meta.url);
  worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { highsPath: require.resolve("highs") } });
  // A CLI run ends when its work is done, not when the solver thread idles.
  worker.unref();
  worker.on("error", () => {
    worker = null;
  });
  return worker;
}

const STATUS_TEXT: Record<string, string> = {
  optimal: "Optimal",
  timeLimit: "Time limit reached",
  solutionLimit: "Work limit reached",
  infeasible: "Infeasible",
  empty: "Empty",
};

/**
 * Solves an LP-format MILP (maximisation) and waits for the answer. Symmetry detection is off:
 * HiGHS 1.15.1 returned a wrong "optimal" 23 instead of 24 on a symmetric packing with it on.
 */
export function solveMilp(lp: string, limits: MilpLimits): MilpRun {
  const { timeLimitS, nodeLimit, start } = limits;
  const w = getWorker();
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const options = {
    output_flag: false,
    mip_detect_symmetry: false,
    mip_rel_gap: 0,
    // Objective coefficients are integers: a gap below 1 proves the optimum.
    mip_abs_gap: 0.999,
    time_limit: timeLimitS,
    mip_max_nodes: nodeLimit,
    random_seed: 0,
  };
  const t0 = performance.now();
  w.postMessage({ lp, options, start: start ?? null, port: port2, flag }, [port2]);
  // Loading the module takes part of the budget; the extra 30 s only guards against a dead worker.
  const waited = Atomics.wait(flag, 0, 0, (timeLimitS + 30) * 1000);
  const msg = receiveMessageOnPort(port1)?.message as
    | { error: string }
    | {
        status: string;
        values: Record<string, number> | null;
        objective: number | null;
        dualBound: number | null;
        nodes: number | null;
        ms: number;
      }
    | undefined;
  port1.close();
  if (waited === "timed-out" || !msg) throw new Error("HiGHS worker did not answer");
  if ("error" in msg) throw new Error(`HiGHS failed: ${msg.error}`);
  return {
    status: STATUS_TEXT[msg.status] ?? msg.status,
    values: new Map(Object.entries(msg.values ?? {})),
    objective: msg.objective,
    dualBound: msg.dualBound !== null && Number.isFinite(msg.dualBound) ? msg.dualBound : null,
    nodes: msg.nodes !== null && Number.isFinite(msg.nodes) ? msg.nodes : null,
    ms: performance.now() - t0,
  };
}
