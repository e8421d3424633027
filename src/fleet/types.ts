/**
 * A fleet: the hosts of an Ansible inventory, each bound to its facts, plus one fleet topology
 * (networks and VNFs, with pins, selectors and (anti-)affinity groups). See docs/fleet.md.
 */
import type { HostFacts } from "../facts/types.js";
import type { DeployedVnf, Plan, PlanProblem } from "../plan/types.js";
import type { Topology, VnfSpec } from "../topology/types.js";

/** How nfvhost (and Ansible) reach a host: the inventory's ansible_* connection variables. */
export interface SshTarget {
  /** ansible_host, else the inventory name. */
  address: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
  /** ansible_ssh_common_args / ansible_ssh_extra_args, split on whitespace as Ansible does. */
  extraArgs: string[];
}

export interface FleetHost {
  /** The inventory hostname. */
  name: string;
  ssh: SshTarget;
  /** nfvhost_libvirt_uri; default qemu+ssh://HOST/system. */
  libvirtUri: string;
  /** nfvhost_snapshot: a snapshot (directory or .tar.gz) to plan this host offline. */
  snapshot?: string;
  /** nfvhost_root: the host is a snapshot root on its SSH target, applied with --root. */
  root?: string;
  /** nfvhost_state_dir: nfvhost's state directory on the host (default /var/lib/nfvhost, under the root for root hosts). */
  stateDir?: string;
  /** nfvhost_labels plus `group`: the groups the host is in (selectors and anti-affinity keys). */
  labels: Record<string, string>;
  groups: string[];
  /** nfvhost_host: the topology's `host:` section for this host (group_vars, then host_vars). */
  hostSection?: Record<string, unknown>;
  /** nfvhost_command: argv that runs nfvhost on the host (default ["nfvhost"]). */
  command: string[];
}

export interface Inventory {
  file: string;
  /** Sorted by name: planning never depends on the inventory's order. */
  hosts: FleetHost[];
}

export interface FleetGroup {
  name: string;
  vnfs: string[];
  /** Never share this key: "host", or a label (site, rack ...). */
  antiAffinity?: string;
  /** Always share this key (only "host" today). */
  affinity?: "host";
}

export interface FleetVnf {
  spec: VnfSpec;
  /** `host: NAME`: pinned. */
  host?: string;
  /** `hosts: {label: value}`: only hosts carrying every label. */
  selector?: Record<string, string>;
  /** Higher kept first when not everything fits (default 0). */
  priority: number;
  /** File order. */
  index: number;
}

export interface FleetTopology {
  file: string;
  name: string;
  /** The fleet file as a topology without its fleet keys (a default `host:` when it has one). */
  base: Record<string, unknown>;
  topology: Topology;
  vnfs: FleetVnf[];
  groups: FleetGroup[];
}

/** One host as planning sees it. */
export interface HostInput {
  host: FleetHost;
  facts: HostFacts;
  /** VMs the host runs now (never moved); those named in the fleet stay on this host. */
  deployed: DeployedVnf[];
  /** Where the facts came from, for messages. */
  source: string;
}

export interface HostPlan {
  host: string;
  /** The per-host topology: the fleet's networks and the VNFs placed here, this host's `host:`. */
  topology: Topology;
  raw: Record<string, unknown>;
  plan: Plan;
  facts: HostFacts;
  deployed: DeployedVnf[];
  /** VNFs new on this host, kept (already running here), and running here but not in the fleet. */
  changes: { added: string[]; kept: string[] };
}

export interface Misfit {
  vnf: string;
  /** "fits nowhere: ..." with the closest host and what it lacks. */
  message: string;
  /** Per host why not, in host order. */
  hosts: { host: string; reason: string }[];
  /** The single-host planner's problems on the closest host, when it got that far. */
  problems?: PlanProblem[];
}

export interface FleetPlan {
  schema: 1;
  fleet: string;
  inventory: string;
  hosts: HostPlan[];
  /** VNF -> host. */
  assignment: Record<string, string>;
  misfits: Misfit[];
  warnings: string[];
}
