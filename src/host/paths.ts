/**
 * Where nfvhost keeps what it builds on a host. render writes the same paths into the files it
 * renders as apply uses, so a rendered domain XML is the one apply defines.
 */
import { join } from "node:path";

export const DEFAULT_STATE_DIR = "/var/lib/nfvhost";

export function day0IsoPath(stateDir: string, vnf: string): string {
  return join(stateDir, "day0", `${vnf}-day0.iso`);
}

/** The qcow2 overlay a VNF with `image: {base, overlay: per-vnf}` boots. */
export function overlayPath(stateDir: string, vnf: string): string {
  return join(stateDir, "overlays", `${vnf}.qcow2`);
}

/** The serial console log of a VNF (libvirt's <serial><log file=../>). */
export function serialLogPath(stateDir: string, vnf: string): string {
  return join(stateDir, "console", `${vnf}.log`);
}
