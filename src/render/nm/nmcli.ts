/**
 * Renders connections as the seed's nmcli commands: `nmcli connection add con-name X type T
 * autoconnect yes ifname X` creates the profile, `nmcli connection modify X ...` sets the rest, one
 * concern per line as the guide does. The argument arrays are the contract; the script is their
 * quoted display.
 */
import { displayCommand } from "../../util/exec.js";
import { vfSpec } from "./keyfile.js";
import type { NmConnection, NmIpConfig } from "./model.js";

/** Arguments after `nmcli connection add`. */
export function addArgs(conn: NmConnection): string[] {
  return [
    "con-name",
    conn.id,
    "type",
    conn.type,
    "autoconnect",
    conn.autoconnect ? "yes" : "no",
    "ifname",
    conn.interfaceName,
    "connection.uuid",
    conn.uuid,
  ];
}

function ipProps(family: "ipv4" | "ipv6", ip: NmIpConfig): string[] {
  const props = [`${family}.method`, ip.method];
  if (ip.addresses.length > 0) props.push(`${family}.addresses`, ip.addresses.join(","));
  if (ip.gateway !== undefined) props.push(`${family}.gateway`, ip.gateway);
  if (ip.dns.length > 0) props.push(`${family}.dns`, ip.dns.join(","));
  return props;
}

/** Property groups for `nmcli connection modify <id> ...`, one group per command line. */
export function modifyGroups(conn: NmConnection): string[][] {
  const groups: string[][] = [];
  const link: string[] = [];
  if (conn.ipv4) link.push(...ipProps("ipv4", conn.ipv4));
  if (conn.ipv6 && conn.ipv6.method !== "auto") link.push(...ipProps("ipv6", conn.ipv6));
  else if (conn.ipv6 && conn.ipv6.dns.length > 0) link.push(...ipProps("ipv6", conn.ipv6));
  if (conn.mtu !== undefined) link.unshift("ethernet.mtu", String(conn.mtu));
  if (conn.bridge) link.push("bridge.stp", conn.bridge.stp ? "yes" : "no");
  if (conn.master !== undefined)
    link.push("connection.master", conn.master, "connection.slave-type", "bridge");
  if (conn.clearMacBinding) link.push("ethernet.mac-address", "");
  if (link.length > 0) groups.push(link);
  if (conn.sriov) {
    groups.push(["sriov.total-vfs", String(conn.sriov.totalVfs)]);
    if (conn.sriov.vfs.length > 0) {
      groups.push(["sriov.vfs", conn.sriov.vfs.map((vf) => `${vf.index} ${vfSpec(vf)}`).join(", ")]);
    }
  }
  return groups;
}

/** Every property in one argument list: what `nmcli --offline connection add` takes in the tests. */
export function allArgs(conn: NmConnection): string[] {
  return [...addArgs(conn), ...modifyGroups(conn).flat()];
}

/** Shell lines for one connection: create it when missing, then set every property we own. */
export function nmcliLines(conn: NmConnection): string[] {
  const lines = [
    `# ${conn.id}: ${conn.summary}`,
    `nmcli connection show ${displayCommand(conn.id, [])} >/dev/null 2>&1 ||`,
    `  ${displayCommand("nmcli", ["connection", "add", ...addArgs(conn)])}`,
  ];
  for (const group of modifyGroups(conn)) {
    lines.push(displayCommand("nmcli", ["connection", "modify", conn.id, ...group]));
  }
  return lines;
}

export function upLine(conn: NmConnection): string {
  return displayCommand("nmcli", ["connection", "up", conn.id]);
}
