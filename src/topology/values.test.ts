import { describe, expect, it } from "vitest";
import {
  formatKiB,
  parseGigabitEthernet,
  parseSizeKiB,
  validateCidr,
  validateClockTimezone,
  validateHost,
  validateHugepageSize,
  validateIosHostname,
  validatePrefix,
  validateSysctlKey,
} from "./values.js";

const GIB = 1024 * 1024;

describe("sizes", () => {
  it.each([
    ["8GiB", 8 * GIB],
    ["8192MiB", 8 * GIB],
    ["8G", 8 * GIB],
    ["8 GiB", 8 * GIB],
    ["8g", 8 * GIB],
    ["1.5G", 1.5 * GIB],
    ["1048576KiB", GIB],
    ["2M", 2048],
    ["1T", 1024 * GIB],
    [4096, 4 * GIB],
  ] as const)("%j is %d KiB", (text, kib) => {
    expect(parseSizeKiB(text)).toEqual({ kib });
  });
  it.each(["8XB", "", "GiB", "-1G", "8 G B", "0.3K", "0"])("refuses %j", (text) => {
    expect(parseSizeKiB(text)).toHaveProperty("error");
  });
  it("refuses bare numbers that are not whole MiB", () => {
    expect(parseSizeKiB(1.5)).toHaveProperty("error");
    expect(parseSizeKiB(0)).toHaveProperty("error");
  });
  it("calls GB/MB ambiguous and says what to write", () => {
    expect(parseSizeKiB("8GB")).toEqual({
      error: expect.stringContaining('"GB" is ambiguous (10^n or 2^n), write GiB or G'),
    });
    expect(parseSizeKiB("512mb")).toEqual({ error: expect.stringContaining("write MiB or M") });
  });
  it("hugepage sizes are 2M or 1G in any spelling", () => {
    for (const ok of ["1G", "2M", "1GiB", "2MiB", "1048576KiB", "2048K", 1024, 2])
      expect(validateHugepageSize(ok)).toBeNull();
    for (const bad of ["4M", "16G", "1", "x"]) expect(validateHugepageSize(bad)).not.toBeNull();
  });
  it("formats KiB with the largest exact unit", () => {
    expect(formatKiB(8 * GIB)).toBe("8 GiB");
    expect(formatKiB(1536 * 1024)).toBe("1536 MiB");
    expect(formatKiB(1000)).toBe("1000 KiB");
  });
});

describe("addresses", () => {
  it("CIDR needs a prefix length within the family", () => {
    expect(validateCidr("10.75.58.43/24")).toBeNull();
    expect(validateCidr("2001:db8::1/64")).toBeNull();
    for (const bad of ["10.75.58.43", "10.75.58.43/33", "2001:db8::1/129", "10.0.0.256/8", "x/8"]) {
      expect(validateCidr(bad)).not.toBeNull();
    }
  });
  it("route prefixes must have zero host bits, and the message names the right one", () => {
    expect(validatePrefix("0.0.0.0/0")).toBeNull();
    expect(validatePrefix("10.1.0.0/16")).toBeNull();
    expect(validatePrefix("192.168.1.1/32")).toBeNull();
    expect(validatePrefix("10.1.1.1/24")).toBe("a prefix with zero host bits (10.1.1.0/24)");
    expect(validatePrefix("255.255.255.255/1")).toBe("a prefix with zero host bits (128.0.0.0/1)");
  });
  it("hosts are IPs or DNS names", () => {
    expect(validateHost("10.75.58.51")).toBeNull();
    expect(validateHost("vbond.example.net")).toBeNull();
    expect(validateHost("bad_host")).not.toBeNull();
    expect(validateHost("10.75.58.300")).not.toBeNull();
  });
});

describe("IOS-XE values", () => {
  it("hostnames", () => {
    expect(validateIosHostname("CSR1000v-1")).toBeNull();
    expect(validateIosHostname("1csr")).not.toBeNull();
    expect(validateIosHostname("csr 1")).not.toBeNull();
  });
  it("clock timezone", () => {
    expect(validateClockTimezone("CST 8 0")).toBeNull();
    expect(validateClockTimezone("PST -8")).toBeNull();
    expect(validateClockTimezone("CST 25 0")).not.toBeNull();
    expect(validateClockTimezone("Asia/Shanghai")).not.toBeNull();
  });
  it("GigabitEthernet numbers, long or short", () => {
    expect(parseGigabitEthernet("GigabitEthernet1")).toBe(1);
    expect(parseGigabitEthernet("gi26")).toBe(26);
    expect(parseGigabitEthernet("GigabitEthernet0")).toBeNull();
    expect(parseGigabitEthernet("Ethernet0/0")).toBeNull();
  });
});

describe("sysctl keys", () => {
  it("accepts dotted and slashed keys, refuses climbing out of /proc/sys", () => {
    expect(validateSysctlKey("net.ipv4.ip_forward")).toBeNull();
    expect(validateSysctlKey("net.bridge.bridge-nf-call-iptables")).toBeNull();
    expect(validateSysctlKey("net/ipv4/conf/eno1/rp_filter")).toBeNull();
    for (const bad of ["../../etc/shadow", "net..ipv4", "net.ipv4.", "a/../b", "a b", "x=1"]) {
      expect(validateSysctlKey(bad)).not.toBeNull();
    }
  });
});
