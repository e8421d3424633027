/**
 * Day-0 files per VNF (cisco-vrouter-facts.md section 2): autonomous mode `iosxe_config.txt`
 * (read by CVAC), controller mode `ciscosdwan_cloud_init.cfg`. They go onto an ISO9660 image that
 * the domain attaches as a cdrom. Files holding a secret (hash, token) are mode 0600.
 */
import type { VnfPlan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { assertDomainName } from "../../util/names.js";
import type { Environment } from "../secrets/env.js";
import { MODE_SECRET, type IsoSpec, type RenderedFile } from "../types.js";
import { iosConfig, type Day0Context } from "./iosxe.js";
import { renderSdwanCloudInit, SDWAN_FILE } from "./sdwan.js";

export const AUTONOMOUS_FILE = "iosxe_config.txt";
/**
 * CVAC and the SD-WAN bootstrap find their file by name on any cdrom; Cisco's CML labels its day-0
 * images "disk", so nfvhost does too.
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
  if (vnf.kind === "generic") {
    throw new NfvError({
      what: `vnfs.${vnf.name}.day0`,
      value: vnf.kind,
      expected: "day-0 only for kind csr1000v or c8000v (Cisco's CVAC and SD-WAN formats)",
      fix: "remove day0, or attach your own config ISO to the generic VNF",
    });
  }
  const ctx: Day0Context = { vnf, day0, env, ...(saltSeed !== undefined ? { saltSeed } : {}) };
  const dir = `day0/${vnf.name}`;
  const files: RenderedFile[] = [];
  const notes: string[] = [];
  let main: string;
  if (day0.mode === "controller") {
    const r = renderSdwanCloudInit(ctx);
    main = `${dir}/${SDWAN_FILE}`;
    files.push({
      path: main,
      content: r.content,
      mode: MODE_SECRET,
      description: `${vnf.name}: SD-WAN bootstrap (cloud-config + IOS-XE boothook)`,
    });
    if (r.missing.length > 0) {
      notes.push(
        `${vnf.name}: no ${r.missing.join("/")} in the topology (day0.onboarding): after boot, activate by hand with ` +
          "`request platform software sdwan vedge_cloud activate chassis-number <UUID> token <OTP>`.",
      );
    }
    if (r.registerCommand !== undefined) {
      files.push({
        path: `${dir}/license-register.txt`,
        content: [
          "! Smart Licensing registration: an EXEC command, run once the control connections are up",
          "! (show sdwan control connections), as the seed guide does.",
          r.registerCommand,
          "",
        ].join("\n"),
        mode: MODE_SECRET,
        description: `${vnf.name}: Smart Licensing registration command (holds the id token)`,
      });
    }
  } else {
    const cfg = iosConfig(ctx, false);
    const lines = [...cfg.lines];
    // CVAC applies the file in configuration mode; `do` runs the EXEC registration from there.
    if (cfg.registerCommand !== undefined) lines.push(`do ${cfg.registerCommand}`);
    main = `${dir}/${AUTONOMOUS_FILE}`;
    files.push({
      path: main,
      content: `${lines.join("\n")}\n`,
      mode: MODE_SECRET,
      description: `${vnf.name}: autonomous-mode day-0 configuration (CVAC)`,
    });
  }
  return {
    files,
    iso: {
      path: `${dir}/${day0IsoName(vnf.name)}`,
      volumeLabel: DAY0_VOLUME_LABEL,
      files: [main],
      description: `${vnf.name}: day-0 ISO9660 image, attached as a cdrom`,
    },
    notes,
  };
}
