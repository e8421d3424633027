/**
 * Value formats of the topology file that are not names: sizes, IP addresses and prefixes, IOS
 * host names, time zones, sysctl keys. Each validate* returns null or the expectation it missed, so
 * the loader can use one function both as a JSON-schema format and for its own messages.
 */
import { isIPv4, isIPv6 } from "node:net";

const KIB_PER: Record<string, number> = { k: 1, m: 1024, g: 1024 * 1024, t: 1024 * 1024 * 1024 };
/** 64 TiB (x86_64's 46-bit physical address space): larger is a typo, and stays an exact integer. */
const MAX_SIZE_KIB = 64 * 1024 ** 3;

const SIZE_EXPECTED =
  'a size such as "8GiB", "8192MiB", "8G" or "8 GiB" (binary units K/M/G/T, KiB/MiB/GiB/TiB)';

/**
 * Parses a size to KiB. Units are binary whatever their spelling (8G = 8GiB, as libvirt and QEMU
 * read them); a bare number is MiB (as virt-install --memory). "GB"/"MB" are refused: half the
 * world reads them as powers of ten, and a memory size must not depend on who reads it.
 */
export function parseSizeKiB(value: string | number): { kib: number } | { error: string } {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 1) return { error: `${SIZE_EXPECTED}; a bare number is MiB` };
    if (value * 1024 > MAX_SIZE_KIB)
      return { error: `${SIZE_EXPECTED}, at most 64 TiB; a bare number is MiB` };
    return { kib: value * 1024 };
  }
  if (typeof value !== "string") return { error: SIZE_EXPECTED };
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]*)$/.exec(value.trim());
  if (!m) return { error: SIZE_EXPECTED };
  const amount = Number(m[1]);
  const unit = m[2]!;
  if (unit === "") return parseSizeKiB(amount);
  const u = /^([kKmMgGtT])(i?[bB])?$/.exec(unit);
  if (!u) return { error: SIZE_EXPECTED };
  if (u[2] !== undefined && !/^i/.test(u[2])) {
    const p = u[1]!.toUpperCase();
    return { error: `${SIZE_EXPECTED}; "${p}B" is ambiguous (10^n or 2^n), write ${p}iB or ${p}` };
  }
  const kib = amount * KIB_PER[u[1]!.toLowerCase()]!;
  if (!Number.isInteger(kib) || kib < 1) return { error: `${SIZE_EXPECTED}, a whole number of KiB` };
  if (kib > MAX_SIZE_KIB) return { error: `${SIZE_EXPECTED}, at most 64 TiB` };
  return { kib };
}

export function validateSize(value: string): string | null {
  const r = parseSizeKiB(value);
  return "error" in r ? r.error : null;
}

/** The hugepage sizes x86_64 supports. */
export const HUGEPAGE_SIZES_KIB = [2048, 1048576] as const;

export function validateHugepageSize(value: string | number): string | null {
  const r = parseSizeKiB(value);
  const expected = 'a hugepage size of x86_64: "1G" (1GiB, 1048576KiB) or "2M" (2MiB, 2048KiB)';
  if ("error" in r) return expected;
  return (HUGEPAGE_SIZES_KIB as readonly number[]).includes(r.kib) ? null : expected;
}

/** "8 GiB", "512 MiB", "1536 KiB": the largest binary unit that divides exactly. */
export function formatKiB(kib: number): string {
  for (const [unit, per] of [
    ["TiB", 1024 ** 3],
    ["GiB", 1024 ** 2],
    ["MiB", 1024],
  ] as const) {
    if (kib >= per && kib % per === 0) return `${kib / per} ${unit}`;
  }
  return `${kib} KiB`;
}

export function validateIp(value: string): string | null {
  return isIPv4(value) || isIPv6(value) ? null : "an IPv4 or IPv6 address such as 10.75.58.1";
}

export function validateIpv4(value: string): string | null {
  return isIPv4(value) ? null : "an IPv4 address such as 1.1.10.1";
}

function parseCidr(value: string): { ip: string; prefix: number; v4: boolean } | null {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(value);
  if (!m) return null;
  const ip = m[1]!;
  const prefix = Number(m[2]);
  if (isIPv4(ip) && prefix <= 32) return { ip, prefix, v4: true };
  if (isIPv6(ip) && prefix <= 128) return { ip, prefix, v4: false };
  return null;
}

/** An interface address with its prefix length: 10.75.58.43/24. */
export function validateCidr(value: string): string | null {
  return parseCidr(value) ? null : "an address with prefix length such as 10.75.58.43/24";
}

/** A route prefix: like a CIDR address, but the host bits must be zero (IOS refuses otherwise). */
export function validatePrefix(value: string): string | null {
  const c = parseCidr(value);
  if (!c) return "a prefix such as 0.0.0.0/0 or 10.1.0.0/16";
  if (c.v4) {
    const n = c.ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const hostBits = 32 - c.prefix;
    const network = hostBits === 32 ? 0 : Math.floor(n / 2 ** hostBits) * 2 ** hostBits;
    if (network !== n) {
      const o = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256);
      return `a prefix with zero host bits (${o.join(".")}/${c.prefix})`;
    }
  }
  return null;
}

/** An IP address or a DNS name (vBond, NTP server). */
export function validateHost(value: string): string | null {
  if (validateIp(value) === null) return null;
  if (
    value.length <= 253 &&
    /^(?=.*[A-Za-z])[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(
      value,
    )
  ) {
    return null;
  }
  return "an IP address or a DNS name";
}

/** IOS-XE hostname: starts with a letter, letters/digits/'-', at most 63 characters. */
export function validateIosHostname(value: string): string | null {
  return /^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(value)
    ? null
    : "a hostname of letters, digits and '-', starting with a letter, at most 63 characters";
}

/** IOS username: no spaces (the config line is space separated). */
export function validateIosUsername(value: string): string | null {
  return /^[A-Za-z][A-Za-z0-9_.@-]{0,63}$/.test(value)
    ? null
    : "a user name of letters, digits, '_', '.', '@', '-' starting with a letter";
}

/** IOS `clock timezone ZONE HOURS [MINUTES]`: "CST 8 0", "UTC 0". */
export function validateClockTimezone(value: string): string | null {
  const m = /^([A-Za-z][A-Za-z0-9]{0,7}) (-?\d{1,2})(?: (\d{1,2}))?$/.exec(value);
  if (!m || Math.abs(Number(m[2])) > 23 || Number(m[3] ?? 0) > 59) {
    return 'IOS clock timezone "ZONE HOURS [MINUTES]" such as "CST 8 0"';
  }
  return null;
}

/** A sysctl key as sysctl(8) takes it; ".." would climb out of /proc/sys when mapped to a path. */
/** A sysctl key as /etc/sysctl.d writes it: dotted, first part lower case (net.ipv4.ip_forward). */
export const SYSCTL_KEY_RE = /^[a-z0-9_]+([./][A-Za-z0-9_-]+)+$/;
/** A sysctl value sysctl.d and the generated shell step take literally: no quoting, no `$(...)`. */
export const SYSCTL_VALUE_RE = /^[A-Za-z0-9 ._:-]+$/;

export function validateSysctlKey(value: string): string | null {
  return SYSCTL_KEY_RE.test(value) ? null : "a dotted sysctl key such as net.ipv4.ip_forward";
}

export function validateSysctlValue(value: string): string | null {
  return SYSCTL_VALUE_RE.test(value)
    ? null
    : "letters, digits, spaces and . _ : - (e.g. 1, or 4096 87380 6291456)";
}

/** IOS-XE interface names in day-0: GigabitEthernet<N>, also written Gi<N>. */
export function parseGigabitEthernet(value: string): number | null {
  const m = /^(?:GigabitEthernet|Gi)([1-9]\d{0,2})$/i.exec(value);
  return m ? Number(m[1]) : null;
}

export function validateDay0InterfaceName(value: string): string | null {
  return parseGigabitEthernet(value) === null ? "an interface name GigabitEthernet1..N (or Gi1..N)" : null;
}
