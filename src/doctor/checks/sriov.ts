/**
 * Each SR-IOV physical function: VFs enabled (vs sriov_totalvfs), the PF MTU (the seed uses 9216,
 * taken from Cisco NFVIS), and whether its NUMA node has isolated CPUs to run the routers that use it.
 */
import type { HostFacts, NicFact } from "../../facts/types.js";
import { isolcpusArg, kernelArgsFix } from "../fixes.js";
import { cpuList, onlineCpusByNode, suggestedIsolation } from "../facts-view.js";
import type { DoctorCheck } from "../types.js";

const SEED_MTU = 9216;
const SEED_VFS = 4;

function label(pf: NicFact): string {
  return pf.name ?? pf.pci;
}

function vfCount(pf: NicFact): DoctorCheck {
  const sriov = pf.sriov!;
  const name = label(pf);
  const base = { id: `sriov.${name}.vfs`, area: "sriov", title: `${name} (${pf.pci}) VFs` } as const;
  const file = `/sys/bus/pci/devices/${pf.pci}/sriov_numvfs`;
  if (sriov.numVfs > sriov.totalVfs) {
    return {
      ...base,
      status: "fail",
      evidence: `${file}: ${sriov.numVfs} exceeds sriov_totalvfs ${sriov.totalVfs}`,
      fix: `echo 0 > ${file} && echo ${sriov.totalVfs} > ${file}`,
    };
  }
  if (sriov.numVfs === 0) {
    const n = Math.min(SEED_VFS, sriov.totalVfs);
    return {
      ...base,
      status: "info",
      evidence: `${file}: 0 of ${sriov.totalVfs} VFs enabled (SR-IOV capable, unused)`,
      fix: pf.name
        ? [
            `nmcli connection modify ${pf.name} sriov.total-vfs ${n}`,
            `nmcli connection up ${pf.name}`,
            `# ${n} as in the seed; nfvhost plan sizes it to the topology`,
          ].join("\n")
        : `echo ${n} > ${file}`,
    };
  }
  const found = sriov.vfs.length;
  const list = sriov.vfs
    .map((v) => `${v.pci} ${v.name ?? "(no netdev)"} ${v.driver ?? "unbound"}`)
    .join(", ");
  if (found < sriov.numVfs) {
    return {
      ...base,
      status: "warn",
      evidence: `${file}: ${sriov.numVfs} of ${sriov.totalVfs}, but only ${found} VF functions found (${list || "none"})`,
      fix: `echo 0 > ${file} && echo ${sriov.numVfs} > ${file}`,
    };
  }
  return { ...base, status: "pass", evidence: `${sriov.numVfs} of ${sriov.totalVfs} VFs: ${list}` };
}

function mtu(pf: NicFact): DoctorCheck {
  const name = label(pf);
  const base = { id: `sriov.${name}.mtu`, area: "sriov", title: `${name} MTU (seed ${SEED_MTU})` } as const;
  if (pf.mtu === undefined)
    return { ...base, status: "info", evidence: `${name}: no netdev, MTU not visible` };
  const evidence = `/sys/class/net/${name}/mtu: ${pf.mtu}`;
  if (pf.mtu >= SEED_MTU) return { ...base, status: "pass", evidence };
  return {
    ...base,
    status: "warn",
    evidence: `${evidence}: VFs cannot carry frames larger than their PF's MTU (seed and Cisco NFVIS use ${SEED_MTU})`,
    fix: [`nmcli connection modify ${name} ethernet.mtu ${SEED_MTU}`, `nmcli connection up ${name}`].join(
      "\n",
    ),
  };
}

function numa(facts: HostFacts, pf: NicFact): DoctorCheck {
  const name = label(pf);
  const base = {
    id: `sriov.${name}.numa`,
    area: "sriov",
    title: `${name} NUMA node vs isolated CPUs`,
  } as const;
  const file = `/sys/bus/pci/devices/${pf.pci}/numa_node`;
  const iso = new Set(facts.kernel.isolatedCpus);
  const byNode = onlineCpusByNode(facts);
  if (pf.node < 0) {
    if (facts.nodes.length <= 1) {
      return { ...base, status: "pass", evidence: `${file}: -1 on a single-node host (every CPU is local)` };
    }
    return {
      ...base,
      status: "warn",
      evidence: `${file}: -1 on a ${facts.nodes.length}-node host: the firmware gives no locality (ACPI _PXM), so routers cannot be placed next to ${name}`,
      fix: "BIOS/firmware update so the PCIe root port reports its proximity domain; meanwhile find the socket from lspci -vv (NUMA node) or the slot map",
    };
  }
  const local = byNode.get(pf.node) ?? [];
  const localIso = local.filter((c) => iso.has(c));
  if (localIso.length) {
    return {
      ...base,
      status: "pass",
      evidence: `${file}: ${pf.node}; isolated CPUs on node ${pf.node}: ${cpuList(localIso)}`,
    };
  }
  const elsewhere = facts.kernel.isolatedCpus.length
    ? `isolated CPUs are ${cpuList(facts.kernel.isolatedCpus)}`
    : "no CPUs are isolated";
  const suggestion = [
    ...new Set([...facts.kernel.isolatedCpus, ...suggestedIsolation(facts, new Set([pf.node]))]),
  ].sort((a, b) => a - b);
  return {
    ...base,
    status: "warn",
    evidence: `${file}: ${pf.node}, but node ${pf.node} (CPUs ${cpuList(local)}) has no isolated CPU (${elsewhere}): routers using these VFs run on shared CPUs or cross the inter-socket link`,
    fix: suggestion.length
      ? kernelArgsFix(facts, [isolcpusArg(facts, suggestion)])
      : `node ${pf.node} has a single core: keep it for the host and place routers using ${name} elsewhere`,
  };
}

export function sriovChecks(facts: HostFacts): DoctorCheck[] {
  const pfs = facts.nics.filter((n) => n.sriov && !n.physfn).sort((a, b) => a.pci.localeCompare(b.pci));
  const out: DoctorCheck[] = [];
  for (const pf of pfs) {
    out.push(vfCount(pf));
    // MTU and locality only matter once VFs exist; an unused PF is reported by its VF count alone.
    if ((pf.sriov?.numVfs ?? 0) > 0) out.push(mtu(pf), numa(facts, pf));
  }
  return out;
}
