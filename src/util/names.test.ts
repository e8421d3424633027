import { describe, expect, it } from "vitest";
import { NfvError } from "./errors.js";
import {
  assertAbsolutePath,
  assertBridgeName,
  assertDomainName,
  assertEnvVarName,
  assertIfName,
  assertMac,
  assertPciAddress,
  normalizeMac,
  normalizePciAddress,
  validateAbsolutePath,
  validateBridgeName,
  validateDomainName,
  validateEnvVarName,
  validateIfName,
  validateMac,
  validatePciAddress,
} from "./names.js";

describe("interface names (IFNAMSIZ)", () => {
  it.each(["eno1", "enp59s16f1", "a", "x".repeat(15), "eth0.100", "veth-nfv_1"])("accepts %j", (n) => {
    expect(validateIfName(n)).toBeNull();
  });
  it.each(["", "x".repeat(16), ".", "..", "a/b", "a b", "eth0:1", "a\tb", "a\nb"])("refuses %j", (n) => {
    expect(validateIfName(n)).not.toBeNull();
  });
  it("counts bytes, not characters", () => {
    expect(validateIfName("é".repeat(8))).toContain("this one has 16");
  });
  it("assert throws an NfvError naming the value", () => {
    expect(() => assertIfName("enp59s0f1np1abcd", "vnfs.r1.interfaces[0].dev")).toThrow(NfvError);
    expect(() => assertIfName("enp59s0f1np1abcd")).toThrow(
      /interface name: "enp59s0f1np1abcd"; expected .*IFNAMSIZ/,
    );
    expect(() => assertIfName("eno1")).not.toThrow();
  });
});

describe("bridge, domain and network names", () => {
  it("bridges are interfaces with a conservative alphabet", () => {
    expect(validateBridgeName("br1")).toBeNull();
    expect(validateBridgeName("virbr0-nic")).toBeNull();
    expect(validateBridgeName("br-wan-uplink-01")).toMatch(/^a bridge name of 1-15/);
    expect(validateBridgeName("-br")).not.toBeNull();
    expect(validateBridgeName("br$1")).not.toBeNull();
    expect(() => assertBridgeName("br 1")).toThrow(NfvError);
  });
  it("domains: portable names up to 64 characters", () => {
    expect(validateDomainName("csr1kv-1")).toBeNull();
    expect(validateDomainName("CSR_1.a")).toBeNull();
    expect(validateDomainName("a".repeat(64))).toBeNull();
    for (const bad of ["", "a".repeat(65), "../etc", "a/b", "-x", "a b", ".hidden"]) {
      expect(validateDomainName(bad)).not.toBeNull();
    }
    expect(() => assertDomainName("a/b")).toThrow(/domain name: "a\/b"/);
  });
});

describe("PCI addresses", () => {
  it("accepts long and short forms and normalises to sysfs form", () => {
    expect(normalizePciAddress("3b:00.1")).toBe("0000:3b:00.1");
    expect(normalizePciAddress("0000:3B:10.7")).toBe("0000:3b:10.7");
    expect(normalizePciAddress("10000:00:00.0".slice(1))).toBe("0000:00:00.0");
  });
  it.each(["3b:00.8", "3b:20.0", "3b:00", "0000:3b:00.1x", "000:3b:00.1", "eno2", "../3b:00.1"])(
    "refuses %j",
    (a) => {
      expect(validatePciAddress(a)).not.toBeNull();
      expect(() => assertPciAddress(a)).toThrow(NfvError);
    },
  );
});

describe("MAC addresses", () => {
  it("normalises colon, dash and Cisco dotted forms to lower-case colons", () => {
    expect(normalizeMac("8E:DF:08:C1:D1:DE")).toBe("8e:df:08:c1:d1:de");
    expect(normalizeMac("52-54-00-36-95-F0")).toBe("52:54:00:36:95:f0");
    expect(normalizeMac("5254.0036.95f0")).toBe("52:54:00:36:95:f0");
  });
  it("refuses malformed, multicast, broadcast and zero MACs", () => {
    expect(validateMac("52:54:00:zz:95:f0")).toMatch(/^a MAC address/);
    expect(validateMac("52:54:00:36:95")).not.toBeNull();
    expect(validateMac("01:00:5e:00:00:01")).toMatch(/multicast/);
    expect(validateMac("ff:ff:ff:ff:ff:ff")).toMatch(/multicast/);
    expect(validateMac("00:00:00:00:00:00")).toMatch(/not 00:00/);
    expect(() => assertMac("33:33:00:00:00:01")).toThrow(NfvError);
    expect(() => normalizeMac("nope")).toThrow(NfvError);
  });
});

describe("paths", () => {
  it.each(["/var/lib/libvirt/images/csr.qcow2", "/", "/a b/c.iso", "/a/.hidden"])("accepts %j", (p) => {
    expect(validateAbsolutePath(p)).toBeNull();
  });
  it.each(["images/x.qcow2", "/a/../etc/shadow", "/a/./b", "/a/..", "/a\u0000b", "/a\nb", "/dir/", ""])(
    "refuses %j",
    (p) => {
      expect(validateAbsolutePath(p)).not.toBeNull();
      expect(() => assertAbsolutePath(p)).toThrow(NfvError);
    },
  );
});

describe("environment variable names", () => {
  it("accepts POSIX names and refuses what looks like a value", () => {
    expect(validateEnvVarName("CSR_ADMIN_PASSWORD")).toBeNull();
    expect(validateEnvVarName("_x1")).toBeNull();
    for (const bad of ["", "1ABC", "Cisco 123", "A-B", "$HOME", "P@ss"])
      expect(validateEnvVarName(bad)).not.toBeNull();
    expect(() => assertEnvVarName("Cisco123!")).toThrow(/environment variable name/);
  });
});
