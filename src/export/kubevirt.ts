/**
 * `nfvhost export kubevirt`: node tuning (PerformanceProfile, or a KubeletConfiguration for plain
 * Kubernetes) and SR-IOV policies once per host shape, networks once per deployment, and a
 * VirtualMachine per VNF, each built as typed data (./k8s-model.ts) and written as YAML.
 */
import { basename } from "node:path";
import { parse, stringify } from "yaml";
import type { HostFacts } from "../facts/types.js";
import type { InterfacePlan, Plan, VfPlan, VnfPlan } from "../plan/types.js";
import { DAY0_VOLUME_LABEL, renderDay0 } from "../render/day0/index.js";
import { MODE_FILE, MODE_SCRIPT, MODE_SECRET, type RenderedFile } from "../render/types.js";
import { formatCpuList } from "../util/cpulist.js";
import { NfvError } from "../util/errors.js";
import { displayCommand } from "../util/exec.js";
import { dedicatedCpus, degradations, emulatorIsolated, guestTopology, resourceName } from "./degradation.js";
import type {
  K8sObject,
  KubeletConfigSnippet,
  NetworkAttachmentDefinition,
  PerformanceProfile,
  Secret,
  SriovNetwork,
  SriovNetworkNodePolicy,
  VirtualMachine,
  VmDisk,
  VmInterface,
  VmVolume,
} from "./k8s-model.js";
import { hostShapes, type HostShape } from "./shapes.js";
import { admissionProblems } from "./admission.js";
import { validateK8sObject } from "./k8s-schemas.js";
import type { ExportCheck, ExportHost, ExportInput, ExportResult } from "./types.js";

export interface KubevirtOptions {
  /** nodeSelector kubernetes.io/hostname to the host nfvhost planned the VNF on. */
  pinHost: boolean;
  /** Namespace of the VMs, their Secrets and network attachments. */
  namespace: string;
  /** Namespace the SR-IOV Network Operator watches. */
  sriovNamespace: string;
  /** Size of each VM's disk DataVolume (the image is uploaded into it). */
  diskSize: string;
}

export const KUBEVIRT_DEFAULTS: KubevirtOptions = {
  pinHost: false,
  namespace: "nfv",
  sriovNamespace: "openshift-sriov-network-operator",
  diskSize: "16Gi",
};

/** Node label that ties a node to its tuning: PerformanceProfile, SR-IOV policies and VMs select it. */
export const SHAPE_LABEL = "nfvhost.io/shape";
const MANAGED = { "app.kubernetes.io/managed-by": "nfvhost" };

/** One exported object and where it goes. */
export interface K8sFile {
  path: string;
  object: K8sObject | KubeletConfigSnippet;
  secret?: boolean;
  description: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A VNF name as a Kubernetes object name; refused (not mangled) when it is not one. */
function vmName(vnf: string): string {
  if (!DNS_LABEL.test(vnf) || vnf.length > 63) {
    throw new NfvError({
      code: "NFV-EXPORT-NAME",
      what: `vnfs.${vnf}`,
      value: vnf,
      expected:
        "a Kubernetes object name for KubeVirt: lower-case letters, digits and '-', at most 63, starting and ending alphanumeric",
      fix: `rename the VNF (e.g. ${JSON.stringify(
        vnf
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, "-")
          .replace(/^-+|-+$/g, ""),
      )})`,
    });
  }
  return vnf;
}

/** A device or bridge name inside an object name: lower-case, '-' for anything else. */
function part(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "x"
  );
}

/** KiB as a Kubernetes quantity, exactly (no rounding): 8Gi, 3072Mi, 131072Ki. */
export function quantityKiB(kib: number): string {
  if (kib % (1024 * 1024) === 0) return `${kib / (1024 * 1024)}Gi`;
  if (kib % 1024 === 0) return `${kib / 1024}Mi`;
  return `${kib}Ki`;
}

/** Page size as KubeVirt writes it (1Gi, 2Mi). */
function pageSizeK8s(kib: number): string {
  return quantityKiB(kib);
}

/** Page size as the kernel argument / PerformanceProfile writes it (1G, 2M). */
function pageSizeKernel(kib: number): string {
  return kib % (1024 * 1024) === 0 ? `${kib / (1024 * 1024)}G` : `${kib / 1024}M`;
}

/** Kernel arguments the PerformanceProfile manages itself (cpu, hugepages): not repeated. */
const PROFILE_MANAGED_ARGS = new Set([
  "hugepagesz",
  "hugepages",
  "default_hugepagesz",
  "isolcpus",
  "nohz_full",
  "rcu_nocbs",
]);

function performanceProfile(shape: HostShape, plan: Plan): PerformanceProfile {
  const pages = plan.host.hugepages
    .filter((r) => r.reserve > 0)
    .map((r) => ({ size: pageSizeKernel(r.sizeKiB), count: r.reserve, node: r.node }));
  const defaultSize = plan.host.bootHugepages.sizeKiB;
  const extra = plan.host.kernelArgs.args
    .filter((a) => !PROFILE_MANAGED_ARGS.has(a.key))
    .map((a) => (a.value === null ? a.key : `${a.key}=${a.value}`));
  const offline = plan.host.cpuRoles.filter((r) => r.role.role === "offline").map((r) => r.cpu);
  return {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    metadata: {
      name: shape.name,
      labels: { ...MANAGED },
      // The Node Tuning Operator passes this to the kubelet: whole cores only, as the plain
      // Kubernetes snippet sets, so no other pod shares a VM's core.
      annotations: {
        "kubeletconfig.experimental": JSON.stringify({
          cpuManagerPolicyOptions: { "full-pcpus-only": "true" },
        }),
      },
    },
    spec: {
      cpu: {
        reserved: formatCpuList(plan.host.cpu.housekeeping),
        isolated: formatCpuList(plan.host.cpu.isolated),
        ...(offline.length > 0 ? { offlined: formatCpuList(offline) } : {}),
      },
      ...(pages.length > 0
        ? { hugepages: { defaultHugepagesSize: pageSizeKernel(defaultSize), pages } }
        : {}),
      numa: { topologyPolicy: "single-numa-node" },
      ...(extra.length > 0 ? { additionalKernelArgs: extra } : {}),
      nodeSelector: { [SHAPE_LABEL]: shape.name },
      realTimeKernel: { enabled: false },
    },
  };
}

/**
 * Plain Kubernetes (no Node Tuning Operator): the kubelet settings that give the same CPU,
 * memory and device alignment. The memory manager's Static policy needs reservedMemory to equal
 * systemReserved + the hard eviction threshold; both are set here so the snippet is consistent.
 */
function kubeletConfig(plan: Plan): KubeletConfigSnippet {
  const nodes = [...new Set(plan.host.cpuRoles.map((r) => r.node))].sort((a, b) => a - b);
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    cpuManagerPolicy: "static",
    // Whole cores only: no other pod gets the sibling of a VM's CPU.
    cpuManagerPolicyOptions: { "full-pcpus-only": "true" },
    reservedSystemCPUs: formatCpuList(plan.host.cpu.housekeeping),
    topologyManagerPolicy: "single-numa-node",
    topologyManagerScope: "pod",
    memoryManagerPolicy: "Static",
    systemReserved: { memory: "1Gi" },
    evictionHard: { "memory.available": "100Mi" },
    reservedMemory: [{ numaNode: nodes[0] ?? 0, limits: { memory: "1124Mi" } }],
  };
}

function pfFact(facts: HostFacts, pci: string): { vendor?: string; deviceID?: string } {
  const nic = facts.nics.find((n) => n.pci === pci);
  if (!nic) return {};
  return { vendor: nic.vendor.replace(/^0x/, ""), deviceID: nic.device.replace(/^0x/, "") };
}

function sriovPolicies(shape: HostShape, host: ExportHost, opts: KubevirtOptions): SriovNetworkNodePolicy[] {
  return host.plan.host.sriov.map((pf) => ({
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetworkNodePolicy",
    metadata: {
      name: `${shape.name}-${part(pf.pf)}`,
      namespace: opts.sriovNamespace,
      labels: { ...MANAGED },
    },
    spec: {
      resourceName: resourceName(pf.pf),
      nodeSelector: { [SHAPE_LABEL]: shape.name },
      numVfs: pf.numVfs,
      ...(pf.mtu !== undefined ? { mtu: pf.mtu } : {}),
      deviceType: "vfio-pci",
      isRdma: false,
      nicSelector: { pfNames: [pf.pf], rootDevices: [pf.pci], ...pfFact(host.facts, pf.pci) },
    },
  }));
}

/** The SriovNetwork an SR-IOV interface attaches through: one per (PF, VLAN, trust, spoofchk). */
function sriovNetworkName(vf: VfPlan): string {
  return `nfvhost-${part(vf.pf)}-vlan${vf.vlan ?? 0}-trust-${vf.trust ? "on" : "off"}-spoof-${vf.spoofchk ? "on" : "off"}`;
}

function sriovNetwork(vf: VfPlan, opts: KubevirtOptions): SriovNetwork {
  return {
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetwork",
    metadata: { name: sriovNetworkName(vf), namespace: opts.sriovNamespace, labels: { ...MANAGED } },
    spec: {
      resourceName: resourceName(vf.pf),
      networkNamespace: opts.namespace,
      vlan: vf.vlan ?? 0,
      trust: vf.trust ? "on" : "off",
      spoofChk: vf.spoofchk ? "on" : "off",
    },
  };
}

function nad(
  name: string,
  opts: KubevirtOptions,
  config: Record<string, unknown>,
  annotations?: Record<string, string>,
): NetworkAttachmentDefinition {
  return {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    metadata: {
      name,
      namespace: opts.namespace,
      labels: { ...MANAGED },
      ...(annotations ? { annotations } : {}),
    },
    spec: { config: JSON.stringify({ cniVersion: "0.3.1", name, ...config }) },
  };
}

/** What an interface attaches to in Kubernetes: the network object and the VM interface binding. */
interface Attachment {
  network: K8sObject;
  binding: VmInterface;
}

function attachment(iface: InterfacePlan, plan: Plan, opts: KubevirtOptions, name: string): Attachment {
  const mac = { macAddress: iface.mac };
  const model = { model: iface.model };
  const bridgeNad = (bridge: string): Attachment => {
    const mtu = plan.host.bridges.find((b) => b.name === bridge)?.mtu;
    return {
      network: nad(`nfvhost-bridge-${part(bridge)}`, opts, {
        type: "bridge",
        bridge,
        ...(mtu ? { mtu } : {}),
        ipam: {},
      }),
      binding: { name, ...mac, bridge: {}, ...model },
    };
  };
  const macvtapNad = (dev: string, mode: string): Attachment => ({
    network: nad(
      `nfvhost-macvtap-${part(dev)}-${mode}`,
      opts,
      { type: "macvtap", mode: mode === "passthrough" ? "passthru" : mode },
      // kubevirt/macvtap-cni's device plugin offers one resource per host interface.
      { "k8s.v1.cni.cncf.io/resourceName": `macvtap.network.kubevirt.io/${dev}` },
    ),
    binding: { name, ...mac, binding: { name: "macvtap" }, ...model },
  });
  switch (iface.type) {
    case "sriov-pool":
    case "sriov-hostdev":
      return { network: sriovNetwork(iface.vf, opts), binding: { name, ...mac, sriov: {} } };
    case "bridge":
      return bridgeNad(iface.bridge);
    case "macvtap":
      return macvtapNad(iface.dev, iface.mode);
    case "network": {
      const net = plan.networks.find((n) => n.name === iface.network);
      if (net?.type === "bridge" && net.bridge) return bridgeNad(net.bridge);
      if (net?.type === "macvtap" && net.dev) return macvtapNad(net.dev, net.mode ?? "bridge");
      throw new NfvError({
        code: "NFV-EXPORT-NETWORK",
        what: `vnfs.*.interfaces[${iface.index}].network`,
        value: iface.network,
        expected: "a bridge or macvtap network of the plan",
        fix: "check the topology's networks section",
      });
    }
  }
}

function interfaceName(vnf: VnfPlan, iface: InterfacePlan): string {
  return vnf.kind === "generic" ? `nic${iface.index + 1}` : `gi${iface.index + 1}`;
}

function day0Secret(vnf: VnfPlan, input: ExportInput, opts: KubevirtOptions): Secret | null {
  const out = renderDay0(vnf, input.env, input.saltSeed);
  if (!out) return null;
  const files = out.iso.files.map((f) => out.files.find((r) => r.path === f)!);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${vnf.name}-day0`, namespace: opts.namespace, labels: { ...MANAGED } },
    type: "Opaque",
    // The file name is what CVAC / the SD-WAN bootstrap look for on the CD-ROM KubeVirt builds.
    stringData: Object.fromEntries(files.map((f) => [basename(f.path), f.content])),
  };
}

function virtualMachine(
  vnf: VnfPlan,
  host: ExportHost,
  shape: HostShape,
  input: ExportInput,
  opts: KubevirtOptions,
  attachments: Attachment[],
  secret: Secret | null,
): VirtualMachine {
  const name = vmName(vnf.name);
  const dedicated = dedicatedCpus(vnf);
  const smt = host.facts.cpu.smt;
  // full-pcpus-only admits whole cores only: an odd number of dedicated vCPUs on an SMT node is
  // rejected (SMTAlignmentError) unless the emulator thread's CPU completes the last core.
  const oddOnSmt = dedicated && smt && vnf.vcpus % 2 === 1;
  const isolateEmu = dedicated && (emulatorIsolated(host.plan, vnf) || oddOnSmt);
  const hugepages = vnf.memory.pageSizeKiB > 4;
  const disks: VmDisk[] = [{ name: "disk0", bootOrder: 1, disk: { bus: "virtio" } }];
  const volumes: VmVolume[] = [{ name: "disk0", dataVolume: { name: `${name}-disk` } }];
  if (secret) {
    disks.push({ name: "day0", cdrom: { bus: "sata", readonly: true } });
    volumes.push({
      name: "day0",
      secret: { secretName: secret.metadata.name, volumeLabel: DAY0_VOLUME_LABEL },
    });
  }
  const sriov = vnf.interfaces.some((i) => i.type === "sriov-pool" || i.type === "sriov-hostdev");
  const annotations: Record<string, string> = {
    "nfvhost.io/vcpus": String(vnf.vcpus),
    "nfvhost.io/planned-host": host.name,
    "nfvhost.io/planned-node": String(vnf.node),
    "nfvhost.io/planned-cpus": formatCpuList(vnf.vcpuPins),
  };
  // full-pcpus-only admits whole cores only: KubeVirt rounds the emulator's CPU up to a core.
  if (isolateEmu && smt) annotations["alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity"] = "";
  return {
    apiVersion: "kubevirt.io/v1",
    kind: "VirtualMachine",
    metadata: {
      name,
      namespace: opts.namespace,
      labels: { ...MANAGED, "nfvhost.io/deployment": part(input.name) },
    },
    spec: {
      runStrategy: vnf.autostart ? "Always" : "Manual",
      dataVolumeTemplates: [
        {
          metadata: { name: `${name}-disk` },
          spec: { source: { upload: {} }, storage: { resources: { requests: { storage: opts.diskSize } } } },
        },
      ],
      template: {
        metadata: { labels: { "kubevirt.io/domain": name }, annotations },
        spec: {
          domain: {
            cpu: {
              ...guestTopology(vnf),
              ...(dedicated ? { dedicatedCpuPlacement: true } : {}),
              ...(isolateEmu ? { isolateEmulatorThread: true } : {}),
              ...(dedicated && hugepages ? { numa: { guestMappingPassthrough: {} } } : {}),
            },
            memory: {
              guest: quantityKiB(vnf.memory.KiB),
              ...(hugepages ? { hugepages: { pageSize: pageSizeK8s(vnf.memory.pageSizeKiB) } } : {}),
            },
            devices: {
              autoattachMemBalloon: false,
              autoattachGraphicsDevice: false,
              autoattachPodInterface: false,
              disks,
              interfaces: attachments.map((a) => a.binding),
            },
          },
          networks: attachments.map((a) => ({
            name: a.binding.name,
            // The SR-IOV operator creates each SriovNetwork's attachment in the VMs' namespace.
            multus: { networkName: `${opts.namespace}/${a.network.metadata.name}` },
          })),
          volumes,
          // Live migration unplugs a VF: an SR-IOV VM stays where it runs.
          ...(sriov ? { evictionStrategy: "None" as const } : {}),
          nodeSelector: {
            [SHAPE_LABEL]: shape.name,
            ...(opts.pinHost ? { "kubernetes.io/hostname": host.name } : {}),
          },
        },
      },
    },
  };
}

function yamlOf(obj: unknown): string {
  // YAML 1.1 quoting: Kubernetes' parser reads a bare on/off/yes as a boolean.
  return stringify(obj, { version: "1.1", lineWidth: 0 });
}

/** Hosts whose tuning objects would be equal share a shape. */
export function kubevirtShapes(input: ExportInput, opts: KubevirtOptions): HostShape[] {
  const none: HostShape = { name: "", hosts: [] };
  return hostShapes(input, (h) => ({
    profile: performanceProfile(none, h.plan).spec,
    kubelet: kubeletConfig(h.plan),
    policies: sriovPolicies(none, h, opts).map((p) => p.spec),
  }));
}

/** Every object of the export with its file; no I/O. */
export function buildKubevirt(input: ExportInput, opts: KubevirtOptions): K8sFile[] {
  const files: K8sFile[] = [];
  const shapes = kubevirtShapes(input, opts);
  for (const shape of shapes) {
    const first = shape.hosts[0]!;
    files.push({
      path: `node-tuning/${shape.name}/performanceprofile.yaml`,
      object: performanceProfile(shape, first.plan),
      description: `PerformanceProfile for ${shape.hosts.map((h) => h.name).join(", ")} (OpenShift/OKD Node Tuning Operator)`,
    });
    files.push({
      path: `node-tuning/${shape.name}/kubelet-config.yaml`,
      object: kubeletConfig(first.plan),
      description: `KubeletConfiguration settings for plain Kubernetes (merge into the kubelet's config on ${shape.hosts.map((h) => h.name).join(", ")})`,
    });
    for (const p of sriovPolicies(shape, first, opts)) {
      files.push({
        path: `node-tuning/${shape.name}/sriov-policy-${p.spec.nicSelector.pfNames[0]}.yaml`,
        object: p,
        description: `SriovNetworkNodePolicy: ${p.spec.numVfs} vfio-pci VFs of ${p.spec.nicSelector.pfNames[0]} as ${p.spec.resourceName}`,
      });
    }
  }
  const networks = new Map<string, K8sObject>();
  const shapeOf = new Map(shapes.flatMap((s) => s.hosts.map((h) => [h.name, s] as const)));
  for (const host of input.hosts) {
    for (const vnf of [...host.plan.vnfs].sort((a, b) => a.name.localeCompare(b.name))) {
      const attachments = vnf.interfaces.map((i) => attachment(i, host.plan, opts, interfaceName(vnf, i)));
      for (const a of attachments) networks.set(`${a.network.kind}/${a.network.metadata.name}`, a.network);
      const secret = day0Secret(vnf, input, opts);
      if (secret) {
        files.push({
          path: `vms/${vnf.name}-day0-secret.yaml`,
          object: secret,
          secret: true,
          description: `${vnf.name}: day-0 file in a Secret, attached as a CD-ROM (KubeVirt builds the ISO)`,
        });
      }
      files.push({
        path: `vms/${vnf.name}.yaml`,
        object: virtualMachine(vnf, host, shapeOf.get(host.name)!, input, opts, attachments, secret),
        description: `${vnf.name}: VirtualMachine (${vnf.vcpus} vCPUs, ${quantityKiB(vnf.memory.KiB)}, planned on ${host.name} node ${vnf.node})`,
      });
    }
  }
  for (const [, obj] of [...networks].sort(([a], [b]) => a.localeCompare(b))) {
    files.push({
      path: `networks/${obj.metadata.name}.yaml`,
      object: obj,
      description: `${obj.kind} ${obj.metadata.name}`,
    });
  }
  return files;
}

function labelScript(shapes: HostShape[]): string {
  const lines = [
    "#!/bin/sh",
    "# Labels each node with the host shape nfvhost planned it as: the PerformanceProfile, the",
    "# SR-IOV policies and the VirtualMachines select nodes by this label.",
    "set -eu",
  ];
  for (const s of shapes) {
    for (const h of s.hosts) {
      lines.push(
        displayCommand("kubectl", ["label", "node", h.name, `${SHAPE_LABEL}=${s.name}`, "--overwrite"]),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export function exportKubevirt(input: ExportInput, opts: KubevirtOptions): ExportResult {
  const k8s = buildKubevirt(input, opts);
  const files: RenderedFile[] = k8s.map((f) => ({
    path: f.path,
    content: yamlOf(f.object),
    mode: f.secret ? MODE_SECRET : MODE_FILE,
    description: f.description,
  }));
  files.push({
    path: "nodes/label-nodes.sh",
    content: labelScript(kubevirtShapes(input, opts)),
    mode: MODE_SCRIPT,
    description: "kubectl label commands that tie each node to its shape",
  });
  const degr = degradations("kubevirt", input);
  const notes = [
    "Apply order: nodes/label-nodes.sh, node-tuning/ (PerformanceProfile on OpenShift/OKD, or kubelet-config.yaml merged into each kubelet on plain Kubernetes), networks/, then vms/.",
    `Upload each VNF's image into its DataVolume: virtctl image-upload dv <vnf>-disk --namespace ${opts.namespace} --image-path=<the topology's image> (size ${opts.diskSize}; --disk-size to change).`,
    "isolateEmulatorThread with alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity needs KubeVirt's AlignCPUs feature gate.",
    "macvtap interfaces need kubevirt/macvtap-cni and the KubeVirt CR's network binding plugin 'macvtap' (domainAttachmentType: tap); bridge interfaces need the CNI bridge plugin on the nodes.",
  ];
  return { engine: "kubevirt", files, degradations: degr, notes };
}

/**
 * Reads the written YAML back (what a user would `kubectl apply`) and checks every object against
 * its pinned schema, then the admission rules across all of them.
 */
export function checkKubevirtFiles(files: RenderedFile[]): ExportCheck[] {
  const checks: ExportCheck[] = [];
  const objects: K8sObject[] = [];
  for (const f of files) {
    if (!f.path.endsWith(".yaml")) continue;
    const obj = parse(f.content, { version: "1.1" }) as K8sObject | KubeletConfigSnippet;
    // The kubelet's configuration has no CRD schema to pin; its consistency is tested instead.
    if (obj.kind === "KubeletConfiguration") continue;
    objects.push(obj);
    checks.push({
      name: `schema ${obj.apiVersion} ${obj.kind}`,
      file: f.path,
      ok: true,
      problems: validateK8sObject(obj),
    });
  }
  const admission = admissionProblems(objects);
  checks.push({
    name: "admission rules",
    file: "(all objects)",
    ok: admission.length === 0,
    problems: admission,
  });
  for (const c of checks) c.ok = c.problems.length === 0;
  return checks;
}
