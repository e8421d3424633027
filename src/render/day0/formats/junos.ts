/**
 * Juniper vSRX 3.0 day-0: `juniper.conf` (Junos curly-brace configuration) on a config drive ISO
 * (vSRX Virtual Firewall Deployment Guide for KVM, "Provision vSRX with an ISO bootstrap image").
 * Junos refuses to commit without root authentication, so users must include root; the others get
 * class super-user (privilege 15) or read-only. Passwords are SHA-512 crypt ($6$).
 */
import { isIPv4 } from "node:net";
import {
  emptySummary,
  fail,
  hostname,
  interfaces,
  nameServers,
  ntpServers,
  routes,
  userSecrets,
} from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
import { find, parseBraces, rest, unquote, type CliNode } from "./cli-tree.js";

export const JUNOS_FILE = "juniper.conf";

function render(ctx: Day0Context): FormatOutput {
  const users = userSecrets(ctx);
  const root = users.find((u) => u.name === "root");
  if (!root)
    fail(
      ctx,
      "users",
      Object.keys(ctx.day0.users),
      "a user named root: Junos commits no configuration without root-authentication",
      "add users.root with a password-env",
    );
  const out: string[] = [];
  out.push(
    "system {",
    `    host-name ${hostname(ctx)};`,
    "    root-authentication {",
    `        encrypted-password "${root.sha512}";`,
    "    }",
  );
  const others = users.filter((u) => u.name !== "root");
  if (others.length > 0) {
    out.push("    login {");
    for (const u of others) {
      out.push(
        `        user ${u.name} {`,
        `            class ${u.privilege >= 15 ? "super-user" : "read-only"};`,
      );
      out.push(
        "            authentication {",
        `                encrypted-password "${u.sha512}";`,
        "            }",
        "        }",
      );
    }
    out.push("    }");
  }
  const dns = nameServers(ctx);
  if (dns.length > 0) out.push("    name-server {", ...dns.map((d) => `        ${d};`), "    }");
  out.push("    services {", "        ssh;", "    }");
  const ntp = ntpServers(ctx);
  if (ntp.length > 0) out.push("    ntp {", ...ntp.map((s) => `        server ${s};`), "    }");
  out.push("}");
  const ifs = interfaces(ctx);
  if (ifs.length > 0) {
    out.push("interfaces {");
    for (const i of ifs) {
      out.push(`    ${i.name} {`);
      if (i.description !== undefined) out.push(`        description "${i.description}";`);
      if (i.mtu !== undefined) out.push(`        mtu ${i.mtu};`);
      out.push("        unit 0 {");
      const family = i.address !== undefined && !isIPv4(i.address.split("/")[0]!) ? "inet6" : "inet";
      if (i.dhcp) out.push("            family inet {", "                dhcp;", "            }");
      else if (i.address !== undefined)
        out.push(`            family ${family} {`, `                address ${i.address};`, "            }");
      out.push("        }", "    }");
    }
    out.push("}");
  }
  const rs = routes(ctx);
  if (rs.length > 0) {
    out.push("routing-options {", "    static {");
    for (const r of rs) out.push(`        route ${r.prefix} next-hop ${r.nextHop};`);
    out.push("    }", "}");
  }
  return {
    files: [{ path: JUNOS_FILE, content: `${out.join("\n")}\n`, description: "Junos day-0 configuration" }],
    dirs: [],
    beside: [],
    notes: [],
  };
}

function block(nodes: readonly CliNode[], name: string): CliNode[] {
  return find(nodes, name).flatMap((n) => n.children);
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const content = files[JUNOS_FILE];
  const s = emptySummary();
  if (content === undefined) return s;
  const tree = parseBraces(JUNOS_FILE, content);
  const system = block(tree, "system");
  for (const n of find(system, "host-name")) s.hostname = rest(n, "host-name");
  if (find(block(system, "root-authentication"), "encrypted-password").length === 1) s.users.push("root");
  for (const u of find(block(system, "login"), "user")) s.users.push(rest(u, "user"));
  s.users.sort();
  for (const n of block(system, "name-server")) s.nameServers.push(n.line);
  for (const n of find(block(system, "ntp"), "server")) s.ntp.push(rest(n, "server"));
  for (const i of block(tree, "interfaces")) {
    const cfg: Day0Summary["interfaces"][string] = {};
    for (const c of i.children) {
      if (c.line.startsWith("description ")) cfg.description = unquote(rest(c, "description"));
      else if (c.line.startsWith("mtu ")) cfg.mtu = Number(rest(c, "mtu"));
    }
    for (const unit of find(i.children, "unit", "0"))
      for (const fam of find(unit.children, "family"))
        for (const c of fam.children) {
          if (c.line === "dhcp") cfg.dhcp = true;
          else if (c.line.startsWith("address ")) cfg.address = rest(c, "address");
        }
    s.interfaces[i.line] = cfg;
  }
  for (const r of find(block(block(tree, "routing-options"), "static"), "route")) {
    const m = /^route (\S+) next-hop (\S+)$/.exec(r.line);
    if (m) s.routes.push({ prefix: m[1]!, nextHop: m[2]! });
  }
  return s;
}

export const junosFormat: Day0Format = { render, parse };
