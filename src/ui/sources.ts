/**
 * Wires the dashboard to the one pipeline (src/pipeline): discovery (live or snapshot), what runs
 * now, and the planner on the --topology file or a previewed text.
 */
import { discoverHost } from "../facts/discover.js";
import type { HostFacts } from "../facts/types.js";
import { readDeployed } from "../libvirt/deployed.js";
import { Virsh } from "../libvirt/virsh.js";
import type { DeployedVnf } from "../plan/types.js";
import { runPipeline } from "../pipeline/index.js";
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

  // The preview worker plans around what runs now (it cannot reach libvirt itself).
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
      // The same pipeline as plan and apply: what runs now (nfvhost's VMs where the applied plan
      // put them, foreign ones where they run) from libvirt of a live host; none for a snapshot.
      const { result } = await runPipeline({
        parsed,
        root: opts.root,
        virsh: snapshot ? null : virsh,
        stateDir: snapshot ? null : (opts.stateDir ?? null),
        facts: facts(),
        libvirtOptional: true,
      });
      return result.ok
        ? { plan: result.plan, problems: [], file: parsed.file }
        : { plan: null, problems: result.problems, file: parsed.file };
    },
  };
}
