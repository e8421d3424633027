/**
 * IOS-XE configuration lines from a VNF's day-0 spec: the seed's CSR 1000v SD-WAN configuration
 * (seed "CSR 1000v 的初始化配置", compared line by line with its `show sdwan running-config`), and the
 * same building blocks for autonomous mode. Interface names follow the vNIC order: the n-th vNIC is
 * GigabitEthernet<n>. Passwords become type 9 secrets here and nowhere else.
 */
import { isIPv4 } from "node:net";
import type { VnfPlan } from "../../plan/types.js";
import type { Day0Spec } from "../../topology/types.js";
import {
  parseGigabitEthernet,
  validateCidr,
  validateClockTimezone,
  validateHost,
  validateIp,
  validateIosHostname,
  validateIosUsername,
  validatePrefix,
} from "../../topology/values.js";
import { NfvError } from "../../util/errors.js";
import { makeSalt, type9Secret } from "../secrets/cisco.js";
import { readSecret, type Environment } from "../secrets/env.js";
import { licensingLines } from "./licensing.js";

export interface Day0Context {
  vnf: VnfPlan;
  day0: Day0Spec;
  env: Environment;
  saltSeed?: string;
}

function check(ctx: Day0Context, field: string, value: string, problem: string | null): string {
  if (problem !== null)
    throw new NfvError({ what: `vnfs.${ctx.vnf.name}.day0.${field}`, value, expected: problem });
  return value;
}

/** A free-text IOS token (organization name, color, description): printable ASCII, no line breaks. */
function text(ctx: Day0Context, field: string, value: string, spaces = false): string {
  const re = spaces ? /^[\x21-\x7e][\x20-\x7e]*$/ : /^[\x21-\x7e]+$/;
  return check(
    ctx,
    field,
    value,
    re.test(value) ? null : `printable ASCII${spaces ? "" : " without spaces"}, one line`,
  );
}

/** "GigabitEthernet2" / "Gi2" -> "GigabitEthernet2", checked against the VNF's vNIC count. */
export function interfaceName(ctx: Day0Context, field: string, name: string): string {
  const n = parseGigabitEthernet(name);
  const count = ctx.vnf.interfaces.length;
  if (n === null || n > count) {
    throw new NfvError({
      what: `vnfs.${ctx.vnf.name}.day0.${field}`,
      value: name,
      expected: `GigabitEthernet1..${count}: the VNF has ${count} vNIC(s), named in their order`,
      fix: "name the interface by the position of its vNIC in vnfs.<name>.interfaces",
    });
  }
  return `GigabitEthernet${n}`;
}

export function netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join(".");
}

function ipAddressLine(ctx: Day0Context, field: string, cidr: string): string {
  check(ctx, field, cidr, validateCidr(cidr));
  const [ip, len] = cidr.split("/") as [string, string];
  return isIPv4(ip) ? `ip address ${ip} ${netmask(Number(len))}` : `ipv6 address ${cidr}`;
}

function routeLine(ctx: Day0Context, i: number, prefix: string, nextHop: string): string {
  check(ctx, `routes[${i}].prefix`, prefix, validatePrefix(prefix));
  check(ctx, `routes[${i}].next-hop`, nextHop, validateIp(nextHop));
  const [net, len] = prefix.split("/") as [string, string];
  if (isIPv4(net) !== isIPv4(nextHop)) {
    throw new NfvError({
      what: `vnfs.${ctx.vnf.name}.day0.routes[${i}]`,
      value: `${prefix} via ${nextHop}`,
      expected: "prefix and next hop of the same address family",
    });
  }
  return isIPv4(net)
    ? `ip route ${net} ${netmask(Number(len))} ${nextHop}`
    : `ipv6 route ${prefix} ${nextHop}`;
}

/** `username NAME privilege N secret 9 $9$...` for every user; the clear password never leaves this function. */
function userLines(ctx: Day0Context): string[] {
  const lines: string[] = [];
  for (const [name, user] of Object.entries(ctx.day0.users)) {
    check(ctx, `users.${name}`, name, validateIosUsername(name));
    if (!Number.isInteger(user.privilege) || user.privilege < 0 || user.privilege > 15) {
      throw new NfvError({
        what: `vnfs.${ctx.vnf.name}.day0.users.${name}.privilege`,
        value: user.privilege,
        expected: "0-15",
      });
    }
    const password = readSecret(
      ctx.env,
      user.passwordEnv,
      `password of IOS-XE user ${name} on ${ctx.vnf.name}`,
    );
    const secret = type9Secret(password, makeSalt(`${ctx.vnf.name}/username/${name}`, ctx.saltSeed));
    lines.push(`username ${name} privilege ${user.privilege} secret 9 ${secret}`);
  }
  if (ctx.day0.enableSecretEnv !== undefined) {
    const password = readSecret(ctx.env, ctx.day0.enableSecretEnv, `enable secret of ${ctx.vnf.name}`);
    lines.push(`enable secret 9 ${type9Secret(password, makeSalt(`${ctx.vnf.name}/enable`, ctx.saltSeed))}`);
  }
  return lines;
}

export interface IosConfig {
  /** Configuration lines, IOS indentation (one space per level). */
  lines: string[];
  /**
   * `license smart trust idtoken ... all force` (or `register idtoken` on a classic CSR): an EXEC
   * command, so it never goes into a startup configuration; rendered to its own 0600 file.
   */
  registerCommand?: string;
}

/** The running-config style configuration. `sdwan` adds the system, Tunnel and sdwan blocks. */
export function iosConfig(ctx: Day0Context, sdwan: boolean): IosConfig {
  const d = ctx.day0;
  const lines: string[] = [];
  if (sdwan) {
    const s = d.system;
    if (!s) {
      throw new NfvError({
        what: `vnfs.${ctx.vnf.name}.day0.system`,
        value: "missing",
        expected: "system-ip, site-id, organization-name and vbond for controller (SD-WAN) mode",
      });
    }
    check(
      ctx,
      "system.system-ip",
      s.systemIp,
      isIPv4(s.systemIp) ? null : "an IPv4 address such as 1.1.10.1",
    );
    check(ctx, "system.vbond", s.vbond, validateHost(s.vbond));
    lines.push("system");
    lines.push(` system-ip ${s.systemIp}`);
    lines.push(` site-id ${s.siteId}`);
    if (s.spOrganizationName !== undefined)
      lines.push(
        ` sp-organization-name ${text(ctx, "system.sp-organization-name", s.spOrganizationName, true)}`,
      );
    lines.push(` organization-name ${text(ctx, "system.organization-name", s.organizationName, true)}`);
    lines.push(` vbond ${s.vbond}${s.vbondPort !== undefined ? ` port ${s.vbondPort}` : ""}`);
    lines.push("!");
  }
  lines.push(`hostname ${check(ctx, "hostname", d.hostname, validateIosHostname(d.hostname))}`);
  lines.push(...userLines(ctx));
  d.nameServers.forEach((ns, i) =>
    lines.push(`ip name-server ${check(ctx, `name-servers[${i}]`, ns, validateIp(ns))}`),
  );
  d.routes.forEach((r, i) => lines.push(routeLine(ctx, i, r.prefix, r.nextHop)));

  const tunnels: { gi: string; tunnel: NonNullable<Day0Spec["interfaces"][string]["tunnel"]> }[] = [];
  const entries = Object.entries(d.interfaces)
    .map(([name, spec]) => [interfaceName(ctx, `interfaces.${name}`, name), spec] as const)
    .sort(([a], [b]) => parseGigabitEthernet(a)! - parseGigabitEthernet(b)!);
  for (const [gi, spec] of entries) {
    lines.push(`interface ${gi}`);
    if (spec.description !== undefined)
      lines.push(` description ${text(ctx, `interfaces.${gi}.description`, spec.description, true)}`);
    lines.push(" no shutdown");
    if (sdwan) lines.push(" arp timeout 1200");
    if (spec.dhcp) lines.push(` ip address dhcp client-id ${gi}`);
    else if (spec.address !== undefined)
      lines.push(` ${ipAddressLine(ctx, `interfaces.${gi}.address`, spec.address)}`);
    if (sdwan) lines.push(" no ip redirects");
    if (spec.mtu !== undefined) {
      if (!Number.isInteger(spec.mtu) || spec.mtu < 576 || spec.mtu > 9216) {
        throw new NfvError({
          what: `vnfs.${ctx.vnf.name}.day0.interfaces.${gi}.mtu`,
          value: spec.mtu,
          expected: "576-9216",
        });
      }
      lines.push(` ip mtu ${spec.mtu}`, ` mtu ${spec.mtu}`);
    }
    if (sdwan) lines.push(" negotiation auto");
    lines.push("exit");
    if (spec.tunnel) {
      if (!sdwan) {
        throw new NfvError({
          what: `vnfs.${ctx.vnf.name}.day0.interfaces.${gi}.tunnel`,
          value: spec.tunnel,
          expected: "an SD-WAN tunnel only in controller mode",
          fix: "set day0.mode: controller, or remove the tunnel",
        });
      }
      tunnels.push({ gi, tunnel: spec.tunnel });
    }
  }
  tunnels.forEach(({ gi }, i) => {
    lines.push(`interface Tunnel${i + 1}`, " no shutdown", ` ip unnumbered ${gi}`, " no ip redirects");
    lines.push(
      ` ipv6 unnumbered ${gi}`,
      " no ipv6 redirects",
      ` tunnel source ${gi}`,
      " tunnel mode sdwan",
      "exit",
    );
  });
  if (d.clockTimezone !== undefined)
    lines.push(
      `clock timezone ${check(ctx, "clock-timezone", d.clockTimezone, validateClockTimezone(d.clockTimezone))}`,
    );
  d.ntp.forEach((n, i) => {
    check(ctx, `ntp[${i}].server`, n.server, validateHost(n.server));
    lines.push(`ntp server ${n.server}${n.version !== undefined ? ` version ${n.version}` : ""}`);
  });

  let registerCommand: string | undefined;
  if (d.license) {
    const l = d.license;
    if (l.sourceInterface !== undefined) {
      lines.push(
        `ip http client source-interface ${interfaceName(ctx, "license.source-interface", l.sourceInterface)}`,
      );
    }
    if (l.toolsHost !== undefined) {
      check(
        ctx,
        "license.tools-host",
        l.toolsHost,
        isIPv4(l.toolsHost) ? null : "the IPv4 address tools.cisco.com resolves to, e.g. 72.163.4.38",
      );
      lines.push(`ip host tools.cisco.com ${l.toolsHost}`);
    }
    const lic = licensingLines(ctx, l);
    lines.push(...lic.config);
    registerCommand = lic.register;
  }

  if (sdwan && tunnels.length > 0) {
    lines.push("sdwan");
    for (const { gi, tunnel } of tunnels) {
      lines.push(` interface ${gi}`, "  tunnel-interface", `   encapsulation ${tunnel.encapsulation}`);
      if (tunnel.color !== undefined)
        lines.push(`   color ${text(ctx, `interfaces.${gi}.tunnel.color`, tunnel.color, true)}`);
      for (const svc of tunnel.allowService)
        lines.push(`   allow-service ${text(ctx, `interfaces.${gi}.tunnel.allow-service`, svc)}`);
      lines.push("  exit", " exit");
    }
  }
  // Verbatim, leading indentation included (sub-mode lines such as " transport input ssh").
  d.extraConfig.forEach((l, i) =>
    lines.push(
      check(ctx, `extra-config[${i}]`, l, /^[\x20-\x7e]*$/.test(l) ? null : "printable ASCII, one line"),
    ),
  );
  return registerCommand === undefined ? { lines } : { lines, registerCommand };
}
