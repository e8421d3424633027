/**
 * Export: a plan (one host, or many hosts of a fleet) turned into a cluster engine's own files,
 * KubeVirt (./kubevirt.ts) or OpenStack (./openstack.ts), plus the degradation report
 * (./degradation.ts): one line per guarantee of the plan the engine cannot express.
 */
import type { HostFacts } from "../facts/types.js";
import type { Plan } from "../plan/types.js";
import type { RenderedFile } from "../render/types.js";

export type Engine = "kubevirt" | "openstack";

/** One host of the deployment: its facts and the plan nfvhost made for it. */
export interface ExportHost {
  /**
   * The engine's name for the host: the Kubernetes node name (`kubernetes.io/hostname`) or the
   * Nova compute host. Defaults to the facts' hostname.
   */
  name: string;
  facts: HostFacts;
  plan: Plan;
}

/**
 * What an export reads: a list of hosts, so a fleet (many hosts, each with its own plan) and a
 * single host are the same case.
 */
export interface ExportInput {
  /** Deployment name (the topology's or the fleet's): prefixes the engine objects' names. */
  name: string;
  hosts: ExportHost[];
  /** Environment that day-0 secrets are read from. */
  env: Readonly<Record<string, string | undefined>>;
  /** Derive secret salts from this seed (stable output, golden files). */
  saltSeed?: string;
}

/** The kinds of lost guarantee; each has a test in test/export/degradation.test.ts. */
export type DegradationKind =
  | "cpu-pinning"
  | "thread-isolate"
  | "numa-node"
  | "exact-vf"
  | "vf-admin-mac"
  | "vlan-budget"
  | "locked-memory"
  | "host-tuning"
  | "lab-emulation"
  | "direct-boot";

export interface Degradation {
  kind: DegradationKind;
  engine: Engine;
  /** Where in the topology the guarantee comes from, e.g. "vnfs.csr1kv-1.vcpus" (host-prefixed in a fleet). */
  path: string;
  /** What nfvhost guarantees, with the plan's values. */
  guarantees: string;
  /** What the engine gives instead. */
  gives: string;
  fix: string;
}

/** One offline check of the exported files and its verdict. */
export interface ExportCheck {
  /** e.g. "schema kubevirt.io/v1 VirtualMachine", "admission", "nova extra-spec validators". */
  name: string;
  file: string;
  ok: boolean;
  /** Problems found, each naming the field, the value and the rule. */
  problems: string[];
}

export interface ExportResult {
  engine: Engine;
  files: RenderedFile[];
  degradations: Degradation[];
  /** Notes for the operator (preconditions on the cluster, manual steps). */
  notes: string[];
}
