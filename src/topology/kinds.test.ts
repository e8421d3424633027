import { describe, expect, it } from "vitest";
import type { NfvErrors } from "../util/errors.js";
import {
  guestInterfaceIndex,
  guestInterfaceName,
  KINDS,
  versionFromImageName,
  versionInRange,
  parseVersion,
} from "./kinds.js";
import { parseTopology } from "./load.js";

function errors(yaml: string): string[] {
  try {
    parseTopology(yaml, "t.yaml");
    return [];
  } catch (e) {
    return (e as NfvErrors).errors.map((x) => x.message.replace(/^t\.yaml:\d+:\d+: /, ""));
  }
}

const router = (kind: string, extra: string, license = "") => `name: t
vnfs:
  r1:
    kind: ${kind}
    vcpus: 2
    memory: 4GiB
${extra}
    interfaces:
      - { type: macvtap, dev: eno1 }
    day0:
      users: { admin: { password-env: P } }
${license}`;

describe("image releases", () => {
  it("reads the release from vendors' file names", () => {
    expect(versionFromImageName("/i/c8000v-universalk9_8G_serial.17.16.01a.qcow2")).toBe("17.16.01a");
    expect(versionFromImageName("/i/csr1000v-universalk9.17.03.02-serial.qcow2")).toBe("17.03.02");
    expect(versionFromImageName("/i/junos-vsrx3-x86-64-23.4R2.12.qcow2")).toBe("23.4");
    expect(versionFromImageName("/i/vyos-1.4.0-generic-amd64.qcow2")).toBe("1.4.0");
    expect(versionFromImageName("/i/router.qcow2")).toBeNull();
  });
  it("treats a range's max as a whole train", () => {
    expect(versionInRange(parseVersion("17.3.8a")!, KINDS.csr1000v.versions)).toBe(true);
    expect(versionInRange(parseVersion("17.4.1")!, KINDS.csr1000v.versions)).toBe(false);
    expect(versionInRange(parseVersion("17.3.2")!, KINDS.c8000v.versions)).toBe(false);
  });
  it("names guest interfaces per kind, short forms included", () => {
    expect(guestInterfaceName(KINDS.asav, 0)).toBe("Management0/0");
    expect(guestInterfaceName(KINDS.asav, 2)).toBe("GigabitEthernet0/1");
    expect(guestInterfaceName(KINDS.xrv9k, 3)).toBe("GigabitEthernet0/0/0/0");
    expect(guestInterfaceIndex(KINDS.c8000v, "gi2")).toBe(1);
    expect(guestInterfaceIndex(KINDS.vsrx3, "ge-0/0/1")).toBe(2);
  });
});

describe("licensing lines checked against platform and release", () => {
  const image = (v: string) => `    image: /i/r1.qcow2\n    version: "${v}"`;
  it("refuses tiers on a CSR 1000v, and on a C8000v older than 17.7.1a", () => {
    expect(errors(router("csr1000v", image("17.3.8a"), "      license: { throughput-level: T1 }\n"))).toEqual(
      [
        'vnfs.r1.day0.license.throughput-level: "T1"; expected a throughput in Mbps for Cisco CSR 1000v (10, 50, 100, 250, 500, 1000, 2500, 5000 or 10000): tiers T0-T3 are a Catalyst 8000V feature; fix: set throughput-level to the licensed Mbps, e.g. 250',
      ],
    );
    expect(errors(router("c8000v", image("17.6.5"), "      license: { throughput-level: T2 }\n"))).toEqual([
      'vnfs.r1.day0.license.throughput-level: "T2"; expected a throughput in Mbps on Cisco Catalyst 8000V 17.6.5: tier-based throughput needs 17.7.1a or later; fix: use one of 10, 15, 25, 50, 100, 250, 500, 1000, 2500, 5000 or 10000, or an image from 17.7.1a on',
    ]);
    expect(errors(router("c8000v", image("17.9.4a"), "      license: { throughput-level: T2 }\n"))).toEqual(
      [],
    );
  });
  it("refuses a boot level of the other platform and a throughput the platform does not sell", () => {
    expect(
      errors(
        router("c8000v", image("17.9.4a"), "      license: { boot-level: ax, throughput-level: 300 }\n"),
      ),
    ).toEqual([
      'vnfs.r1.day0.license.boot-level: "ax"; expected a boot level Cisco Catalyst 8000V accepts: network-essentials, network-advantage or network-premier; fix: set boot-level to network-advantage, or remove it (default network-advantage)',
      "vnfs.r1.day0.license.throughput-level: 300; expected a throughput level Cisco Catalyst 8000V sells, in Mbps: 10, 15, 25, 50, 100, 250, 500, 1000, 2500, 5000 or 10000, or a tier T0-T3 (from 17.7.1a); fix: set throughput-level to the level your licence covers",
    ]);
  });
  it("needs the CSR release to choose register or trust, and says where to put it", () => {
    expect(
      errors(router("csr1000v", "    image: /i/r1.qcow2", "      license: { token-env: TOK }\n")),
    ).toEqual([
      "vnfs.r1.day0.license; expected the image's Cisco CSR 1000v release, to choose the licensing commands it accepts (the file name holds none); fix: add version: (e.g. 17.3) to vnfs.r1",
    ]);
  });
  it("refuses a CSR image of a release after 17.3 (it is a C8000v)", () => {
    expect(errors(router("csr1000v", image("17.4.1")))).toEqual([
      'vnfs.r1.version: "17.4.1"; expected a Cisco CSR 1000v release 16.3 to 17.3.x; fix: releases after 17.3 are Catalyst 8000V images: use kind c8000v',
    ]);
  });
});

describe("cpu-mode and image overlays", () => {
  const vnf = (name: string, extra: string) => `  ${name}:
    kind: generic
    vcpus: 1
    memory: 1GiB
${extra}
`;
  it("takes host-model and a named model, and refuses a model without custom", () => {
    const t = parseTopology(
      `name: t\nvnfs:\n${vnf("a", "    image: /i/a.qcow2\n    cpu-mode: host-model")}${vnf("b", "    image: /i/b.qcow2\n    cpu-mode: custom\n    cpu-model: Skylake-Server-IBRS")}`,
      "t.yaml",
    ).topology;
    expect(t.vnfs.map((v) => v.cpu)).toEqual([
      { mode: "host-model" },
      { mode: "custom", model: "Skylake-Server-IBRS" },
    ]);
    expect(errors(`name: t\nvnfs:\n${vnf("a", "    image: /i/a.qcow2\n    cpu-model: EPYC")}`)).toEqual([
      'vnfs.a.cpu-model: "EPYC"; expected no cpu-model with cpu-mode host-passthrough (a named model needs cpu-mode: custom); fix: set cpu-mode: custom, or remove cpu-model',
    ]);
  });
  it("lets ten VNFs share a base through overlays, and still refuses two on one writable image", () => {
    const ovl = "    image: { base: /i/base.qcow2, overlay: per-vnf }";
    const t = parseTopology(`name: t\nvnfs:\n${vnf("a", ovl)}${vnf("b", ovl)}`, "t.yaml").topology;
    expect(t.vnfs.map((v) => [v.image, v.overlay])).toEqual([
      ["/i/base.qcow2", "per-vnf"],
      ["/i/base.qcow2", "per-vnf"],
    ]);
    expect(
      errors(`name: t\nvnfs:\n${vnf("a", "    image: /i/x.qcow2")}${vnf("b", "    image: /i/x.qcow2")}`),
    ).toEqual([
      expect.stringContaining('vnfs.b.image: "/i/x.qcow2"; expected a disk image used once in the file'),
    ]);
    expect(errors(`name: t\nvnfs:\n${vnf("a", ovl)}${vnf("b", "    image: /i/base.qcow2")}`)).toEqual([
      'vnfs.a.image.base: "/i/base.qcow2"; expected a base image no VNF writes; vnfs.b.image boots it writable; fix: give that VNF an overlay of the base too (image: {base, overlay: per-vnf}), or a copy',
    ]);
  });
});
