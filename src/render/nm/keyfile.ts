/**
 * Renders a connection as the keyfile NetworkManager itself writes (nm_keyfile_write in 1.42):
 * [connection] starts with id, uuid, type; every other key is in property-name order; list
 * properties expand to numbered keys (address1, vf.0); the sections come in NetworkManager's order.
 */
import type { NmConnection, NmIpConfig, NmSriovVf } from "./model.js";

type Section = [name: string, entries: [string, string][]];

export const KEYFILE_DIR = "/etc/NetworkManager/system-connections";

/** The file name NetworkManager gives a new profile: the id plus ".nmconnection". */
export function keyfileName(conn: NmConnection): string {
  return `${conn.id}.nmconnection`;
}

/** `mac=... spoof-check=... trust=... vlans=...`: attributes in name order, as nmcli accepts them too. */
export function vfSpec(vf: NmSriovVf): string {
  const attrs = [`mac=${vf.mac}`, `spoof-check=${vf.spoofCheck}`, `trust=${vf.trust}`];
  if (vf.vlans.length > 0) attrs.push(`vlans=${vf.vlans.join(";")}`);
  return attrs.join(" ");
}

function ipSection(name: "ipv4" | "ipv6", ip: NmIpConfig): Section {
  const entries: [string, string][] = [];
  if (name === "ipv6") entries.push(["addr-gen-mode", "default"]);
  ip.addresses.forEach((a, i) => {
    entries.push([`address${i + 1}`, i === 0 && ip.gateway !== undefined ? `${a},${ip.gateway}` : a]);
  });
  if (ip.dns.length > 0) entries.push(["dns", ip.dns.map((d) => `${d};`).join("")]);
  if (ip.gateway !== undefined && ip.addresses.length === 0) entries.push(["gateway", ip.gateway]);
  entries.push(["method", ip.method]);
  return [name, entries];
}

/**
 * A value as NetworkManager's keyfile writer escapes it (GKeyFile syntax): a backslash doubled, a
 * leading space as \s, line breaks as \n and \r; otherwise "a\b" would be read back as "ab".
 */
export function keyfileValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/^ /, "\\s");
}

export function renderKeyfile(conn: NmConnection): string {
  const connection: [string, string][] = [
    ["id", conn.id],
    ["uuid", conn.uuid],
    ["type", conn.type],
  ];
  if (!conn.autoconnect) connection.push(["autoconnect", "false"]);
  connection.push(["interface-name", conn.interfaceName]);
  if (conn.master !== undefined) connection.push(["master", conn.master], ["slave-type", "bridge"]);

  const sections: Section[] = [["connection", connection]];
  sections.push(["ethernet", conn.mtu !== undefined ? [["mtu", String(conn.mtu)]] : []]);
  if (conn.sriov) {
    const entries: [string, string][] = [["total-vfs", String(conn.sriov.totalVfs)]];
    for (const vf of conn.sriov.vfs) entries.push([`vf.${vf.index}`, vfSpec(vf)]);
    sections.push(["sriov", entries]);
  }
  if (conn.type === "bridge") sections.push(["bridge", conn.bridge?.stp === false ? [["stp", "false"]] : []]);
  if (conn.master !== undefined) sections.push(["bridge-port", []]);
  if (conn.ipv4) sections.push(ipSection("ipv4", conn.ipv4));
  if (conn.ipv6) sections.push(ipSection("ipv6", conn.ipv6));
  if (conn.ipv4 || conn.ipv6) sections.push(["proxy", []]);

  return sections
    .map(
      ([name, entries]) =>
        [`[${name}]`, ...entries.map(([k, v]) => `${k}=${keyfileValue(v)}`)].join("\n") + "\n",
    )
    .join("\n");
}
