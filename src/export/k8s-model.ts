/**
 * The Kubernetes objects a KubeVirt export writes, as typed data: only the fields nfvhost sets.
 * Field names follow the pinned CRD schemas (schema/export/); k8s-schemas.ts checks every object
 * against them, so a field misspelled here fails the export's own tests.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PerformanceProfile {
  apiVersion: "performance.openshift.io/v2";
  kind: "PerformanceProfile";
  metadata: ObjectMeta;
  spec: {
    cpu: { reserved: string; isolated: string; offlined?: string };
    hugepages?: { defaultHugepagesSize: string; pages: { size: string; count: number; node: number }[] };
    numa: { topologyPolicy: "single-numa-node" };
    additionalKernelArgs?: string[];
    nodeSelector: Record<string, string>;
    realTimeKernel: { enabled: boolean };
  };
}

/** kubelet.config.k8s.io/v1beta1 KubeletConfiguration: the part plain Kubernetes needs. */
export interface KubeletConfigSnippet {
  apiVersion: "kubelet.config.k8s.io/v1beta1";
  kind: "KubeletConfiguration";
  cpuManagerPolicy: "static";
  cpuManagerPolicyOptions: Record<string, string>;
  reservedSystemCPUs: string;
  topologyManagerPolicy: "single-numa-node";
  topologyManagerScope: "pod";
  memoryManagerPolicy: "Static";
  systemReserved: { memory: string };
  evictionHard: Record<string, string>;
  reservedMemory: { numaNode: number; limits: { memory: string } }[];
}

export interface SriovNetworkNodePolicy {
  apiVersion: "sriovnetwork.openshift.io/v1";
  kind: "SriovNetworkNodePolicy";
  metadata: ObjectMeta;
  spec: {
    resourceName: string;
    nodeSelector: Record<string, string>;
    numVfs: number;
    mtu?: number;
    deviceType: "vfio-pci";
    isRdma: false;
    nicSelector: { pfNames: string[]; rootDevices: string[]; vendor?: string; deviceID?: string };
  };
}

export interface SriovNetwork {
  apiVersion: "sriovnetwork.openshift.io/v1";
  kind: "SriovNetwork";
  metadata: ObjectMeta;
  spec: {
    resourceName: string;
    networkNamespace: string;
    vlan: number;
    trust: "on" | "off";
    spoofChk: "on" | "off";
  };
}

export interface NetworkAttachmentDefinition {
  apiVersion: "k8s.cni.cncf.io/v1";
  kind: "NetworkAttachmentDefinition";
  metadata: ObjectMeta;
  /** config is the CNI configuration as a JSON string (the CRD's own choice). */
  spec: { config: string };
}

export interface Secret {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ObjectMeta;
  type: "Opaque";
  stringData: Record<string, string>;
}

export type VmInterface = { name: string; macAddress?: string } & (
  | { sriov: Record<string, never> }
  | { bridge: Record<string, never>; model?: string }
  | { binding: { name: "macvtap" }; model?: string }
);

export interface VmDisk {
  name: string;
  bootOrder?: number;
  disk?: { bus: "virtio" | "sata" };
  cdrom?: { bus: "sata"; readonly: true };
}

export type VmVolume =
  | { name: string; dataVolume: { name: string } }
  | { name: string; secret: { secretName: string; volumeLabel: string } };

export interface VirtualMachine {
  apiVersion: "kubevirt.io/v1";
  kind: "VirtualMachine";
  metadata: ObjectMeta;
  spec: {
    runStrategy: "Always" | "Manual";
    dataVolumeTemplates: {
      metadata: { name: string };
      spec: {
        source: { upload: Record<string, never> };
        storage: { resources: { requests: { storage: string } } };
      };
    }[];
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        domain: {
          cpu: {
            sockets: number;
            cores: number;
            threads: number;
            dedicatedCpuPlacement?: boolean;
            isolateEmulatorThread?: boolean;
            numa?: { guestMappingPassthrough: Record<string, never> };
          };
          memory: { guest: string; hugepages?: { pageSize: string } };
          devices: {
            autoattachMemBalloon: false;
            autoattachGraphicsDevice: false;
            autoattachPodInterface: false;
            disks: VmDisk[];
            interfaces: VmInterface[];
          };
        };
        networks: { name: string; multus: { networkName: string } }[];
        volumes: VmVolume[];
        evictionStrategy?: "None";
        nodeSelector: Record<string, string>;
      };
    };
  };
}

export type K8sObject =
  | PerformanceProfile
  | SriovNetworkNodePolicy
  | SriovNetwork
  | NetworkAttachmentDefinition
  | Secret
  | VirtualMachine;
