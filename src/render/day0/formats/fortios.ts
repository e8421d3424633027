/**
 * Fortinet FortiGate-VM day-0: an OpenStack config drive (ISO labelled config-2) with
 * openstack/latest/user_data (FortiOS CLI) and, with a licence, openstack/content/0000 named in
 * openstack/latest/meta_data.json (FortiGate-VM on KVM Administration Guide, "Cloud-init using
 * config drive"). No admin passwords: FortiOS takes them in clear text only, which nfvhost never
 * writes; set one at the first console login.
 */
import { isIPv4 } from "node:net";
import { readSecret } from "../../secrets/env.js";
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
} from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
import { parseError } from "./common.js";
import { onSubnet } from "./net.js";

export const USER_DATA = "openstack/latest/user_data";
export const META_DATA = "openstack/latest/meta_data.json";
export const LICENSE = "openstack/content/0000";

function render(ctx: Day0Context): FormatOutput {
  const out = ["config system global", `    set hostname "${hostname(ctx)}"`, "end"];
  const ifs = interfaces(ctx);
  if (ifs.length > 0) {
    out.push("config system interface");
    for (const i of ifs) {
      out.push(`    edit "${i.name}"`);
      if (i.dhcp) out.push("        set mode dhcp");
      else if (i.address !== undefined) {
        if (!isIPv4(i.address.split("/")[0]!))
          fail(ctx, `interfaces.${i.name}.address`, i.address, "an IPv4 address");
        out.push("        set mode static", `        set ip ${addressAndMask(i.address).join(" ")}`);
      }
      out.push(`        set allowaccess ${i.index === 0 ? "ping https ssh" : "ping"}`);
      if (i.description !== undefined) out.push(`        set description "${i.description}"`);
      if (i.mtu !== undefined) out.push("        set mtu-override enable", `        set mtu ${i.mtu}`);
      out.push("    next");
    }
    out.push("end");
  }
  const dns = nameServers(ctx);
  if (dns.length > 2) fail(ctx, "name-servers", dns, "at most 2 (primary, secondary)");
  if (dns.length > 0)
    out.push(
      "config system dns",
      `    set primary ${dns[0]}`,
      ...(dns[1] ? [`    set secondary ${dns[1]}`] : []),
      "end",
    );
  const rs = routes(ctx);
  if (rs.length > 0) {
    out.push("config router static");
    rs.forEach((r, n) => {
      const on = onSubnet(ifs, r.nextHop);
      if (!on)
        fail(
          ctx,
          `routes[${n}]`,
          `${r.prefix} via ${r.nextHop}`,
          "an IPv4 next hop on the subnet of a port with a static address",
        );
      out.push(
        `    edit ${n + 1}`,
        `        set dst ${addressAndMask(r.prefix).join(" ")}`,
        `        set gateway ${r.nextHop}`,
        `        set device "${on.name}"`,
        "    next",
      );
    });
    out.push("end");
  }
  const ntp = ntpServers(ctx);
  if (ntp.length > 0) {
    out.push("config system ntp", "    set ntpsync enable", "    set type custom", "    config ntpserver");
    ntp.forEach((s, n) => out.push(`        edit ${n + 1}`, `            set server "${s}"`, "        next"));
    out.push("    end", "end");
  }
  ctx.day0.extraConfig.forEach((l, i) => out.push(text(ctx, `extra-config[${i}]`, l)));
  const files = [
    { path: USER_DATA, content: `${out.join("\n")}\n`, description: "FortiOS day-0 configuration" },
  ];
  const meta: Record<string, unknown> = { uuid: ctx.vnf.name, hostname: ctx.day0.hostname };
  if (ctx.day0.license?.tokenEnv !== undefined) {
    const lic = readSecret(
      ctx.env,
      ctx.day0.license.tokenEnv,
      `FortiGate-VM licence file for ${ctx.vnf.name}`,
    );
    if (!/-----BEGIN FGT VM LICENSE-----[\s\S]+-----END FGT VM LICENSE-----/.test(lic))
      throw parseError(
        `environment variable ${ctx.day0.license.tokenEnv}`,
        0,
        "a FortiGate-VM licence file (-----BEGIN FGT VM LICENSE----- ...)",
      );
    files.push({
      path: LICENSE,
      content: lic.endsWith("\n") ? lic : `${lic}\n`,
      description: "FortiGate-VM licence",
    });
    meta.files = [{ path: "/etc/license", content_path: "/content/0000" }];
  }
  files.push({
    path: META_DATA,
    content: `${JSON.stringify(meta, null, 2)}\n`,
    description: "config drive metadata",
  });
  return { files, dirs: [], beside: [], notes: [] };
}

interface Block {
  name: string;
  sets: Map<string, string>;
  edits: Map<string, Block>;
  blocks: Map<string, Block>;
}

/** FortiOS CLI: config X / edit "n" / set k v / next / end. */
export function parseFortiOs(file: string, content: string): Block {
  const root: Block = { name: "", sets: new Map(), edits: new Map(), blocks: new Map() };
  const stack: Block[] = [root];
  content.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const top = stack[stack.length - 1]!;
    let m: RegExpExecArray | null;
    if ((m = /^config (.+)$/.exec(line))) {
      const b: Block = { name: m[1]!, sets: new Map(), edits: new Map(), blocks: new Map() };
      top.blocks.set(m[1]!, b);
      stack.push(b);
    } else if ((m = /^edit (.+)$/.exec(line))) {
      const b: Block = {
        name: m[1]!.replace(/^"|"$/g, ""),
        sets: new Map(),
        edits: new Map(),
        blocks: new Map(),
      };
      top.edits.set(b.name, b);
      stack.push(b);
    } else if ((m = /^set (\S+) ?(.*)$/.exec(line))) top.sets.set(m[1]!, m[2]!.replace(/^"|"$/g, ""));
    else if (line === "next" || line === "end") {
      if (stack.length === 1) throw parseError(file, i + 1, `a config or edit before '${line}'`);
      stack.pop();
    } else throw parseError(file, i + 1, "config, edit, set, next or end");
  });
  if (stack.length !== 1)
    throw parseError(file, content.split("\n").length, `${stack.length - 1} more next/end`);
  return root;
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const content = files[USER_DATA];
  const s = emptySummary();
  if (content === undefined) return s;
  const root = parseFortiOs(USER_DATA, content);
  s.hostname = root.blocks.get("system global")?.sets.get("hostname") ?? null;
  for (const [name, e] of root.blocks.get("system interface")?.edits ?? []) {
    const cfg: Day0Summary["interfaces"][string] = {};
    if (e.sets.get("mode") === "dhcp") cfg.dhcp = true;
    const ip = e.sets.get("ip");
    if (ip) {
      const [a, mask] = ip.split(" ") as [string, string];
      cfg.address = `${a}/${maskLength(mask)}`;
    }
    if (e.sets.has("description")) cfg.description = e.sets.get("description")!;
    if (e.sets.has("mtu")) cfg.mtu = Number(e.sets.get("mtu"));
    s.interfaces[name] = cfg;
  }
  const dns = root.blocks.get("system dns");
  for (const k of ["primary", "secondary"]) if (dns?.sets.get(k)) s.nameServers.push(dns.sets.get(k)!);
  for (const e of root.blocks.get("router static")?.edits.values() ?? []) {
    const [net, mask] = (e.sets.get("dst") ?? "").split(" ") as [string, string];
    s.routes.push({ prefix: `${net}/${maskLength(mask)}`, nextHop: e.sets.get("gateway") ?? "" });
  }
  for (const e of root.blocks.get("system ntp")?.blocks.get("ntpserver")?.edits.values() ?? [])
    s.ntp.push(e.sets.get("server") ?? "");
  return s;
}

export const fortiosFormat: Day0Format = { render, parse };
