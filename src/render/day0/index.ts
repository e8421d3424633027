/**
 * Day-0 files per VNF, in the format and on the medium its kind's registry entry names
 * (topology/kinds.ts): IOS-XE CVAC or SD-WAN, ASA, IOS XR, Junos, VM-Series bootstrap, FortiGate
 * config drive, VyOS NoCloud. Every file goes onto an ISO9660 image the domain attaches as a
 * cdrom; files holding a secret (hash, token) are mode 0600, and so is every day-0 file.
 */
import type { VnfPlan } from "../../plan/types.js";
import { day0MediumOf, KINDS } from "../../topology/kinds.js";
import { NfvError } from "../../util/errors.js";
import { assertDomainName } from "../../util/names.js";
import type { Environment } from "../secrets/env.js";
import { MODE_SECRET, type IsoSpec, type RenderedFile } from "../types.js";
import { DAY0_FORMATS } from "./formats/index.js";
import { AUTONOMOUS_FILE } from "./formats/iosxe.js";

export { AUTONOMOUS_FILE };
/**
 * Where a kind names no label (CVAC and the SD-WAN bootstrap find their file by name on any
 * cdrom), nfvhost writes "disk" as Cisco's CML does.
 */
export const DAY0_VOLUME_LABEL = "disk";

export interface Day0Output {
  files: RenderedFile[];
  iso: IsoSpec;
  /** Notes for README.txt (e.g. manual activation needed). */
  notes: string[];
}

export function day0IsoName(vnf: string): string {
  return `${vnf}-day0.iso`;
}

export function renderDay0(vnf: VnfPlan, env: Environment, saltSeed?: string): Day0Output | null {
  const day0 = vnf.day0;
  if (!day0) return null;
  assertDomainName(vnf.name, "VNF name");
  const kind = KINDS[vnf.kind];
  const medium = kind ? day0MediumOf(kind, day0.mode) : null;
  if (!medium) {
    throw new NfvError({
      what: `vnfs.${vnf.name}.day0`,
      value: vnf.kind,
      expected: `no day0 for kind ${vnf.kind}${kind?.day0Note ? `: ${kind.day0Note}` : ""}`,
      fix: "remove day0 and configure the image itself",
    });
  }
  const out = DAY0_FORMATS[medium.format].render({
    vnf,
    day0,
    env,
    ...(saltSeed !== undefined ? { saltSeed } : {}),
  });
  const dir = `day0/${vnf.name}`;
  const inMedium: RenderedFile[] = out.files.map((f) => ({
    path: `${dir}/${f.path}`,
    content: f.content,
    mode: MODE_SECRET,
    description: `${vnf.name}: ${f.description}`,
  }));
  const beside: RenderedFile[] = out.beside.map((f) => ({
    path: `${dir}/${f.path}`,
    content: f.content,
    mode: MODE_SECRET,
    description: `${vnf.name}: ${f.description}`,
  }));
  return {
    files: [...inMedium, ...beside],
    iso: {
      path: `${dir}/${day0IsoName(vnf.name)}`,
      volumeLabel: medium.volumeLabel ?? DAY0_VOLUME_LABEL,
      files: inMedium.map((f) => f.path),
      root: dir,
      dirs: out.dirs,
      description: `${vnf.name}: day-0 ISO9660 image, attached as a cdrom`,
    },
    notes: out.notes,
  };
}
