/**
 * What every vendor's day-0 renderer shares: the context, the vendor-neutral summary a parser
 * reads back from rendered files (so a golden file is proven to say what the topology says), the
 * summary the topology asks for, and the checks of values that end up in a vendor's config line.
 */
import { createHmac, randomBytes } from "node:crypto";
import { isIPv4 } from "node:net";
import { encrypt } from "unixcrypt";
import type { VnfPlan } from "../../../plan/types.js";
import { guestInterfaceIndex, KINDS } from "../../../topology/kinds.js";
import type { Day0Spec } from "../../../topology/types.js";
import {
  validateCidr,
  validateHost,
  validateIosHostname,
  validateIosUsername,
  validateIp,
  validatePrefix,
} from "../../../topology/values.js";
import { NfvError } from "../../../util/errors.js";
import { readSecret, type Environment } from "../../secrets/env.js";

export interface Day0Context {
  vnf: VnfPlan;
  day0: Day0Spec;
  env: Environment;
  saltSeed?: string;
}

/** One file of the day-0 medium, by its path inside the medium. */
export interface MediumFile {
  path: string;
  content: string;
  description: string;
}

export interface FormatOutput {
  files: MediumFile[];
  /** Empty directories the medium must hold (VM-Series: content/, software/). */
  dirs: string[];
  /** Files that stay beside the medium (0600), e.g. an EXEC registration command. */
  beside: MediumFile[];
  notes: string[];
}

/** What a day-0 medium says, read back by a parser of its format. */
export interface Day0Summary {
  hostname: string | null;
  users: string[];
  /** By the guest's interface name. */
  interfaces: Record<string, { address?: string; dhcp?: true; description?: string; mtu?: number }>;
  nameServers: string[];
  routes: { prefix: string; nextHop: string }[];
  ntp: string[];
}

export interface Day0Format {
  render(ctx: Day0Context): FormatOutput;
  /** Parses the medium's files (path inside the medium -> content). */
  parse(files: Readonly<Record<string, string>>): Day0Summary;
}

export function fail(ctx: Day0Context, field: string, value: unknown, expected: string, fix?: string): never {
  throw new NfvError({
    what: `vnfs.${ctx.vnf.name}.day0.${field}`,
    value,
    expected,
    ...(fix ? { fix } : {}),
  });
}

export function check(ctx: Day0Context, field: string, value: string, problem: string | null): string {
  if (problem !== null) fail(ctx, field, value, problem);
  return value;
}

/** Free text for a config line: printable ASCII, no quotes or line breaks (every format quotes differently). */
export function text(ctx: Day0Context, field: string, value: string): string {
  return check(
    ctx,
    field,
    value,
    /^[\x20-\x21\x23-\x26\x28-\x7e]*$/.test(value)
      ? null
      : "printable ASCII without quotes (' \") on one line",
  );
}

export function hostname(ctx: Day0Context): string {
  return check(ctx, "hostname", ctx.day0.hostname, validateIosHostname(ctx.day0.hostname));
}

export function nameServers(ctx: Day0Context): string[] {
  return ctx.day0.nameServers.map((ns, i) => check(ctx, `name-servers[${i}]`, ns, validateIp(ns)));
}

export function ntpServers(ctx: Day0Context): string[] {
  return ctx.day0.ntp.map((n, i) => check(ctx, `ntp[${i}].server`, n.server, validateHost(n.server)));
}

export function routes(ctx: Day0Context): { prefix: string; nextHop: string }[] {
  return ctx.day0.routes.map((r, i) => {
    check(ctx, `routes[${i}].prefix`, r.prefix, validatePrefix(r.prefix));
    check(ctx, `routes[${i}].next-hop`, r.nextHop, validateIp(r.nextHop));
    if (isIPv4(r.prefix.split("/")[0]!) !== isIPv4(r.nextHop))
      fail(
        ctx,
        `routes[${i}]`,
        `${r.prefix} via ${r.nextHop}`,
        "prefix and next hop of the same address family",
      );
    return { prefix: r.prefix, nextHop: r.nextHop };
  });
}

export interface InterfaceConfig {
  name: string;
  index: number;
  address?: string;
  dhcp?: true;
  description?: string;
  mtu?: number;
}

/** The day-0 interfaces in vNIC order, by the guest's names, values checked. */
export function interfaces(ctx: Day0Context): InterfaceConfig[] {
  const kind = KINDS[ctx.vnf.kind];
  const out: InterfaceConfig[] = [];
  for (const [name, spec] of Object.entries(ctx.day0.interfaces)) {
    const index = guestInterfaceIndex(kind, name, ctx.vnf.interfaces.length);
    if (index === null)
      fail(ctx, `interfaces.${name}`, name, `an interface of this ${kind.label}, named in vNIC order`);
    if (spec.address !== undefined)
      check(ctx, `interfaces.${name}.address`, spec.address, validateCidr(spec.address));
    if (spec.description !== undefined) text(ctx, `interfaces.${name}.description`, spec.description);
    if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 576 || spec.mtu > 9216))
      fail(ctx, `interfaces.${name}.mtu`, spec.mtu, "576-9216");
    out.push({
      name,
      index,
      ...(spec.address !== undefined ? { address: spec.address } : {}),
      ...(spec.dhcp ? { dhcp: true as const } : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

export interface UserSecret {
  name: string;
  privilege: number;
  /** SHA-512 crypt ($6$): Junos, IOS XR type 10 and VyOS take it. */
  sha512: string;
}

/** `$6$` salt: 16 characters of crypt's alphabet, stable per seed and context. */
function cryptSalt(context: string, seed: string | undefined): string {
  const alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const bytes =
    seed === undefined || seed === "" ? randomBytes(16) : createHmac("sha256", seed).update(context).digest();
  return [...bytes.subarray(0, 16)].map((b) => alphabet[b % 64]).join("");
}

/** Users with their passwords as SHA-512 crypt hashes; the clear password never leaves here. */
export function userSecrets(ctx: Day0Context): UserSecret[] {
  return Object.entries(ctx.day0.users).map(([name, user]) => {
    check(ctx, `users.${name}`, name, validateIosUsername(name));
    const password = readSecret(ctx.env, user.passwordEnv, `password of user ${name} on ${ctx.vnf.name}`);
    const salt = cryptSalt(`${ctx.vnf.name}/user/${name}`, ctx.saltSeed);
    return { name, privilege: user.privilege, sha512: encrypt(password, `$6$${salt}`) };
  });
}

/** "10.0.0.2/24" -> ["10.0.0.2", "255.255.255.0"] for IPv4. */
export function addressAndMask(cidr: string): [string, string] {
  const [ip, len] = cidr.split("/") as [string, string];
  const prefix = Number(len);
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [ip, [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join(".")];
}

/** "255.255.255.0" -> 24 */
export function maskLength(mask: string): number {
  return mask
    .split(".")
    .map((o) => Number(o).toString(2).replace(/0/g, "").length)
    .reduce((a, b) => a + b, 0);
}

/** What the topology asks a day-0 medium to say, in the parsers' terms (for the round-trip tests). */
export function expectedSummary(
  vnf: VnfPlan,
  day0: Day0Spec,
  opts: { users?: boolean; only?: readonly string[] } = {},
): Day0Summary {
  const interfacesOut: Day0Summary["interfaces"] = {};
  for (const [name, spec] of Object.entries(day0.interfaces)) {
    if (opts.only && !opts.only.includes(name)) continue;
    interfacesOut[name] = {
      ...(spec.address !== undefined ? { address: spec.address } : {}),
      ...(spec.dhcp ? { dhcp: true as const } : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
    };
  }
  void vnf;
  return {
    hostname: day0.hostname,
    users: opts.users === false ? [] : Object.keys(day0.users).sort(),
    interfaces: interfacesOut,
    nameServers: [...day0.nameServers],
    routes: day0.routes.map((r) => ({ prefix: r.prefix, nextHop: r.nextHop })),
    ntp: day0.ntp.map((n) => n.server),
  };
}

export function emptySummary(): Day0Summary {
  return { hostname: null, users: [], interfaces: {}, nameServers: [], routes: [], ntp: [] };
}

/** A parser's complaint about the file it reads: the format is wrong, not the topology. */
export function parseError(file: string, line: number, problem: string): NfvError {
  return new NfvError({ what: `${file}:${line}`, expected: problem, exitCode: 1 });
}
