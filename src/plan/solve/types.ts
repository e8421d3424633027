/**
 * The placement problem as the solver sees it: hosts with what is free on them, VNF requests, and
 * the answer. One model serves one host (a fleet of one) and a fleet; the single-host planner
 * (../planner.ts) builds it from facts, fleets (src/fleet) from many hosts. Resources of running
 * VNFs are already subtracted: they stay where they run. The contract is in /work/wt/CONTRACTS.md
 * ("## i10") and docs/plan.md.
 */
import type { ThreadPolicy } from "../../topology/types.js";

export type { ThreadPolicy };

export interface SolverNode {
  /** NUMA node id, unique within its host. */
  id: number;
  /** One entry per free whole core: how many threads of it vCPUs may use (2, or 1 with an offline sibling). */
  freeCores: number[];
  /** Free threads on cores already split between VNFs with thread policy share. */
  sharedThreadsFree: number;
  /** Hugepages free on the node by page size in KiB. */
  pagesFree: Record<string, number>;
}

export interface SolverPf {
  /** PF netdev name, unique within its host. */
  name: string;
  /** NUMA node of the PF; null when local to every node. */
  node: number | null;
  vfsFree: number;
  /** Distinct VLANs all VFs of the PF may use together (driver limit); null when unlimited. */
  vlanBudget: number | null;
  /** VLANs already used there by running VNFs. */
  vlansInUse: number[];
}

export interface SolverHost {
  id: string;
  /** For affinity scopes `label:<key>`. */
  labels?: Record<string, string>;
  nodes: SolverNode[];
  pfs: SolverPf[];
}

export interface SolverVfNeed {
  /** VFs of this PF; absent: of any PF local to the VNF's node. */
  pf?: string;
  count: number;
  /** VLANs these VFs carry (count against the PF's VLAN budget). */
  vlans: number[];
}

export type AffinityScope = "host" | `label:${string}`;

export interface SolverVnf {
  /** Unique in the problem. */
  name: string;
  vcpus: number;
  threadPolicy: ThreadPolicy;
  pageSizeKiB: number;
  pages: number;
  vfs: SolverVfNeed[];
  /** `node:` pin. */
  node?: number;
  /** Nodes to use when there is room (macvtap NIC locality); a preference, never a rule. */
  preferNodes?: number[];
  /** Host ids it may go to; absent: any. */
  hosts?: string[];
  /** Higher is kept first; default 0. */
  priority?: number;
  /** VNFs with the same key share one host (or one value of the label). */
  affinity?: { key: string; scope: AffinityScope };
  /** VNFs with the same key never share a host (or a value of the label). */
  antiAffinity?: { key: string; scope: AffinityScope };
}

export interface PlacementProblem {
  hosts: SolverHost[];
  /** In file order: ties between equally good answers keep the earlier VNFs. */
  vnfs: SolverVnf[];
}

export interface SolverPlacement {
  vnf: string;
  host: string;
  node: number;
  /** Whole cores taken, by their usable thread count ("2": 3 means three 2-thread cores). */
  coresByThreads: Record<string, number>;
  /** Thread policy share: vCPUs on shared threads (whole cores newly shared are not listed per VNF). */
  sharedThreads: number;
  vfs: { pf: string; count: number }[];
}

export interface PlacementAnswer {
  /** In problem order. */
  placements: SolverPlacement[];
  /** In problem order. */
  unplaced: string[];
  /** No placement keeps more VNFs (of a higher priority first). */
  proven: boolean;
  /** Proven upper bound on how many VNFs can be placed (equals placements.length when proven). */
  bound: number;
  /**
   * What ended an unproven search: "work" (the node limit, the same on any machine) or "time"
   * (the wall-clock guard, which depends on the machine's load). Absent when proven.
   */
  stoppedBy?: "work" | "time";
  /** first-pass: every VNF placed by the fast pass; milp: HiGHS; none: nothing to place. */
  method: "first-pass" | "milp" | "none";
  ms: number;
}

export interface SolveOptions {
  /** Wall-clock guard of the exact stage in seconds (default DEFAULT_TIME_LIMIT_S). */
  timeLimitS?: number;
  /** Branch-and-bound nodes of the exact stage (default DEFAULT_NODE_LIMIT): the work limit. */
  nodeLimit?: number;
  /** Skip the fast first pass (tests of the exact stage). */
  exactOnly?: boolean;
}
