/**
 * Smart Licensing lines for IOS-XE (seed 7.3; cisco-vrouter-facts.md section 4), chosen per
 * platform and image release from the kinds registry: boot level (C8000v default
 * network-advantage addon dna-advantage), throughput level (tiers only where the release takes
 * them), transport, and the registration command. The loader has checked every value against the
 * platform (topology/semantic.ts); this module re-checks what it renders, so a plan built by hand
 * cannot produce a line the image refuses.
 */
import { KINDS, parseVersion, versionFromImageName, versionInRange } from "../../topology/kinds.js";
import type { Day0Spec } from "../../topology/types.js";
import { NfvError } from "../../util/errors.js";
import { readSecret } from "../secrets/env.js";
import type { Day0Context } from "./iosxe.js";

export interface LicensingLines {
  /** Configuration lines (global configuration mode). */
  config: string[];
  /** The EXEC registration command, holding the token; absent without token-env. */
  register?: string;
}

/** The image release: the topology's version, else the one in the image's file name. */
export function imageRelease(ctx: Day0Context): { text: string; parts: number[] } | null {
  const text = ctx.vnf.version ?? versionFromImageName(ctx.vnf.image);
  const parts = text === null || text === undefined ? null : parseVersion(text);
  return parts === null ? null : { text: text!, parts };
}

const ADDON: Record<string, string> = {
  "network-essentials": "dna-essentials",
  "network-advantage": "dna-advantage",
  "network-premier": "dna-premier",
};

export function licensingLines(ctx: Day0Context, l: NonNullable<Day0Spec["license"]>): LicensingLines {
  const kind = KINDS[ctx.vnf.kind];
  const lic = kind.licensing;
  const where = `vnfs.${ctx.vnf.name}.day0.license`;
  if (!lic) {
    throw new NfvError({
      what: where,
      value: ctx.vnf.kind,
      expected: `Smart Licensing lines only for kinds with Smart Licensing (csr1000v, c8000v), not ${kind.label}`,
    });
  }
  const release = imageRelease(ctx);
  const config: string[] = [];

  const boot = l.bootLevel ?? lic.defaultBootLevel;
  if (boot !== null && boot !== undefined) {
    if (!lic.bootLevels.includes(boot)) {
      throw new NfvError({
        what: `${where}.boot-level`,
        value: boot,
        expected: `a boot level ${kind.label} accepts: ${lic.bootLevels.join(", ")}`,
      });
    }
    const addon = ADDON[boot];
    config.push(`license boot level ${boot}${addon ? ` addon ${addon}` : ""}`);
  }

  if (l.throughputLevel !== undefined) {
    const t = l.throughputLevel;
    const tier = /^T[0-3]$/.test(t);
    const ok = tier
      ? lic.tiersSince !== null &&
        release !== null &&
        versionInRange(release.parts, { min: lic.tiersSince, max: null })
      : /^\d+$/.test(t) && lic.throughputMbps.includes(Number(t));
    if (!ok) {
      throw new NfvError({
        what: `${where}.throughput-level`,
        value: t,
        expected: tier
          ? `a tier only on a release that takes tiers (${kind.label}${lic.tiersSince ? ` ${lic.tiersSince}a or later` : ": none"}); the image is ${release?.text ?? "of unknown release"}`
          : `a throughput ${kind.label} sells, in Mbps: ${lic.throughputMbps.join(", ")}`,
      });
    }
    config.push(`platform hardware throughput level MB ${t}`);
  }

  if (l.tokenEnv === undefined) return { config };
  const token = readSecret(ctx.env, l.tokenEnv, `Smart Licensing id token for ${ctx.vnf.name}`);
  if (!/^[\x21-\x7e]+$/.test(token)) {
    // The token is a secret: the message names the variable, never the value.
    throw new NfvError({
      what: `environment variable ${l.tokenEnv}`,
      value: "(not shown)",
      expected: "a Smart Licensing id token: printable ASCII without spaces",
    });
  }
  const classic =
    lic.registerUntil !== null &&
    (release === null
      ? (() => {
          throw new NfvError({
            what: `vnfs.${ctx.vnf.name}.version`,
            value: "unknown",
            expected: `the image's ${kind.label} release: registration is \`register idtoken\` up to ${lic.registerUntil}, \`trust idtoken\` after`,
            fix: "add version: to the VNF",
          });
        })()
      : versionInRange(release.parts, { min: null, max: lic.registerUntil }));
  if (classic) return { config, register: `license smart register idtoken ${token} force` };
  // Smart Licensing Using Policy (17.3.2+): transport straight to Cisco (CSLU is the default).
  config.push(
    "license smart transport smart",
    "license smart url smart https://smartreceiver.cisco.com/licservice/license",
  );
  return { config, register: `license smart trust idtoken ${token} all force` };
}
