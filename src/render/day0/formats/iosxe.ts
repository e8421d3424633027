/**
 * IOS-XE day-0 (CSR 1000v, C8000v): autonomous `iosxe_config.txt` for CVAC, controller
 * `ciscosdwan_cloud_init.cfg` for SD-WAN (cisco-vrouter-facts.md section 2), rendered by ../iosxe.ts
 * and ../sdwan.ts. The Smart Licensing registration is an EXEC command: it goes beside the medium
 * (license-register.txt, 0600), never into the configuration.
 */
import { iosConfig } from "../iosxe.js";
import { renderSdwanCloudInit, SDWAN_FILE } from "../sdwan.js";
import { emptySummary, maskLength } from "./common.js";
import type { Day0Context, Day0Format, Day0Summary, FormatOutput, MediumFile } from "./common.js";
import { find, parseIndented, rest } from "./cli-tree.js";

export const AUTONOMOUS_FILE = "iosxe_config.txt";
export const LICENSE_REGISTER_FILE = "license-register.txt";

function registerFile(command: string, when: string): MediumFile {
  return {
    path: LICENSE_REGISTER_FILE,
    content: [
      "! Smart Licensing registration: an EXEC command (not configuration), run once the router",
      `! reaches Cisco (${when}): nfvhost exec <vnf> --commands-file <this file>`,
      command,
      "",
    ].join("\n"),
    description: "Smart Licensing registration command (holds the id token)",
  };
}

function render(ctx: Day0Context): FormatOutput {
  const notes: string[] = [];
  if (ctx.day0.mode === "controller") {
    const r = renderSdwanCloudInit(ctx);
    if (r.missing.length > 0) {
      notes.push(
        `${ctx.vnf.name}: no ${r.missing.join("/")} in the topology (day0.onboarding): after boot, activate by hand with ` +
          "`request platform software sdwan vedge_cloud activate chassis-number <UUID> token <OTP>`.",
      );
    }
    return {
      files: [
        {
          path: SDWAN_FILE,
          content: r.content,
          description: "SD-WAN bootstrap (cloud-config + IOS-XE boothook)",
        },
      ],
      dirs: [],
      beside:
        r.registerCommand !== undefined
          ? [registerFile(r.registerCommand, "show sdwan control connections: up")]
          : [],
      notes,
    };
  }
  const cfg = iosConfig(ctx, false);
  return {
    files: [
      {
        path: AUTONOMOUS_FILE,
        content: `${cfg.lines.join("\n")}\n`,
        description: "autonomous-mode day-0 configuration (CVAC)",
      },
    ],
    dirs: [],
    beside:
      cfg.registerCommand !== undefined
        ? [registerFile(cfg.registerCommand, "DNS and HTTPS to Cisco working")]
        : [],
    notes,
  };
}

/** The IOS-XE configuration inside a file: the whole file, or an SD-WAN bootstrap's boothook part. */
function configText(files: Readonly<Record<string, string>>): string | undefined {
  const plain = files[AUTONOMOUS_FILE];
  if (plain !== undefined) return plain;
  const mime = files[SDWAN_FILE];
  if (mime === undefined) return undefined;
  const at = mime.indexOf("#cloud-boothook\n");
  if (at < 0) throw new Error(`${SDWAN_FILE}: no #cloud-boothook part`);
  return mime.slice(at + "#cloud-boothook\n".length).split(/\n--=+/)[0];
}

function parse(files: Readonly<Record<string, string>>): Day0Summary {
  const s = emptySummary();
  const content = configText(files);
  if (content === undefined) return s;
  const tree = parseIndented(AUTONOMOUS_FILE, content);
  for (const n of find(tree, "hostname")) s.hostname = rest(n, "hostname");
  for (const n of find(tree, "username")) s.users.push(rest(n, "username").split(" ")[0]!);
  s.users.sort();
  for (const n of find(tree, "ip", "name-server")) s.nameServers.push(rest(n, "ip", "name-server"));
  for (const n of find(tree, "interface")) {
    const name = rest(n, "interface");
    if (!name.startsWith("GigabitEthernet")) continue;
    const cfg: Day0Summary["interfaces"][string] = {};
    for (const c of n.children) {
      if (c.line.startsWith("ip address dhcp")) cfg.dhcp = true;
      else if (c.line.startsWith("ip address ")) {
        const [ip, mask] = rest(c, "ip", "address").split(" ") as [string, string];
        cfg.address = `${ip}/${maskLength(mask)}`;
      } else if (c.line.startsWith("ipv6 address ")) cfg.address = rest(c, "ipv6", "address");
      else if (c.line.startsWith("description ")) cfg.description = rest(c, "description");
      else if (c.line.startsWith("ip mtu ")) cfg.mtu = Number(rest(c, "ip", "mtu"));
    }
    s.interfaces[name] = cfg;
  }
  for (const n of find(tree, "ip", "route")) {
    const [net, mask, hop] = rest(n, "ip", "route").split(" ") as [string, string, string];
    s.routes.push({ prefix: `${net}/${maskLength(mask)}`, nextHop: hop });
  }
  for (const n of find(tree, "ipv6", "route")) {
    const [prefix, hop] = rest(n, "ipv6", "route").split(" ") as [string, string];
    s.routes.push({ prefix, nextHop: hop });
  }
  for (const n of find(tree, "ntp", "server")) s.ntp.push(rest(n, "ntp", "server").split(" ")[0]!);
  return s;
}

export const iosxeFormat: Day0Format = { render, parse };
