/**
 * VyOS day-0: cloud-init NoCloud (ISO labelled cidata with user-data and meta-data) whose
 * #cloud-config carries `vyos_config_commands` (VyOS documentation, "Cloud-init":
 * vyos_config_commands; cloud-init docs, "NoCloud"). Passwords are SHA-512 crypt
 * (`authentication encrypted-password`). NTP moved from `system ntp` to `service ntp` in 1.4.
 */
import { isIPv4 } from "node:net";
import { parse as parseYaml } from "yaml";
import { compareVersions, parseVersion, versionFromImageName } from "../../../topology/kinds.js";
import {
  emptySummary,
  hostname,
  interfaces,
  nameServers,
  ntpServers,
  routes,
  text,
  userSecrets,
} from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
import { parseError } from "./common.js";

export const USER_DATA = "user-data";
export const META_DATA = "meta-data";

const q = (v: string) => `'${v}'`;

function render(ctx: Day0Context): FormatOutput {
  const cmds: string[] = [`set system host-name ${q(hostname(ctx))}`];
  for (const u of userSecrets(ctx))
    cmds.push(`set system login user ${u.name} authentication encrypted-password ${q(u.sha512)}`);
  for (const i of interfaces(ctx)) {
    const at = `set interfaces ethernet ${i.name}`;
    if (i.dhcp) cmds.push(`${at} address 'dhcp'`);
    else if (i.address !== undefined) cmds.push(`${at} address ${q(i.address)}`);
    if (i.description !== undefined) cmds.push(`${at} description ${q(i.description)}`);
    if (i.mtu !== undefined) cmds.push(`${at} mtu ${q(String(i.mtu))}`);
  }
  for (const ns of nameServers(ctx)) cmds.push(`set system name-server ${q(ns)}`);
  for (const r of routes(ctx))
    cmds.push(
      `set protocols static ${isIPv4(r.nextHop) ? "route" : "route6"} ${r.prefix} next-hop ${r.nextHop}`,
    );
  const release = parseVersion(ctx.vnf.version ?? versionFromImageName(ctx.vnf.image) ?? "1.4");
  const ntpPath = release && compareVersions(release, [1, 4]) < 0 ? "system ntp" : "service ntp";
  for (const s of ntpServers(ctx)) cmds.push(`set ${ntpPath} server ${q(s)}`);
  cmds.push("set service ssh");
  ctx.day0.extraConfig.forEach((l, i) => cmds.push(text(ctx, `extra-config[${i}]`, l.trim())));
  // JSON strings are valid YAML scalars and need no escaping rules of our own.
  const userData = [
    "#cloud-config",
    "vyos_config_commands:",
    ...cmds.map((c) => `  - ${JSON.stringify(c)}`),
  ].join("\n");
  const metaData = `instance-id: ${ctx.vnf.name}\nlocal-hostname: ${ctx.day0.hostname}\n`;
  return {
    files: [
      {
        path: USER_DATA,
        content: `${userData}\n`,
        description: "cloud-init user-data (vyos_config_commands)",
      },
      { path: META_DATA, content: metaData, description: "cloud-init meta-data" },
    ],
    dirs: [],
    beside: [],
    notes: [],
  };
}

/** A VyOS `set` command split into words, single quotes removed. */
export function vyosWords(cmd: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cmd))) words.push(m[1] ?? m[2]!);
  return words;
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const content = files[USER_DATA];
  const s = emptySummary();
  if (content === undefined) return s;
  if (!content.startsWith("#cloud-config\n")) throw parseError(USER_DATA, 1, "#cloud-config");
  const doc = parseYaml(content) as { vyos_config_commands?: unknown };
  const cmds = doc?.vyos_config_commands;
  if (!Array.isArray(cmds) || !cmds.every((c) => typeof c === "string"))
    throw parseError(USER_DATA, 2, "vyos_config_commands: a list of strings");
  for (const c of cmds as string[]) {
    const w = vyosWords(c);
    if (w[0] !== "set") throw parseError(USER_DATA, 0, `set commands, found "${c}"`);
    const p = w.slice(1);
    const is = (...prefix: string[]) => prefix.every((x, i) => p[i] === x);
    if (is("system", "host-name")) s.hostname = p[2]!;
    else if (is("system", "login", "user") && p[4] === "authentication") s.users.push(p[3]!);
    else if (is("interfaces", "ethernet")) {
      const cfg = (s.interfaces[p[2]!] ??= {});
      if (p[3] === "address") {
        if (p[4] === "dhcp") cfg.dhcp = true;
        else cfg.address = p[4]!;
      } else if (p[3] === "description") cfg.description = p[4]!;
      else if (p[3] === "mtu") cfg.mtu = Number(p[4]);
    } else if (is("system", "name-server")) s.nameServers.push(p[2]!);
    else if (is("protocols", "static")) s.routes.push({ prefix: p[3]!, nextHop: p[5]! });
    else if ((is("service", "ntp") || is("system", "ntp")) && p[2] === "server") s.ntp.push(p[3]!);
  }
  s.users.sort();
  return s;
}

export const vyosFormat: Day0Format = { render, parse };
