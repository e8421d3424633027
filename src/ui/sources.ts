/**
 * Wires the dashboard to the real pipeline: discovery (live or snapshot), the planner on the
 * --topology file or a previewed text, and libvirt for what runs now.
 */
import { discoverHost } from "../facts/discover.js";
import type { HostFacts } from "../facts/types.js";
import { readDeployed } from "../libvirt/deployed.js";
import { Virsh } from "../libvirt/virsh.js";
import { planDeployment } from "../plan/planner.js";
import type { DeployedVnf } from "../plan/types.js";
import { loadTopology, parseTopology } from "../topology/load.js";
import type { ParsedTopology } from "../topology/types.js";
import type { UiSources } from "./server.js";
import { readLastVerify } from "../verify/last.js";
import type { LiveVnf } from "./view.js";

export interface SourceOptions {
  root: string;
  topology?: string;
  /** libvirt URI; null = no live state (a snapshot of another host). */
  connect: string | null;
  /** nfvhost state directory, where `verify` records its last result; null = none. */
  stateDir?: string | null;
}

export function createSources(opts: SourceOptions): UiSources {
  const virsh = opts.connect ? new Virsh(opts.connect, { timeoutMs: 15_000 }) : null;
  const snapshot = opts.root !== "/";
  let cached: Promise<HostFacts> | null = null;
  let cachedAt = 0;

  // A live host changes (free pages, VFs): re-read at most once a second. A snapshot never does.
  const facts = (): Promise<HostFacts> => {
    if (!cached || (!snapshot && Date.now() - cachedAt > 1000)) {
      cached = discoverHost({ root: opts.root });
      cachedAt = Date.now();
    }
    return cached;
  };

  const live = async (): Promise<LiveVnf[]> => {
    if (!virsh) return [];
    const list = await virsh.listDomains();
    return list.map((d) => ({ name: d.name, state: d.state }));
  };

  const deployed = async (f: HostFacts): Promise<DeployedVnf[]> =>
    virsh && !snapshot ? readDeployed(virsh, f).catch(() => []) : [];

  return {
    facts,
    live: () => live().catch(() => []),
    lastVerify: async () => (opts.stateDir ? readLastVerify(opts.stateDir) : null),
    deployed,
    async plan(text?: string) {
      let parsed: ParsedTopology;
      if (text !== undefined) parsed = parseTopology(text, "preview.yaml");
      else if (opts.topology) parsed = await loadTopology(opts.topology);
      else return { plan: null, problems: [], file: null };
      const f = await facts();
      const result = planDeployment(f, parsed.topology, await deployed(f));
      return result.ok
        ? { plan: result.plan, problems: [], file: parsed.file }
        : { plan: null, problems: result.problems, file: parsed.file };
    },
  };
}
