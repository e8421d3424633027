/** IPv4 subnet arithmetic for formats whose routes name an outgoing interface. */
import { isIPv4 } from "node:net";
import type { InterfaceConfig } from "./common.js";

function toInt(ip: string): number {
  return ip.split(".").reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
}

/** The interface with a static IPv4 address whose subnet holds ip. */
export function onSubnet(ifs: readonly InterfaceConfig[], ip: string): InterfaceConfig | null {
  if (!isIPv4(ip)) return null;
  for (const i of ifs) {
    if (i.address === undefined) continue;
    const [addr, len] = i.address.split("/") as [string, string];
    if (!isIPv4(addr)) continue;
    const bits = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
    if ((toInt(addr) & bits) >>> 0 === (toInt(ip) & bits) >>> 0) return i;
  }
  return null;
}
