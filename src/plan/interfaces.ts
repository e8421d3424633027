/**
 * VNF interfaces: guest names, MACs, the VF each SR-IOV interface gets, VLAN budgets, and the
 * per-PF VF settings.
 */
import { guestInterfaceName, KINDS } from "../topology/kinds.js";
import type { InterfaceSpec, Topology } from "../topology/types.js";
import type { VnfWork } from "./checks.js";
import type { Problems } from "./problems.js";
import { plural } from "./problems.js";
import type { MacRegistry, PfState } from "./sriov.js";
import type { DeployedVnf, InterfacePlan, PfPlan, VfPlan } from "./types.js";

export function holdVf(pfStates: Map<string, PfState>, pci: string, holder: string): void {
  for (const st of pfStates.values()) {
    const i = st.vfPcis.indexOf(pci);
    if (i >= 0) st.holder[i] = holder;
  }
}

export function planInterfaces(
  w: VnfWork,
  node: number,
  topology: Topology,
  pfStates: Map<string, PfState>,
  macs: MacRegistry,
  problems: Problems,
  existing: DeployedVnf | undefined,
): InterfacePlan[] {
  const spec = w.spec;
  const kind = KINDS[spec.kind];
  const defaultModel = kind?.nicModels[0] ?? "virtio";
  const guestName = (i: number): string => (kind ? guestInterfaceName(kind, i) : `eth${i}`);
  const out: InterfacePlan[] = [];
  let existingVf = 0;
  spec.interfaces.forEach((iface, i) => {
    const mac =
      existing?.macs[i]?.toLowerCase() ??
      iface.mac?.toLowerCase() ??
      macs.generate(`${topology.name}/${spec.name}/${i}`, `${spec.name} interfaces[${i}]`);
    // Fields written out, not spread from a shared base: V8 builds `{ index: i, guestName: gname, mac, more }` on a slow
    // path (about 10 us each), which a fleet of 10,000 VNFs pays tens of thousands of times.
    const gname = guestName(i);
    if (iface.type === "macvtap") {
      out.push({
        index: i,
        guestName: gname,
        mac,
        model: iface.model ?? defaultModel,
        type: "macvtap",
        dev: iface.dev,
        mode: iface.mode,
      });
      return;
    }
    if (iface.type === "bridge") {
      const net = iface.network ? topology.networks.find((n) => n.name === iface.network) : undefined;
      const bridge = iface.bridge ?? (net && net.type === "bridge" ? net.bridge : (iface.network ?? ""));
      out.push({
        index: i,
        guestName: gname,
        mac,
        model: iface.model ?? defaultModel,
        type: "bridge",
        bridge,
        ...(iface.network ? { network: iface.network } : {}),
      });
      return;
    }
    if (iface.type === "network") {
      out.push({
        index: i,
        guestName: gname,
        mac,
        model: iface.model ?? defaultModel,
        type: "network",
        network: iface.network,
      });
      return;
    }
    const pfName = w.pfOf.get(i);
    const st = pfName ? pfStates.get(pfName) : undefined;
    if (!st) return;
    let vfIndex = -1;
    if (existing) {
      const pci = existing.vfs[existingVf++];
      vfIndex = pci ? st.vfPcis.indexOf(pci) : -1;
    } else {
      vfIndex = st.holder.indexOf(null);
      if (vfIndex >= 0) st.holder[vfIndex] = spec.name;
    }
    if (vfIndex < 0) {
      if (existing) return;
      const others = [...pfStates.values()]
        .filter((o) => o !== st && (o.nic.node === node || o.nic.node < 0) && o.holder.includes(null))
        .map((o) => `${o.name} (${plural(o.holder.filter((h) => h === null).length, "free VF")})`);
      const fixes: string[] = [];
      if (st.numVfs === 0) {
        problems.add({
          vnf: spec.name,
          resource: "vf",
          node: st.nic.node >= 0 ? st.nic.node : null,
          need: 1,
          have: 0,
          message: `${spec.name} interfaces[${i}] needs a VF of ${st.name}, which has no VFs`,
          fixes: [`add ${st.name} to host.sriov with vfs: 1 or more (sriov_totalvfs ${st.totalVfs})`],
          path: ["vnfs", spec.name, "interfaces", i],
        });
        return;
      }
      if (st.numVfs < st.totalVfs) {
        fixes.push(
          `raise host.sriov ${st.name} vfs to ${st.numVfs + 1} or more (sriov_totalvfs ${st.totalVfs})`,
        );
      }
      if (others.length) fixes.push(`use another PF on node ${node}: ${others.join(", ")}`);
      problems.add({
        vnf: spec.name,
        resource: "vf",
        node: st.nic.node >= 0 ? st.nic.node : null,
        need: 1,
        have: 0,
        message: `${spec.name} interfaces[${i}] needs a VF of ${st.name}, all ${plural(st.numVfs, "VF")} are taken`,
        fixes,
        path: ["vnfs", spec.name, "interfaces", i],
      });
      return;
    }
    const sr = iface as Extract<InterfaceSpec, { type: "sriov" }>;
    const vf: VfPlan = {
      pf: st.name,
      pfPci: st.nic.pci,
      index: vfIndex,
      pci: st.vfPcis[vfIndex]!,
      name: st.nic.sriov?.vfs.find((v) => v.index === vfIndex)?.name ?? null,
      mac: st.adminMacs[vfIndex]!,
      ...(sr.vlan !== undefined ? { vlan: sr.vlan } : {}),
      trust: sr.trust ?? st.spec?.trust ?? false,
      spoofchk: sr.spoofchk ?? st.spec?.spoofchk ?? true,
    };
    const model = defaultModel;
    if (sr.network)
      out.push({ index: i, guestName: gname, mac, model, type: "sriov-pool", network: sr.network, vf });
    else {
      out.push({ index: i, guestName: gname, mac, model, type: "sriov-hostdev", vf });
      st.hostdevSettings[vfIndex] = {
        ...(vf.vlan !== undefined ? { vlan: vf.vlan } : {}),
        trust: vf.trust,
        spoofchk: vf.spoofchk,
      };
    }
  });
  return out;
}

export function checkVlans(works: VnfWork[], pfStates: Map<string, PfState>, problems: Problems): void {
  for (const w of works) {
    w.spec.interfaces.forEach((iface, i) => {
      if (iface.type !== "sriov") return;
      const st = pfStates.get(w.pfOf.get(i) ?? "");
      if (!st) return;
      const vlans = new Set<number>([
        ...(iface.vlan !== undefined ? [iface.vlan] : []),
        ...(iface.trunkVlans ?? []),
      ]);
      const trusted = iface.trust ?? st.spec?.trust ?? false;
      const driver = st.nic.driver ?? "unknown";
      if (!trusted && st.limits.untrustedPerVf !== null && vlans.size > st.limits.untrustedPerVf) {
        problems.add({
          vnf: w.spec.name,
          resource: "vlan",
          node: st.nic.node >= 0 ? st.nic.node : null,
          need: vlans.size,
          have: st.limits.untrustedPerVf,
          message: `${w.spec.name} interfaces[${i}] uses ${vlans.size} VLANs on an untrusted VF of ${st.name} (${driver}: at most ${st.limits.untrustedPerVf} VLANs per untrusted VF)`,
          fixes: [
            `set trust: true on ${w.spec.name} interfaces[${i}]`,
            `use at most ${st.limits.untrustedPerVf} VLANs on it`,
          ],
          path: ["vnfs", w.spec.name, "interfaces", i],
        });
      }
      const added = [...vlans].filter((v) => !st.vlans.has(v));
      if (st.limits.perPf !== null && st.vlans.size + added.length > st.limits.perPf) {
        const left = st.limits.perPf - st.vlans.size;
        problems.add({
          vnf: w.spec.name,
          resource: "vlan",
          node: st.nic.node >= 0 ? st.nic.node : null,
          need: added.length,
          have: left,
          message: `${w.spec.name} interfaces[${i}] needs ${plural(added.length, "more VLAN")} on ${st.name} (${driver}: ${st.limits.perPf} VLANs per PF shared by all VFs), ${left} ${left === 1 ? "is" : "are"} left`,
          fixes: [`move some VLANs to a VF of another PF`],
          path: ["vnfs", w.spec.name, "interfaces", i],
        });
        return;
      }
      for (const v of added) st.vlans.add(v);
    });
  }
}

export function pfPlan(st: PfState): PfPlan {
  const vfs: VfPlan[] = st.vfPcis.map((pci, index) => {
    const mac = st.adminMacs[index]!;
    return {
      pf: st.name,
      pfPci: st.nic.pci,
      index,
      pci,
      name: st.nic.sriov?.vfs.find((v) => v.index === index)?.name ?? null,
      mac,
      trust: st.spec?.trust ?? false,
      spoofchk: st.spec?.spoofchk ?? true,
      ...(st.hostdevSettings[index] ?? {}),
    };
  });
  return {
    pf: st.name,
    pci: st.nic.pci,
    driver: st.nic.driver,
    node: st.nic.node,
    numVfs: st.numVfs,
    totalVfs: st.totalVfs,
    ...(st.spec?.mtu !== undefined ? { mtu: st.spec.mtu } : {}),
    vfs,
    vlanLimit: st.limits.perPf,
    vlansUsed: st.vlans.size,
  };
}
