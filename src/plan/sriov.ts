/**
 * SR-IOV bookkeeping: the VFs of every PF the plan touches, who holds which VF, VLAN budgets per
 * driver, and MAC addresses (given, or generated deterministically).
 */
import { hash } from "node:crypto";
import type { HostFacts, NicFact } from "../facts/types.js";
import type { SriovPfSpec, Topology } from "../topology/types.js";

/** VLAN filters per driver (docs/reference/cisco-vrouter-facts.md section 6.1). */
export interface VlanLimits {
  /** Distinct VLANs all VFs of one PF may use together. */
  perPf: number | null;
  /** VLANs one VF may use while it is not trusted. */
  untrustedPerVf: number | null;
}

const VLAN_LIMITS: Record<string, VlanLimits> = {
  ixgbe: { perPf: 64, untrustedPerVf: null },
  i40e: { perPf: 512, untrustedPerVf: 16 },
  ice: { perPf: null, untrustedPerVf: 8 },
};

export function vlanLimits(driver: string | null): VlanLimits {
  return (driver && VLAN_LIMITS[driver]) || { perPf: null, untrustedPerVf: null };
}

export interface PfState {
  name: string;
  nic: NicFact;
  spec: SriovPfSpec | undefined;
  numVfs: number;
  totalVfs: number;
  vfPcis: string[];
  /** Administrative MAC of each VF (what NetworkManager sets at boot). */
  adminMacs: (string | null)[];
  /** VNF holding each VF, null when free. */
  holder: (string | null)[];
  /** VLAN/trust/spoofchk of VFs given to a VNF as an explicit hostdev (pool VFs take theirs from libvirt). */
  hostdevSettings: ({ vlan?: number; trust: boolean; spoofchk: boolean } | null)[];
  vlans: Set<number>;
  limits: VlanLimits;
}

function parsePci(pci: string): { dom: string; rid: number } | null {
  const m = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(pci);
  if (!m) return null;
  return { dom: m[1]!, rid: (parseInt(m[2]!, 16) << 8) | (parseInt(m[3]!, 16) << 3) | parseInt(m[4]!, 10) };
}

function formatPci(dom: string, rid: number): string {
  const bus = (rid >> 8) & 0xff;
  const slot = (rid >> 3) & 0x1f;
  const fn = rid & 7;
  return `${dom}:${bus.toString(16).padStart(2, "0")}:${slot.toString(16).padStart(2, "0")}.${fn}`;
}

/**
 * VF addresses follow the PF's routing id: VF n = PF + offset + n * stride. Offset and stride come
 * from facts (sriov_offset/sriov_stride) or from the VFs that exist now; null when unknowable.
 */
function vfAddresses(nic: NicFact, count: number): (string | null)[] {
  const existing = new Map((nic.sriov?.vfs ?? []).map((v) => [v.index, v.pci]));
  const pf = parsePci(nic.pci);
  let offset = nic.sriov?.offset ?? null;
  let stride = nic.sriov?.stride ?? null;
  const vf0 = existing.get(0) ? parsePci(existing.get(0)!) : null;
  const vf1 = existing.get(1) ? parsePci(existing.get(1)!) : null;
  if (offset === null && pf && vf0) offset = vf0.rid - pf.rid;
  if (stride === null && vf0 && vf1) stride = vf1.rid - vf0.rid;
  const out: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const known = existing.get(i);
    if (known) out.push(known);
    else if (pf && offset !== null && (stride !== null || i === 0))
      out.push(formatPci(pf.dom, pf.rid + offset + i * (stride ?? 0)));
    else out.push(null);
  }
  return out;
}

export function buildPfStates(
  facts: HostFacts,
  topology: Topology,
  referenced: Set<string>,
  warnings: string[],
): Map<string, PfState> {
  const states = new Map<string, PfState>();
  const names = [...new Set([...topology.host.sriov.map((s) => s.pf), ...referenced])].sort();
  for (const name of names) {
    const nic = facts.nics.find((n) => n.name === name && !n.physfn);
    if (!nic || !nic.sriov) continue;
    const spec = topology.host.sriov.find((s) => s.pf === name);
    const numVfs = spec ? Math.min(spec.vfs, nic.sriov.totalVfs) : nic.sriov.numVfs;
    const addresses = vfAddresses(nic, numVfs);
    const vfPcis = addresses.map((a, i) => {
      if (a !== null) return a;
      return `${nic.pci}/virtfn${i}`;
    });
    if (addresses.some((a) => a === null)) {
      warnings.push(
        `VF PCI addresses of ${name} are not known until its VFs exist (no sriov_offset/sriov_stride in the facts); ` +
          `run nfvhost plan again after the VFs are created`,
      );
    }
    const factMacs = new Map((nic.sriov.vfs ?? []).map((v) => [v.index, v.mac]));
    states.set(name, {
      name,
      nic,
      spec,
      numVfs,
      totalVfs: nic.sriov.totalVfs,
      vfPcis,
      adminMacs: vfPcis.map((_, i) => spec?.macs?.[i]?.toLowerCase() ?? factMacs.get(i) ?? null),
      holder: vfPcis.map(() => null),
      hostdevSettings: vfPcis.map(() => null),
      vlans: new Set(),
      limits: vlanLimits(nic.driver),
    });
  }
  return states;
}

/** A locally administered unicast MAC derived from a stable key; `attempt` moves past collisions. */
export function generatedMac(key: string, attempt: number): string {
  // One-shot hash: the same digest as createHash().update().digest(), without the stream object
  // (a fleet plan generates tens of thousands of MACs).
  const h = hash("sha256", attempt === 0 ? key : `${key}#${attempt}`, "buffer");
  const bytes = [(h[0]! & 0xfc) | 0x02, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Hands out MACs unique across the host: given ones are checked, missing ones generated. */
export class MacRegistry {
  private readonly owners = new Map<string, string>();

  claim(mac: string, owner: string): string | null {
    const m = mac.toLowerCase();
    const prev = this.owners.get(m);
    if (prev !== undefined) return prev;
    this.owners.set(m, owner);
    return null;
  }

  has(mac: string): boolean {
    return this.owners.has(mac.toLowerCase());
  }

  generate(key: string, owner: string): string {
    for (let attempt = 0; ; attempt++) {
      const mac = generatedMac(key, attempt);
      if (!this.owners.has(mac)) {
        this.owners.set(mac, owner);
        return mac;
      }
    }
  }
}
