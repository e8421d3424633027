/**
 * Cisco IOS XRv 9000 day-0: `iosxr_config.txt` (IOS XR CLI) on an ISO labelled config-1, applied
 * by CVAC at first boot (IOS XRv 9000 Router Installation and Configuration Guide, "CVAC -
 * bootstrap configuration support"). Users get `secret 10` (SHA-512 crypt, IOS XR 7.0 on).
 */
import { isIPv4 } from "node:net";
import {
  addressAndMask,
  emptySummary,
  fail,
  hostname,
  interfaces,
  maskLength,
  nameServers,
  ntpServers,
  routes,
  text,
  userSecrets,
} from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
import { find, parseIndented, rest } from "./cli-tree.js";

export const IOSXR_FILE = "iosxr_config.txt";

function render(ctx: Day0Context): FormatOutput {
  const lines = [`hostname ${hostname(ctx)}`];
  for (const u of userSecrets(ctx)) {
    lines.push(`username ${u.name}`);
    if (u.privilege >= 15) lines.push(" group root-lr", " group cisco-support");
    else lines.push(" group operator");
    lines.push(` secret 10 ${u.sha512}`, "!");
  }
  for (const ns of nameServers(ctx)) lines.push(`domain name-server ${ns}`);
  for (const i of interfaces(ctx)) {
    if (i.index === 1 || i.index === 2)
      fail(
        ctx,
        `interfaces.${i.name}`,
        i.name,
        "no configuration on the 2nd and 3rd vNIC: XRv 9000 reserves them (control and dev plane)",
      );
    lines.push(`interface ${i.name}`);
    if (i.description !== undefined) lines.push(` description ${i.description}`);
    if (i.dhcp) lines.push(" ipv4 address dhcp");
    else if (i.address !== undefined) {
      const ip = i.address.split("/")[0]!;
      lines.push(
        isIPv4(ip) ? ` ipv4 address ${addressAndMask(i.address).join(" ")}` : ` ipv6 address ${i.address}`,
      );
    }
    if (i.mtu !== undefined) lines.push(` mtu ${i.mtu}`);
    lines.push(" no shutdown", "!");
  }
  const rs = routes(ctx);
  if (rs.length > 0) {
    lines.push("router static");
    for (const af of ["ipv4", "ipv6"] as const) {
      const mine = rs.filter((r) => isIPv4(r.nextHop) === (af === "ipv4"));
      if (mine.length === 0) continue;
      lines.push(` address-family ${af} unicast`);
      for (const r of mine) lines.push(`  ${r.prefix} ${r.nextHop}`);
      lines.push(" !");
    }
    lines.push("!");
  }
  const ntp = ntpServers(ctx);
  if (ntp.length > 0) lines.push("ntp", ...ntp.map((s) => ` server ${s}`), "!");
  lines.push("ssh server v2");
  ctx.day0.extraConfig.forEach((l, i) => lines.push(text(ctx, `extra-config[${i}]`, l)));
  lines.push("end");
  return {
    files: [
      {
        path: IOSXR_FILE,
        content: `${lines.join("\n")}\n`,
        description: "IOS XR day-0 configuration (CVAC)",
      },
    ],
    dirs: [],
    beside: [],
    notes: [],
  };
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const content = files[IOSXR_FILE];
  const s = emptySummary();
  if (content === undefined) return s;
  const tree = parseIndented(IOSXR_FILE, content);
  for (const n of find(tree, "hostname")) s.hostname = rest(n, "hostname");
  for (const n of find(tree, "username")) {
    if (find(n.children, "secret", "10").length !== 1)
      throw new Error(`${IOSXR_FILE}:${n.at}: user without a type 10 secret`);
    s.users.push(rest(n, "username"));
  }
  s.users.sort();
  for (const n of find(tree, "domain", "name-server")) s.nameServers.push(rest(n, "domain", "name-server"));
  for (const n of find(tree, "interface")) {
    const cfg: Day0Summary["interfaces"][string] = {};
    for (const c of n.children) {
      if (c.line === "ipv4 address dhcp") cfg.dhcp = true;
      else if (c.line.startsWith("ipv4 address ")) {
        const [ip, mask] = rest(c, "ipv4", "address").split(" ") as [string, string];
        cfg.address = `${ip}/${maskLength(mask)}`;
      } else if (c.line.startsWith("ipv6 address ")) cfg.address = rest(c, "ipv6", "address");
      else if (c.line.startsWith("description ")) cfg.description = rest(c, "description");
      else if (c.line.startsWith("mtu ")) cfg.mtu = Number(rest(c, "mtu"));
    }
    s.interfaces[rest(n, "interface")] = cfg;
  }
  for (const st of find(tree, "router", "static"))
    for (const af of find(st.children, "address-family"))
      for (const r of af.children) {
        const [prefix, nextHop] = r.line.split(" ") as [string, string];
        s.routes.push({ prefix, nextHop });
      }
  for (const n of find(tree, "ntp"))
    for (const c of find(n.children, "server")) s.ntp.push(rest(c, "server"));
  return s;
}

export const iosxrFormat: Day0Format = { render, parse };
