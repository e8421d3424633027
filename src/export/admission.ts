/**
 * The admission rules a CRD schema cannot express, checked over the whole set of exported objects
 * (KubeVirt's and the operators' webhooks enforce most of them on a live cluster; nfvhost checks
 * them offline, before anything reaches a cluster). Each problem names the object, the field, the
 * value and the rule.
 */
import { parseCpuList } from "../util/cpulist.js";
import type { K8sObject, PerformanceProfile, SriovNetworkNodePolicy, VirtualMachine } from "./k8s-model.js";

/** Kubernetes quantity to bytes, for the binary and decimal suffixes KubeVirt accepts. */
export function quantityBytes(q: string | number): number | null {
  if (typeof q === "number") return q;
  const m = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return null;
  const mult: Record<string, number> = {
    "": 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(m[1]) * mult[m[2] ?? ""]!;
}

function vmRules(vm: VirtualMachine): string[] {
  const out: string[] = [];
  const at = `VirtualMachine ${vm.metadata.name}: spec.template.spec`;
  const spec = vm.spec.template.spec;
  const cpu = spec.domain.cpu;
  const mem = spec.domain.memory;
  if (cpu.isolateEmulatorThread && !cpu.dedicatedCpuPlacement) {
    out.push(
      `${at}.domain.cpu.isolateEmulatorThread: true needs dedicatedCpuPlacement: true (KubeVirt rejects it otherwise)`,
    );
  }
  if (cpu.numa?.guestMappingPassthrough !== undefined) {
    if (!cpu.dedicatedCpuPlacement) {
      out.push(`${at}.domain.cpu.numa.guestMappingPassthrough needs dedicatedCpuPlacement: true`);
    }
    if (!mem.hugepages)
      out.push(`${at}.domain.cpu.numa.guestMappingPassthrough needs domain.memory.hugepages`);
  }
  if (mem.hugepages) {
    const page = quantityBytes(mem.hugepages.pageSize);
    const guest = quantityBytes(mem.guest);
    if (page === null || guest === null) {
      out.push(
        `${at}.domain.memory: guest ${mem.guest} / pageSize ${mem.hugepages.pageSize} is not a quantity nfvhost reads`,
      );
    } else if (guest % page !== 0) {
      out.push(
        `${at}.domain.memory.guest: ${mem.guest} is not a multiple of the hugepage size ${mem.hugepages.pageSize}`,
      );
    }
  }
  const planned = Number(vm.spec.template.metadata.annotations?.["nfvhost.io/vcpus"] ?? Number.NaN);
  const product = cpu.sockets * cpu.cores * cpu.threads;
  if (!Number.isNaN(planned) && product !== planned) {
    out.push(
      `${at}.domain.cpu: sockets x cores x threads = ${cpu.sockets} x ${cpu.cores} x ${cpu.threads} = ${product}, the plan has ${planned} vCPUs`,
    );
  }
  const ifaces = spec.domain.devices.interfaces.map((i) => i.name);
  const nets = spec.networks.map((n) => n.name);
  for (const n of nets)
    if (!ifaces.includes(n)) out.push(`${at}.networks: network ${n} has no interface of that name`);
  for (const i of ifaces)
    if (!nets.includes(i))
      out.push(`${at}.domain.devices.interfaces: interface ${i} has no network of that name`);
  const dupIf = ifaces.filter((n, i) => ifaces.indexOf(n) !== i);
  if (dupIf.length > 0) out.push(`${at}.domain.devices.interfaces: names used twice: ${dupIf.join(", ")}`);
  const macs = spec.domain.devices.interfaces.flatMap((i) => (i.macAddress ? [i.macAddress] : []));
  const dupMac = macs.filter((m, i) => macs.indexOf(m) !== i);
  if (dupMac.length > 0) out.push(`${at}.domain.devices.interfaces: MAC used twice: ${dupMac.join(", ")}`);
  if (spec.domain.devices.interfaces.some((i) => "sriov" in i) && spec.evictionStrategy !== "None") {
    out.push(`${at}.evictionStrategy: an SR-IOV VM needs None (live migration unplugs the VF)`);
  }
  const vols = spec.volumes.map((v) => v.name);
  for (const d of spec.domain.devices.disks) {
    if (!vols.includes(d.name))
      out.push(`${at}.domain.devices.disks: disk ${d.name} has no volume of that name`);
  }
  return out;
}

function profileRules(p: PerformanceProfile): string[] {
  const at = `PerformanceProfile ${p.metadata.name}: spec.cpu`;
  const reserved = parseCpuList(p.spec.cpu.reserved);
  const isolated = parseCpuList(p.spec.cpu.isolated);
  const out: string[] = [];
  if (reserved.length === 0) out.push(`${at}.reserved: empty; the operator needs at least one reserved CPU`);
  if (isolated.length === 0) out.push(`${at}.isolated: empty; the operator needs at least one isolated CPU`);
  const both = reserved.filter((c) => isolated.includes(c));
  if (both.length > 0) out.push(`${at}: CPUs ${both.join(",")} are both reserved and isolated`);
  return out;
}

function policyRules(p: SriovNetworkNodePolicy): string[] {
  const out: string[] = [];
  if (!/^[a-zA-Z0-9_]+$/.test(p.spec.resourceName)) {
    out.push(
      `SriovNetworkNodePolicy ${p.metadata.name}: spec.resourceName ${p.spec.resourceName} must match ^[a-zA-Z0-9_]+$`,
    );
  }
  if (p.spec.numVfs < 1)
    out.push(`SriovNetworkNodePolicy ${p.metadata.name}: spec.numVfs must be at least 1`);
  return out;
}

/**
 * Rules across objects and within each one. `namespace` is where the VMs run: every Multus network
 * a VM names must be exported (a NetworkAttachmentDefinition there, or a SriovNetwork that creates
 * one there), and every SR-IOV resource a SriovNetwork names must have a policy.
 */
export function admissionProblems(objects: K8sObject[]): string[] {
  const out: string[] = [];
  const attachments = new Set<string>();
  const resources = new Set<string>();
  for (const o of objects) {
    if (o.kind === "NetworkAttachmentDefinition")
      attachments.add(`${o.metadata.namespace}/${o.metadata.name}`);
    if (o.kind === "SriovNetwork") attachments.add(`${o.spec.networkNamespace}/${o.metadata.name}`);
    if (o.kind === "SriovNetworkNodePolicy") resources.add(o.spec.resourceName);
  }
  for (const o of objects) {
    if (o.kind === "VirtualMachine") {
      out.push(...vmRules(o));
      for (const n of o.spec.template.spec.networks) {
        if (!attachments.has(n.multus.networkName)) {
          out.push(
            `VirtualMachine ${o.metadata.name}: network ${n.name} names ${n.multus.networkName}, which the export does not define`,
          );
        }
      }
    }
    if (o.kind === "PerformanceProfile") out.push(...profileRules(o));
    if (o.kind === "SriovNetworkNodePolicy") out.push(...policyRules(o));
    if (o.kind === "SriovNetwork" && !resources.has(o.spec.resourceName)) {
      out.push(
        `SriovNetwork ${o.metadata.name}: spec.resourceName ${o.spec.resourceName} has no SriovNetworkNodePolicy`,
      );
    }
  }
  return out;
}
