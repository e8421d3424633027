import { describe, expect, it } from "vitest";
import { seedPlan } from "../../../test/fixtures/render/seed-plan-b.js";
import type { VnfPlan } from "../../plan/types.js";
import type { Day0Spec } from "../../topology/types.js";
import { type8Secret, type9Secret } from "../secrets/cisco.js";
import { renderDay0 } from "./index.js";
import { netmask } from "./iosxe.js";

const seedVnf = seedPlan.vnfs[0]!;

function vnfWith(day0: Partial<Day0Spec>, kind: VnfPlan["kind"] = "c8000v"): VnfPlan {
  return {
    ...structuredClone(seedVnf),
    name: "c8kv-1",
    kind,
    day0: { ...structuredClone(seedVnf.day0!), ...day0 },
  };
}

const ENV = {
  CSR_ADMIN_PASSWORD: "pw-admin",
  ENABLE: "pw-enable",
  TOKEN: "SLToken123",
  OTP: "5073e722b501d9fe964386d473f035ec",
};
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----";

function content(vnf: VnfPlan, env: Record<string, string> = ENV): Record<string, string> {
  const out = renderDay0(vnf, env, "unit")!;
  return Object.fromEntries(out.files.map((f) => [f.path.split("/").pop()!, f.content]));
}

describe("autonomous mode (iosxe_config.txt)", () => {
  const vnf = vnfWith({
    mode: "autonomous",
    hostname: "c8kv-1",
    system: undefined,
    enableSecretEnv: "ENABLE",
    interfaces: {
      Gi1: { address: "10.75.60.11/24", description: "management" },
      GigabitEthernet2: { dhcp: true, mtu: 1500 },
    },
    license: { tokenEnv: "TOKEN", sourceInterface: "Gi1", toolsHost: "72.163.4.38", throughputLevel: "250" },
    extraConfig: ["line vty 0 4", " transport input ssh"],
  });

  it("writes the CLI CVAC applies, interfaces in vNIC order; the EXEC registration beside it", () => {
    const out = renderDay0(vnf, ENV, "unit")!;
    expect(out.files.map((f) => [f.path, f.mode])).toEqual([
      ["day0/c8kv-1/iosxe_config.txt", 0o600],
      ["day0/c8kv-1/license-register.txt", 0o600],
    ]);
    expect(out.iso).toMatchObject({
      path: "day0/c8kv-1/c8kv-1-day0.iso",
      volumeLabel: "disk",
      files: ["day0/c8kv-1/iosxe_config.txt"],
    });
    const text = out.files[0]!.content.replace(/secret 9 \$9\$\S+/g, "secret 9 <H>");
    expect(text).toBe(
      [
        "hostname c8kv-1",
        "username admin privilege 15 secret 9 <H>",
        "enable secret 9 <H>",
        "ip name-server 64.104.123.245",
        "ip route 0.0.0.0 0.0.0.0 10.75.59.1",
        "interface GigabitEthernet1",
        " description management",
        " no shutdown",
        " ip address 10.75.60.11 255.255.255.0",
        "exit",
        "interface GigabitEthernet2",
        " no shutdown",
        " ip address dhcp client-id GigabitEthernet2",
        " ip mtu 1500",
        " mtu 1500",
        "exit",
        "clock timezone CST 8 0",
        "ntp server 10.75.58.1 version 4",
        "ip http client source-interface GigabitEthernet1",
        "ip host tools.cisco.com 72.163.4.38",
        "license boot level network-advantage addon dna-advantage",
        "platform hardware throughput level MB 250",
        "license smart transport smart",
        "license smart url smart https://smartreceiver.cisco.com/licservice/license",
        "line vty 0 4",
        " transport input ssh",
        "",
      ].join("\n"),
    );
    // Smart Licensing Using Policy: trust idtoken, an EXEC command, on the ISO never.
    expect(out.iso.files).toEqual(["day0/c8kv-1/iosxe_config.txt"]);
    expect(out.files[1]!.content).toContain("\nlicense smart trust idtoken SLToken123 all force\n");
  });

  it("hashes each secret with its own salt, verifiably", () => {
    const text = content(vnf)["iosxe_config.txt"]!;
    const hashes = [...text.matchAll(/secret 9 (\$9\$(\S{14})\$\S{43})/g)];
    expect(hashes).toHaveLength(2);
    expect(type9Secret("pw-admin", hashes[0]![2]!)).toBe(hashes[0]![1]);
    expect(type9Secret("pw-enable", hashes[1]![2]!)).toBe(hashes[1]![1]);
    expect(hashes[0]![2]).not.toBe(hashes[1]![2]);
    expect(text).not.toContain("pw-admin");
    expect(type8Secret("pw-admin", hashes[0]![2]!)).not.toBe(hashes[0]![1]);
  });

  it("refuses an SD-WAN tunnel outside controller mode", () => {
    const bad = vnfWith({
      mode: "autonomous",
      interfaces: { GigabitEthernet1: { tunnel: { encapsulation: "ipsec", allowService: [] } } },
    });
    expect(() => renderDay0(bad, ENV)).toThrow(/day0.interfaces.GigabitEthernet1.tunnel.*controller mode/);
  });
});

describe("controller mode (ciscosdwan_cloud_init.cfg)", () => {
  const vnf = vnfWith({
    onboarding: { uuid: "C8K-D9900516-21E0-9F83-1A8A-E53E5115EA4D", otpEnv: "OTP", rootCaEnv: "CA" },
    license: { tokenEnv: "TOKEN", sourceInterface: "GigabitEthernet2", toolsHost: "72.163.4.38" },
  });

  it("puts uuid, vbond, otp, org, rcc and the root CA into #cloud-config, as MIME multipart", () => {
    const files = content(vnf, { ...ENV, CA: PEM });
    const cfg = files["ciscosdwan_cloud_init.cfg"]!;
    const boundary = /boundary="([^"]+)"/.exec(cfg)![1]!;
    const parts = cfg.split(`--${boundary}`);
    expect(parts).toHaveLength(4);
    expect(parts[3]).toBe("--\n");
    expect(parts[1]).toContain('Content-Type: text/cloud-config; charset="us-ascii"');
    expect(parts[1]).toContain(
      "#cloud-config\nvinitparam:\n - uuid : C8K-D9900516-21E0-9F83-1A8A-E53E5115EA4D\n - vbond : 10.75.58.51\n" +
        " - otp : 5073e722b501d9fe964386d473f035ec\n - org : CiscoBJ\n - rcc : true\nca-certs:\n  remove-defaults: false\n" +
        "  trusted:\n  - |\n    -----BEGIN CERTIFICATE-----\n    MIIBfake\n    -----END CERTIFICATE-----\n",
    );
    expect(parts[2]).toContain('Content-Type: text/cloud-boothook; charset="us-ascii"');
    expect(parts[2]).toContain("\n#cloud-boothook\nsystem\n system-ip 1.1.10.1\n");
    expect(parts[2]).toContain(
      "\nip http client source-interface GigabitEthernet2\nip host tools.cisco.com 72.163.4.38\n",
    );
    // An EXEC command cannot run from the bootstrap: it goes to its own 0600 file.
    expect(cfg).not.toContain("SLToken123");
    expect(files["license-register.txt"]).toContain("\nlicense smart trust idtoken SLToken123 all force\n");
    expect([...cfg].every((c) => c === "\n" || (c >= " " && c <= "~"))).toBe(true);
  });

  it("names the missing one-time-token variable", () => {
    expect(() => renderDay0(vnf, { ...ENV, OTP: undefined } as never)).toThrow(
      /environment variable OTP \(SD-WAN one-time token of c8kv-1\): "not set"/,
    );
  });

  it("notes manual activation when the topology gives no uuid/otp", () => {
    expect(renderDay0(seedVnf, ENV, "unit")!.notes.join()).toMatch(/no uuid\/otp.*vedge_cloud activate/);
  });

  it("needs the system block", () => {
    expect(() => renderDay0(vnfWith({ system: undefined }), ENV)).toThrow(/day0.system: "missing"/);
  });
});

describe("checks before anything is written", () => {
  it("refuses an interface beyond the VNF's vNICs", () => {
    const bad = vnfWith({ interfaces: { GigabitEthernet3: { address: "10.0.0.1/24" } } });
    expect(() => renderDay0(bad, ENV)).toThrow(/GigabitEthernet1\.\.2: the VNF has 2 vNIC/);
  });
  it("refuses day-0 on a generic VNF", () => {
    expect(() => renderDay0(vnfWith({}, "generic"), ENV)).toThrow(/no day0 for kind generic/);
  });
  it("refuses a hostname IOS-XE would not take, and a line break smuggled into free text", () => {
    expect(() => renderDay0(vnfWith({ hostname: "bad host" }), ENV)).toThrow(/day0.hostname/);
    expect(() => renderDay0(vnfWith({ extraConfig: ["ok", "end\nreload"] }), ENV)).toThrow(
      /extra-config\[1\]/,
    );
  });
  it("converts prefix lengths to netmasks", () => {
    expect([0, 8, 24, 30, 32].map(netmask)).toEqual([
      "0.0.0.0",
      "255.0.0.0",
      "255.255.255.0",
      "255.255.255.252",
      "255.255.255.255",
    ]);
  });
});

describe("tokens stay secret in errors", () => {
  it("names the token variable without echoing a malformed token", () => {
    const vnf = vnfWith({
      mode: "autonomous",
      system: undefined,
      interfaces: {},
      license: { tokenEnv: "TOKEN" },
    });
    let message = "";
    try {
      renderDay0(vnf, { ...ENV, TOKEN: "secret token with spaces" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/environment variable TOKEN.*not shown/);
    expect(message).not.toContain("secret token");
  });
});
