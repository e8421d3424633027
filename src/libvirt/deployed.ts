/**
 * What nfvhost already runs on this host: every domain whose XML carries the nfvhost metadata
 * element. The planner receives these as DeployedVnf so that re-planning never moves them.
 */
import type { HostFacts } from "../facts/types.js";
import type { DeployedVnf } from "../plan/types.js";
import { NFVHOST_XMLNS, parseDomainXml, type DomainSummary } from "./domain-xml.js";
import { mapLimit, READ_CONCURRENCY } from "../util/concurrency.js";
import type { DomainListEntry } from "./parse.js";
import type { Virsh } from "./virsh.js";

export interface LiveDomain {
  name: string;
  state: string;
  /** Live XML when running, persistent XML otherwise. */
  summary: DomainSummary;
  /** Persistent (inactive) definition. */
  config: DomainSummary;
  configXml: string;
  managed: boolean;
}

/**
 * Every domain libvirt lists, read with its persistent and (when running) live XML. The reads are
 * independent, so they run a few at a time (each is its own virsh process); the result keeps
 * libvirt's list order.
 */
export async function readDomains(virsh: Virsh): Promise<LiveDomain[]> {
  const read = await mapLimit(await virsh.listDomains(), READ_CONCURRENCY, (d) => readDomain(virsh, d));
  return read.filter((d): d is LiveDomain => d !== null);
}

/** One listed domain; null when it is not ours to model or it went away after `list`. */
async function readDomain(virsh: Virsh, d: DomainListEntry): Promise<LiveDomain | null> {
  try {
    // Both definitions are read at once; the live one only matters if the inactive one parses.
    const live = d.state === "shut off" ? null : virsh.dumpXml(d.name);
    live?.catch(() => undefined);
    const configXml = await virsh.dumpXml(d.name, { inactive: true });
    let config: DomainSummary;
    try {
      config = parseDomainXml(configXml);
    } catch (e) {
      // A foreign domain nfvhost cannot model (another hypervisor feature set) is not ours:
      // leave it alone. Ours always parse; if not, that is an error to show.
      if (configXml.includes(NFVHOST_XMLNS)) throw e;
      return null;
    }
    const summary = live === null ? config : parseDomainXml(await live);
    return {
      name: d.name,
      state: d.state,
      summary,
      config,
      configXml,
      managed: config.metadata !== null,
    };
  } catch (e) {
    // A transient domain that stopped (or one undefined) between `list` and `dumpxml` is gone.
    if (await virsh.domainExists(d.name)) throw e;
    return null;
  }
}

function nodeOf(s: DomainSummary, facts?: HostFacts): number {
  if (s.numatune && s.numatune.nodeset.length > 0) return s.numatune.nodeset[0]!;
  const first = Object.values(s.vcpuPins)[0]?.[0];
  const cpu = facts?.cpus.find((c) => c.id === first);
  return cpu?.node ?? 0;
}

/**
 * Placement from the persistent definition (a live-only re-pin is drift, not a new placement);
 * VFs from the live XML, where libvirt shows the VF a pool handed out.
 */
export function toDeployedVnf(d: LiveDomain, facts?: HostFacts): DeployedVnf {
  const s = d.config;
  const live = d.summary;
  const pins: number[] = [];
  for (let v = 0; v < s.vcpus; v++) {
    const cpus = s.vcpuPins[v];
    if (cpus && cpus.length > 0) pins.push(cpus[0]!);
  }
  return {
    name: d.name,
    node: nodeOf(s, facts),
    vcpuPins: pins,
    emulatorCpus: s.emulatorPin ?? [],
    memoryKiB: s.memoryKiB,
    pageSizeKiB: s.hugepageSizeKiB ?? 4,
    vfs: live.interfaces.filter((i) => i.type === "hostdev" && i.source).map((i) => i.source!),
    macs: live.interfaces.map((i) => i.mac).filter((m): m is string => m !== null),
  };
}

/** Managed domains that are running (or paused): the ones the planner must keep in place. */
export async function readDeployed(virsh: Virsh, facts?: HostFacts): Promise<DeployedVnf[]> {
  const domains = await readDomains(virsh);
  return domains.filter((d) => d.managed && d.state !== "shut off").map((d) => toDeployedVnf(d, facts));
}
