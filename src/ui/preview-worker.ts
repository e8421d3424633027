/**
 * Plans a previewed topology text in a worker thread: a large or adversarial text (thousands of
 * VNFs) keeps this worker busy, never the dashboard's event loop, and the server can end it.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { HostFacts } from "../facts/types.js";
import { planDeployment } from "../plan/planner.js";
import type { DeployedVnf } from "../plan/types.js";
import { parseTopology } from "../topology/load.js";
import { NfvError, NfvErrors } from "../util/errors.js";

export interface PreviewJob {
  text: string;
  facts: HostFacts;
  deployed: DeployedVnf[];
}

const job = workerData as PreviewJob;
try {
  const parsed = parseTopology(job.text, "preview.yaml");
  const result = planDeployment(job.facts, parsed.topology, job.deployed);
  parentPort!.postMessage(
    result.ok
      ? { ok: true, plan: result.plan, problems: [], file: parsed.file }
      : { ok: true, plan: null, problems: result.problems, file: parsed.file },
  );
} catch (err) {
  const input = err instanceof NfvError || err instanceof NfvErrors;
  parentPort!.postMessage({ ok: false, input, message: err instanceof Error ? err.message : String(err) });
}
