/**
 * The pipeline as the read-only commands (plan, render) run it: this host's libvirt when the facts
 * are this host's (or when --connect names one), none for a snapshot of another machine.
 */
import { Virsh } from "../libvirt/virsh.js";
import { bindHost, runPipeline, type PipelineResult } from "../pipeline/index.js";
import type { DeployedVnf } from "../plan/types.js";
import { loadTopology } from "../topology/load.js";
import type { SharedOptions } from "./options.js";

export async function pipelineFor(
  file: string,
  o: SharedOptions,
  extra: { deployed?: DeployedVnf[]; timeLimitS?: number } = {},
): Promise<PipelineResult> {
  const parsed = loadTopology(file);
  parsed.catch(() => undefined); // awaited by runPipeline
  const live = o.root === "/";
  const withLibvirt = (live || o.connectGiven) && extra.deployed === undefined;
  if (withLibvirt) bindHost({ root: o.root, connect: o.connect, purpose: "plan" });
  const result = await runPipeline({
    parsed,
    root: o.root,
    virsh: withLibvirt ? new Virsh(o.connect, { timeoutMs: 30_000 }) : null,
    stateDir: withLibvirt ? o.state : null,
    libvirtOptional: true,
    timeLimitS: extra.timeLimitS,
  });
  if (extra.deployed === undefined) return result;
  // --deployed FILE: a snapshot's running VMs given by hand (no libvirt belongs to the snapshot).
  return runPipeline({
    parsed,
    root: o.root,
    virsh: null,
    stateDir: null,
    facts: result.facts,
    deployed: extra.deployed,
    timeLimitS: extra.timeLimitS,
  });
}
