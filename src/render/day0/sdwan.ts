/**
 * Controller (SD-WAN) mode day-0: `ciscosdwan_cloud_init.cfg`, a MIME multipart with a
 * `#cloud-config` part (vinitparam: the onboarding values) and a `#cloud-boothook` part carrying
 * the IOS-XE SD-WAN configuration (cisco-vrouter-facts.md 2.2; headers as CML writes them).
 */
import { stringify } from "yaml";
import { NfvError } from "../../util/errors.js";
import { readSecret } from "../secrets/env.js";
import type { Day0Context } from "./iosxe.js";
import { iosConfig } from "./iosxe.js";

export const SDWAN_FILE = "ciscosdwan_cloud_init.cfg";
const BOUNDARY = "===============nfvhost-day0==";

function part(type: string, filename: string, body: string): string {
  return [
    `--${BOUNDARY}`,
    `Content-Type: ${type}; charset="us-ascii"`,
    "MIME-Version: 1.0",
    "Content-Transfer-Encoding: 7bit",
    `Content-Disposition: attachment; filename="${filename}"`,
    "",
    body.endsWith("\n") ? body : `${body}\n`,
  ].join("\n");
}

/**
 * A value as a YAML scalar that reads back as exactly this string. cloud-init reads YAML 1.1
 * (PyYAML): `yes`, `0x1f` or `a #b` written plain would become true, 31 or `a`.
 */
export function yamlScalar(value: string): string {
  return stringify(value, { version: "1.1", lineWidth: 0 }).trimEnd();
}

/**
 * One or more PEM certificates and nothing else: a lone CR or any other line would go into the
 * MIME message as it is and could start a part of its own (a shell script cloud-init runs).
 */
export function strictPem(text: string): boolean {
  const lines = text.trim().split(/\r?\n/);
  // eslint-disable-next-line no-control-regex
  if (lines.some((l) => /[\r\x00-\x08\x0b-\x1f\x7f]/.test(l))) return false;
  let inside = false;
  let body = 0;
  for (const l of lines) {
    if (!inside && l === "-----BEGIN CERTIFICATE-----") {
      inside = true;
      body = 0;
    } else if (inside && l === "-----END CERTIFICATE-----") {
      if (body === 0) return false;
      inside = false;
    } else if (inside && /^[A-Za-z0-9+/]{1,76}={0,2}$/.test(l)) body++;
    else return false;
  }
  return !inside && lines.length >= 3;
}

/** The #cloud-config part: only the values the topology and environment provide. */
function cloudConfig(ctx: Day0Context): { body: string; missing: string[] } {
  const d = ctx.day0;
  const s = d.system!;
  const params: [string, string | boolean][] = [];
  const missing: string[] = [];
  const uuid = d.onboarding?.uuid;
  if (uuid !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(uuid)) {
      throw new NfvError({
        what: `vnfs.${ctx.vnf.name}.day0.onboarding.uuid`,
        value: uuid,
        expected: "the chassis number from the WAN Edge list, e.g. C8K-D9900516-21E0-9F83-1A8A-E53E5115EA4D",
      });
    }
    params.push(["uuid", uuid]);
  } else missing.push("uuid");
  params.push(["vbond", s.vbond]);
  if (d.onboarding?.otpEnv !== undefined) {
    const otp = readSecret(ctx.env, d.onboarding.otpEnv, `SD-WAN one-time token of ${ctx.vnf.name}`);
    if (!/^[A-Za-z0-9]+$/.test(otp)) {
      throw new NfvError({
        what: `environment variable ${d.onboarding.otpEnv}`,
        value: "(not shown)",
        expected: "the one-time token: letters and digits",
      });
    }
    params.push(["otp", otp]);
  } else missing.push("otp");
  params.push(["org", s.organizationName]);
  params.push(["rcc", true]);
  const lines = [
    "#cloud-config",
    "vinitparam:",
    ...params.map(([k, v]) => ` - ${k} : ${typeof v === "boolean" ? String(v) : yamlScalar(v)}`),
  ];
  if (d.onboarding?.rootCaEnv !== undefined) {
    const pem = readSecret(
      ctx.env,
      d.onboarding.rootCaEnv,
      `root CA certificate (PEM) of the overlay for ${ctx.vnf.name}`,
    );
    if (!strictPem(pem)) {
      throw new NfvError({
        what: `environment variable ${d.onboarding.rootCaEnv}`,
        value: "(not shown)",
        expected:
          "PEM certificates only: -----BEGIN CERTIFICATE-----, base64 lines, -----END CERTIFICATE----- (LF or CRLF line ends, nothing else)",
      });
    }
    lines.push("ca-certs:", "  remove-defaults: false", "  trusted:", "  - |");
    for (const l of pem.trim().split(/\r?\n/)) lines.push(`    ${l}`);
  }
  return { body: lines.join("\n"), missing };
}

export interface SdwanDay0 {
  content: string;
  /** vinitparam values the topology did not give: the router then needs manual activation. */
  missing: string[];
  registerCommand?: string;
}

export function renderSdwanCloudInit(ctx: Day0Context): SdwanDay0 {
  const config = iosConfig(ctx, true);
  const cc = cloudConfig(ctx);
  const content = [
    `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
    "MIME-Version: 1.0",
    "",
    part("text/cloud-config", "cloud-config", cc.body),
    part("text/cloud-boothook", "cloud-boothook", ["#cloud-boothook", ...config.lines].join("\n")),
    `--${BOUNDARY}--`,
    "",
  ].join("\n");
  return {
    content,
    missing: cc.missing,
    ...(config.registerCommand !== undefined ? { registerCommand: config.registerCommand } : {}),
  };
}
