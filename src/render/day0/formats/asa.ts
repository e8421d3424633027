/**
 * Cisco ASAv day-0: the file `day0-config` (ASA CLI) on an ISO attached as a cdrom; the ASAv reads
 * it at first boot (ASAv Getting Started Guide, "Deploy the ASAv Using KVM", day-0 configuration
 * file). ASA wants a `nameif` before an address: Management0/0 is `management`, data port
 * GigabitEthernet0/N is `dataN`. Static routes name the interface whose subnet holds the next hop.
 * No users: the ASA's day-0 takes passwords only in clear text, which nfvhost never writes.
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
} from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
import { find, parseIndented, rest } from "./cli-tree.js";
import { onSubnet } from "./net.js";

export const ASA_FILE = "day0-config";

function nameif(index: number): string {
  return index === 0 ? "management" : `data${index - 1}`;
}

function render(ctx: Day0Context): FormatOutput {
  const lines = [`hostname ${hostname(ctx)}`];
  const ifs = interfaces(ctx);
  for (const i of ifs) {
    lines.push(`interface ${i.name}`);
    if (i.description !== undefined) lines.push(` description ${i.description}`);
    lines.push(` nameif ${nameif(i.index)}`, ` security-level ${i.index === 0 ? 100 : 0}`);
    if (i.dhcp) lines.push(" ip address dhcp setroute");
    else if (i.address !== undefined) {
      if (!isIPv4(i.address.split("/")[0]!))
        fail(ctx, `interfaces.${i.name}.address`, i.address, "an IPv4 address (ASA day-0 here)");
      lines.push(` ip address ${addressAndMask(i.address).join(" ")}`);
    }
    lines.push(" no shutdown");
  }
  // `mtu` is a global ASA command (mtu <nameif> <bytes>), not an interface sub-command.
  const body = lines;
  for (const i of ifs) if (i.mtu !== undefined) body.push(`mtu ${nameif(i.index)} ${i.mtu}`);
  routes(ctx).forEach((r, n) => {
    const [net, len] = r.prefix.split("/") as [string, string];
    const on = onSubnet(ifs, r.nextHop);
    if (!on || !isIPv4(net))
      fail(
        ctx,
        `routes[${n}]`,
        `${r.prefix} via ${r.nextHop}`,
        "an IPv4 next hop on the subnet of an interface with a static address",
      );
    body.push(`route ${nameif(on.index)} ${addressAndMask(`${net}/${len}`).join(" ")} ${r.nextHop} 1`);
  });
  const dns = nameServers(ctx);
  if (dns.length > 0) {
    body.push("dns domain-lookup management", "dns server-group DefaultDNS");
    for (const d of dns) body.push(` name-server ${d}`);
  }
  for (const s of ntpServers(ctx)) body.push(`ntp server ${s}`);
  ctx.day0.extraConfig.forEach((l, i) => body.push(text(ctx, `extra-config[${i}]`, l)));
  return {
    files: [{ path: ASA_FILE, content: `${body.join("\n")}\n`, description: "ASAv day-0 configuration" }],
    dirs: [],
    beside: [],
    notes: [],
  };
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const content = files[ASA_FILE];
  const s = emptySummary();
  if (content === undefined) return s;
  const tree = parseIndented(ASA_FILE, content);
  const names = new Map<string, string>();
  for (const n of find(tree, "hostname")) s.hostname = rest(n, "hostname");
  for (const n of find(tree, "interface")) {
    const name = rest(n, "interface");
    const cfg: Day0Summary["interfaces"][string] = {};
    for (const c of n.children) {
      if (c.line === "ip address dhcp setroute") cfg.dhcp = true;
      else if (c.line.startsWith("ip address ")) {
        const [ip, mask] = rest(c, "ip", "address").split(" ") as [string, string];
        cfg.address = `${ip}/${maskLength(mask)}`;
      } else if (c.line.startsWith("description ")) cfg.description = rest(c, "description");
      else if (c.line.startsWith("nameif ")) names.set(rest(c, "nameif"), name);
    }
    s.interfaces[name] = cfg;
  }
  for (const n of find(tree, "mtu")) {
    const [nif, bytes] = rest(n, "mtu").split(" ") as [string, string];
    const name = names.get(nif);
    if (name) s.interfaces[name]!.mtu = Number(bytes);
  }
  for (const n of find(tree, "route")) {
    const [, net, mask, hop] = rest(n, "route").split(" ") as [string, string, string, string];
    s.routes.push({ prefix: `${net}/${maskLength(mask)}`, nextHop: hop });
  }
  for (const g of find(tree, "dns", "server-group"))
    for (const c of find(g.children, "name-server")) s.nameServers.push(rest(c, "name-server"));
  for (const n of find(tree, "ntp", "server")) s.ntp.push(rest(n, "ntp", "server"));
  return s;
}

export const asaFormat: Day0Format = { render, parse };
