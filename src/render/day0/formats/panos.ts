/**
 * Palo Alto Networks VM-Series bootstrap: an ISO with config/init-cfg.txt (key=value: management
 * port, hostname, DNS, Panorama), license/authcodes, and the content/ and software/ folders
 * (VM-Series Deployment Guide, "Bootstrap the VM-Series Firewall" / "Prepare the Bootstrap
 * Package"). init-cfg.txt configures the management port only: data ports, users and other routes
 * need a bootstrap.xml or Panorama, and the loader says so.
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
  routes,
} from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
import { parseError } from "./common.js";

export const INIT_CFG = "config/init-cfg.txt";
export const AUTHCODES = "license/authcodes";

function render(ctx: Day0Context): FormatOutput {
  const ifs = interfaces(ctx);
  const mgmt = ifs.find((i) => i.index === 0);
  for (const i of ifs)
    if (i.index !== 0)
      fail(
        ctx,
        `interfaces.${i.name}`,
        i.name,
        "only mgmt in a VM-Series init-cfg.txt (data ports are set by bootstrap.xml or Panorama)",
      );
  const kv: [string, string][] = [];
  const rs = routes(ctx);
  rs.forEach((r, n) => {
    if (r.prefix !== "0.0.0.0/0")
      fail(
        ctx,
        `routes[${n}]`,
        r.prefix,
        "only the default route 0.0.0.0/0 (init-cfg.txt's default-gateway)",
      );
  });
  if (mgmt?.address !== undefined) {
    if (!isIPv4(mgmt.address.split("/")[0]!))
      fail(ctx, "interfaces.mgmt.address", mgmt.address, "an IPv4 address");
    const [ip, mask] = addressAndMask(mgmt.address);
    kv.push(
      ["type", "static"],
      ["ip-address", ip],
      ["default-gateway", rs[0]?.nextHop ?? ""],
      ["netmask", mask],
    );
  } else {
    if (rs.length > 0)
      fail(ctx, "routes", rs[0]!.prefix, "no route with a DHCP management port (DHCP gives the gateway)");
    kv.push(["type", "dhcp-client"]);
  }
  kv.push(["hostname", hostname(ctx)]);
  const dns = nameServers(ctx);
  if (dns.length > 2) fail(ctx, "name-servers", dns, "at most 2 (dns-primary, dns-secondary)");
  if (dns[0]) kv.push(["dns-primary", dns[0]]);
  if (dns[1]) kv.push(["dns-secondary", dns[1]]);
  if (mgmt?.address === undefined)
    kv.push(
      ["dhcp-send-hostname", "yes"],
      ["dhcp-send-client-id", "yes"],
      ["dhcp-accept-server-hostname", "yes"],
      ["dhcp-accept-server-domain", "yes"],
    );
  const files = [
    {
      path: INIT_CFG,
      content: kv.map(([k, v]) => `${k}=${v}\n`).join(""),
      description: "VM-Series init-cfg.txt",
    },
  ];
  const dirs = ["content", "software"];
  if (ctx.day0.license?.tokenEnv !== undefined) {
    const code = readSecret(ctx.env, ctx.day0.license.tokenEnv, `VM-Series auth code for ${ctx.vnf.name}`);
    if (!/^[A-Za-z0-9-]+$/.test(code))
      throw parseError(
        `environment variable ${ctx.day0.license.tokenEnv}`,
        0,
        "an auth code: letters, digits and '-'",
      );
    files.push({ path: AUTHCODES, content: `${code}\n`, description: "VM-Series licence auth code" });
  } else dirs.push("license");
  return { files, dirs, beside: [], notes: [] };
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const content = files[INIT_CFG];
  const s = emptySummary();
  if (content === undefined) return s;
  const kv = new Map<string, string>();
  content.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const m = /^([a-z0-9-]+)=(.*)$/.exec(line);
    if (!m) throw parseError(INIT_CFG, i + 1, "key=value");
    kv.set(m[1]!, m[2]!);
  });
  s.hostname = kv.get("hostname") ?? null;
  if (kv.get("type") === "static") {
    s.interfaces.mgmt = { address: `${kv.get("ip-address")}/${maskLength(kv.get("netmask") ?? "")}` };
    const gw = kv.get("default-gateway");
    if (gw) s.routes.push({ prefix: "0.0.0.0/0", nextHop: gw });
  } else if (kv.get("type") === "dhcp-client") s.interfaces.mgmt = { dhcp: true };
  for (const k of ["dns-primary", "dns-secondary"]) if (kv.get(k)) s.nameServers.push(kv.get(k)!);
  return s;
}

export const panosFormat: Day0Format = { render, parse };
