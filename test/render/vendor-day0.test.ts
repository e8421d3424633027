/**
 * Each vendor kind's example topology through the real pipeline (load, plan on the seed host,
 * day-0 render): the medium's files match their golden copies, and a parser of the vendor's format
 * reads back exactly what the topology asked for.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import type { HostFacts } from "../../src/facts/types.js";
import { renderDay0 } from "../../src/render/day0/index.js";
import { DAY0_FORMATS, expectedSummary } from "../../src/render/day0/formats/index.js";
import { parseBraces } from "../../src/render/day0/formats/cli-tree.js";
import { day0MediumOf, KINDS } from "../../src/topology/kinds.js";
import { parseTopology } from "../../src/topology/load.js";
import type { NfvErrors } from "../../src/util/errors.js";
import { expectGolden } from "../support/golden.js";
import { VENDOR_ENV, VENDOR_KINDS, vendorVnf } from "../support/vendors.js";
import { REPO, SEED_ROOT } from "./seed.js";

const SECRETS = Object.values(VENDOR_ENV).filter((v) => v.includes("Test"));

let facts: HostFacts;
beforeAll(async () => {
  facts = await discoverHost({ root: SEED_ROOT });
});

describe.each(VENDOR_KINDS)("kind %s", (kind) => {
  it("has a profile with a sourced reference, and its example plans on the seed host", async () => {
    const spec = KINDS[kind];
    expect(spec.reference).toMatch(/^docs\/reference\/vendor-profiles\.md#/);
    const vnf = await vendorVnf(kind, facts);
    expect(vnf.kind).toBe(kind);
    expect(vnf.interfaces[0]!.guestName).toBe(
      spec.guestInterfaces!.fixed[0] ??
        spec.guestInterfaces!.pattern.replace("{n}", String(spec.guestInterfaces!.start)),
    );
  });

  it("renders day-0 files equal to the goldens, and its parser reads the topology back", async () => {
    const vnf = await vendorVnf(kind, facts);
    const spec = KINDS[kind];
    const medium = day0MediumOf(spec, vnf.day0?.mode);
    if (!medium) {
      // CHR: no day-0 medium, and the loader refuses a day0 block with the reason.
      expect(vnf.day0).toBeUndefined();
      expect(spec.day0Note).toMatch(/no day-0 medium/);
      return;
    }
    const out = renderDay0(vnf, VENDOR_ENV, "nfvhost-golden")!;
    expect(out.iso.volumeLabel).toBe(medium.volumeLabel ?? "disk");
    const files: Record<string, string> = {};
    for (const f of out.files) {
      const inMedium = f.path.slice(`day0/${vnf.name}/`.length);
      expect(f.mode).toBe(0o600);
      for (const s of SECRETS) expect(f.content, `${inMedium} holds a clear password`).not.toContain(s);
      files[inMedium] = f.content;
      await expectGolden(join(REPO, "test/golden/day0", kind, inMedium), f.content);
    }
    // Every file the profile names is on the medium (directories as empty dirs).
    for (const want of medium.files) {
      if (want.endsWith("/")) expect(out.iso.dirs).toContain(want.slice(0, -1));
      else expect(Object.keys(files)).toContain(want);
    }
    expect(DAY0_FORMATS[medium.format].parse(files)).toEqual(expectedSummary(vnf, vnf.day0!));
  });
});

function loadErrors(yaml: string): string[] {
  try {
    parseTopology(yaml, "t.yaml");
    return [];
  } catch (e) {
    return (e as NfvErrors).errors.map((x) => x.message);
  }
}

const VNF = (kind: string, extra: string, day0 = "") => `name: t
vnfs:
  r1:
    kind: ${kind}
    image: /i/r1.qcow2
${extra}
    interfaces:
      - { type: macvtap, dev: eno1 }
      - { type: macvtap, dev: eno2 }
${day0}`;

describe("vendor rules the loader enforces", () => {
  it("refuses fields a format cannot express, and names outside the kind's interfaces", () => {
    const errs = loadErrors(
      VNF(
        "fortigate",
        "    vcpus: 1\n    memory: 2GiB",
        "    day0:\n      users: { admin: { password-env: P } }\n      interfaces: { port3: { dhcp: true }, eth0: { dhcp: true } }\n",
      ),
    );
    expect(errs).toEqual([
      expect.stringContaining(
        "vnfs.r1.day0.users; expected only hostname, name-servers, routes, interfaces, ntp, license or extra-config in day0 of kind fortigate",
      ),
      expect.stringContaining(
        'vnfs.r1.day0.interfaces.port3: "port3"; expected an interface of this VNF: port1..port2',
      ),
      expect.stringContaining(
        'vnfs.r1.day0.interfaces.eth0: "eth0"; expected an interface name of kind fortigate, in vNIC order: port1..port2',
      ),
    ]);
  });

  it("refuses day0 for CHR with the reason", () => {
    const errs = loadErrors(VNF("chr", "    vcpus: 1\n    memory: 1GiB", "    day0:\n      hostname: r1\n"));
    expect(errs).toEqual([expect.stringContaining("MikroTik documents no day-0 medium for CHR")]);
  });

  it("refuses a Junos day-0 without root at render time, naming the fix", async () => {
    const vnf = await vendorVnf("vsrx3", facts);
    const day0 = structuredClone(vnf.day0!);
    delete day0.users.root;
    expect(() => renderDay0({ ...vnf, day0 }, VENDOR_ENV, "x")).toThrow(/a user named root.*add users.root/);
  });

  it("the Junos parser rejects a file a router would reject", () => {
    expect(() => parseBraces("juniper.conf", "system {\n  host-name r1;\n")).toThrow(
      /juniper.conf:3.*1 more '\}'/,
    );
    expect(() => parseBraces("juniper.conf", "system {\n  host-name r1\n}\n")).toThrow(/';' before '\}'/);
  });
});
