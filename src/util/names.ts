/**
 * Validators for every name that travels from a topology file to the host: network interfaces,
 * libvirt domains and networks, bridges, PCI addresses, MACs, file paths and environment variables.
 * The topology loader checks them once; render and apply call the assert* forms again right before
 * a name reaches a command line, a sysfs path or a file, so a name that bypassed the loader is still
 * refused. Each validate* returns null when the name is fine, or the reason (what was expected).
 */
import { NfvError } from "./errors.js";

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const IFNAME_MAX = 15;

function assertWith(
  validate: (v: string) => string | null,
  what: string,
  fix: string,
): (value: string, thing?: string) => void {
  return (value: string, thing?: string) => {
    const problem = validate(value);
    if (problem !== null) throw new NfvError({ what: thing ?? what, value, expected: problem, fix });
  };
}

/**
 * A Linux network interface name, as the kernel's dev_valid_name() accepts it: 1-15 bytes, not "."
 * or "..", no '/', ':' (alias separator) or whitespace. Control characters are refused as well.
 */
export function validateIfName(name: string): string | null {
  const expected = "an interface name of 1-15 characters without '/', ':' or whitespace";
  if (typeof name !== "string" || name.length === 0) return expected;
  if (Buffer.byteLength(name, "utf8") > IFNAME_MAX) {
    return `${expected} (Linux IFNAMSIZ); this one has ${Buffer.byteLength(name, "utf8")}`;
  }
  if (name === "." || name === "..") return `${expected}, not "." or ".."`;
  // The kernel takes "-rf", but nmcli, ip and tcpdump would read it as an option.
  if (name.startsWith("-")) return `${expected}, not starting with '-' (commands would read it as an option)`;
  // eslint-disable-next-line no-control-regex
  if (/[/:\s\u0000-\u001f\u007f]/.test(name)) return expected;
  return null;
}
export const assertIfName = assertWith(validateIfName, "interface name", "use the kernel's name, e.g. eno2");

/** A bridge is an interface: the same rules, plus a conservative character set for nmcli and libvirt. */
export function validateBridgeName(name: string): string | null {
  const asIf = validateIfName(name);
  if (asIf !== null) return asIf.replace("an interface name", "a bridge name");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    return "a bridge name of letters, digits, '_', '.', '-' starting with a letter or digit";
  }
  return null;
}
export const assertBridgeName = assertWith(validateBridgeName, "bridge name", "e.g. br1");

/**
 * A libvirt domain name: nfvhost also derives file names (day-0 ISO, backups) from it, so only a
 * portable set is accepted: 1-64 of letters, digits, '_', '.', '-', starting with a letter or digit.
 */
export function validateDomainName(name: string): string | null {
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    return "a name of 1-64 letters, digits, '_', '.', '-' starting with a letter or digit";
  }
  return null;
}
export const assertDomainName = assertWith(validateDomainName, "domain name", "e.g. csr1kv-1");

/** A libvirt network name: same portable set as domains (it names files under /etc/libvirt). */
export const validateNetworkName = validateDomainName;
export const assertNetworkName = assertWith(validateNetworkName, "network name", "e.g. net-br1");

const PCI_RE = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-1][0-9a-fA-F])\.([0-7])$/;

/** A PCI address, domain:bus:device.function: "0000:3b:00.1" or the short "3b:00.1". */
export function validatePciAddress(addr: string): string | null {
  if (typeof addr !== "string" || !PCI_RE.test(addr)) {
    return 'a PCI address such as "0000:3b:00.1" or "3b:00.1" (device 00-1f, function 0-7)';
  }
  return null;
}
/** The sysfs form: four-digit domain, lower-case hex. */
export function normalizePciAddress(addr: string): string {
  const m = PCI_RE.exec(addr);
  if (!m) throw new NfvError({ what: "PCI address", value: addr, expected: validatePciAddress(addr)! });
  return `${(m[1] ?? "0000").toLowerCase()}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${m[4]}`;
}
export const assertPciAddress = assertWith(validatePciAddress, "PCI address", "copy it from lspci -D");

const MAC_FORMS = [
  /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/,
  // Cisco's dotted form, as IOS prints it: 5254.0036.95f0
  /^([0-9a-fA-F]{2})([0-9a-fA-F]{2})\.([0-9a-fA-F]{2})([0-9a-fA-F]{2})\.([0-9a-fA-F]{2})([0-9a-fA-F]{2})$/,
];

function macOctets(mac: string): string[] | null {
  if (typeof mac !== "string") return null;
  for (const re of MAC_FORMS) {
    const m = re.exec(mac);
    if (m) return m.slice(1, 7).map((o) => o.toLowerCase());
  }
  return null;
}

/** A unicast Ethernet MAC (colon, dash or Cisco dotted notation); multicast and all-zero are refused. */
export function validateMac(mac: string): string | null {
  const octets = macOctets(mac);
  if (!octets) return 'a MAC address such as "52:54:00:36:95:f0"';
  if ((parseInt(octets[0]!, 16) & 1) === 1) {
    return "a unicast MAC (the lowest bit of the first octet clear, e.g. 52:...); this one is multicast";
  }
  if (octets.every((o) => o === "00")) return "a unicast MAC, not 00:00:00:00:00:00";
  return null;
}
/** Lower-case, colon-separated: the form sysfs, ip and libvirt print. */
export function normalizeMac(mac: string): string {
  const problem = validateMac(mac);
  if (problem !== null) throw new NfvError({ what: "MAC address", value: mac, expected: problem });
  return macOctets(mac)!.join(":");
}
export const assertMac = assertWith(validateMac, "MAC address", "e.g. 52:54:00:36:95:f0");

/**
 * An absolute path that names exactly one file: no NUL or other control characters (they break
 * keyfiles and XML), no "." or ".." components (no escaping a directory), no trailing '/'.
 */
export function validateAbsolutePath(path: string): string | null {
  const expected = "an absolute path without '.' or '..' components or control characters";
  if (typeof path !== "string" || !path.startsWith("/")) return expected;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return expected;
  if (path.length > 4095) return `${expected}, at most 4095 characters (PATH_MAX)`;
  if (path.length > 1 && path.endsWith("/")) return `${expected}, naming a file (no trailing '/')`;
  const parts = path.split("/").slice(1);
  if (parts.some((p) => p === "." || p === "..")) return expected;
  return null;
}
export const assertAbsolutePath = assertWith(
  validateAbsolutePath,
  "path",
  "write the full path, e.g. /var/lib/libvirt/images/x.qcow2",
);

/** A POSIX environment variable name: the only way a topology refers to a secret. */
export function validateEnvVarName(name: string): string | null {
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(name)) {
    return "an environment variable name such as CSR_ADMIN_PASSWORD (letters, digits, '_', not starting with a digit)";
  }
  return null;
}
export const assertEnvVarName = assertWith(
  validateEnvVarName,
  "environment variable name",
  "e.g. CSR_ADMIN_PASSWORD",
);
