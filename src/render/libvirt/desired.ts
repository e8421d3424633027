/**
 * The libvirt half of the desired state, built once for render and apply: domain and network XML
 * from the plan with everything apply defines (UUID, nfvhost's ownership marks, serial log path,
 * day-0 cdrom, what preflight found the host can do). render writes these strings to files, apply
 * defines them, so a rendered file is what `virsh dumpxml --inactive` shows after apply.
 */
import { markNetworkXml } from "../../libvirt/network-owner.js";
import type { Plan, VnfPlan } from "../../plan/types.js";
import { day0IsoPath, DEFAULT_STATE_DIR, overlayPath, serialLogPath } from "../../host/paths.js";
import { uuidV5 } from "../uuid.js";
import { renderDomainXml } from "./domain.js";
import { renderNetworkXml } from "./network.js";

export interface LibvirtContext {
  /** Where the day-0 ISOs and console logs live on the host (apply's --state). */
  stateDir?: string;
  /** Directory of the day-0 ISOs when not STATE/day0 (render --day0-dir). */
  day0Dir?: string;
  /** VNFs with a day-0 ISO. */
  day0: ReadonlySet<string>;
  /** UUIDs of domains that exist: a redefinition keeps its UUID. New ones get a stable UUID. */
  uuids?: Readonly<Record<string, string>>;
  /** From preflight: domain type per VNF (default: qemu for lab VNFs, else kvm). */
  domainType?: Readonly<Record<string, "kvm" | "qemu">>;
  /** From preflight: <locked/> per VNF (default: yes). */
  locked?: Readonly<Record<string, boolean>>;
}

export interface LibvirtDomainState {
  vnf: VnfPlan;
  name: string;
  xml: string;
  autostart: boolean;
  /** The serial console's log file (virtlogd writes it; its directory must exist at start). */
  serialLog: string;
  /** The per-VNF qcow2 overlay apply creates over the base image before the domain starts. */
  overlay?: { path: string; base: string };
}

export interface LibvirtState {
  domains: LibvirtDomainState[];
  networks: { name: string; xml: string }[];
}

/** A domain's UUID before it exists: derived from topology and name, the same in every run. */
export function domainUuid(topology: string, vnf: string): string {
  return uuidV5(`${topology}/libvirt/domain/${vnf}`);
}

export function libvirtState(plan: Plan, ctx: LibvirtContext): LibvirtState {
  const stateDir = ctx.stateDir ?? DEFAULT_STATE_DIR;
  const isoPath = (vnf: string) =>
    ctx.day0Dir ? `${ctx.day0Dir}/${vnf}-day0.iso` : day0IsoPath(stateDir, vnf);
  const networks = plan.networks.map((n) => ({
    name: n.name,
    xml: markNetworkXml(renderNetworkXml(n), plan.topology),
  }));
  const domains = plan.vnfs.map((v) => ({
    vnf: v,
    name: v.name,
    autostart: v.autostart,
    serialLog: serialLogPath(stateDir, v.name),
    ...(v.overlay ? { overlay: { path: overlayPath(stateDir, v.name), base: v.image } } : {}),
    xml: renderDomainXml(v, {
      ...(v.overlay ? { diskPath: overlayPath(stateDir, v.name) } : {}),
      accel: ctx.domainType?.[v.name] ?? (v.lab ? "qemu" : "kvm"),
      lockedMemory: ctx.locked?.[v.name] ?? true,
      ...(ctx.day0.has(v.name) ? { day0IsoPath: isoPath(v.name) } : {}),
      serialLogPath: serialLogPath(stateDir, v.name),
      uuid: ctx.uuids?.[v.name] ?? domainUuid(plan.topology, v.name),
      topology: plan.topology,
    }),
  }));
  return { domains, networks };
}
