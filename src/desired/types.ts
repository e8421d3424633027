/**
 * The desired state of one host: what apply converges and render writes, computed from the plan
 * before anything is read or touched on the host.
 */
import type { LiveDomain } from "../libvirt/deployed.js";
import type { VnfPlan } from "../plan/types.js";
import type { HostReading, HostSetting } from "../host/settings.js";

export interface DesiredSysfs {
  path: string;
  value: number;
  /** "at-least": only ever increased (hugepages); "exact": written when different (VFs). */
  rule: "at-least" | "exact";
  what: string;
  /** Writing over a non-zero value is disruptive (sriov_numvfs must go through 0): needs --yes. */
  owner?: string;
}

export interface DesiredFile {
  path: string;
  content: Buffer;
  mode: number;
  what: string;
}

export interface DesiredNetwork {
  name: string;
  xml: string;
}

export interface DesiredDomain {
  vnf: VnfPlan;
  name: string;
  xml: string;
  autostart: boolean;
  /** The qcow2 overlay the domain boots, created over base before the domain is defined. */
  overlay?: { path: string; base: string };
}

export interface Desired {
  /**
   * sysctl, THP, SELinux, firewalld, local repository, LANG, kernel arguments (guide's order).
   * Absent in hand-made desired states of libvirt-only tests: no host setting.
   */
  host?: HostSetting[];
  sysfs: DesiredSysfs[];
  nm: DesiredFile[];
  /** Day-0 ISO: built from `files` when the digest of its inputs changed. */
  isos: {
    vnf: string;
    path: string;
    label: string;
    files: { name: string; content: Buffer }[];
    /** Empty directories of the image (VM-Series bootstrap). */
    dirs?: string[];
    digest: string;
  }[];
  networks: DesiredNetwork[];
  domains: DesiredDomain[];
}

export interface LiveNetwork {
  name: string;
  active: boolean;
  autostart: boolean;
  xml: string;
  /** Carries nfvhost's metadata mark: nfvhost created (or adopted) it. */
  managed: boolean;
}

export interface LiveState {
  domains: Map<string, LiveDomain & { autostart: boolean }>;
  networks: Map<string, LiveNetwork>;
  /** Each host setting as the host has it, by setting id (absent: no host setting was read). */
  host?: Map<string, HostReading>;
  sysfs: Map<string, string | null>;
  files: Map<string, Buffer | null>;
  /** Digest sidecar of each day-0 ISO (what it was built from). */
  isoDigests: Map<string, string | null>;
}
