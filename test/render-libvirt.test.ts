/**
 * The seed deployment's libvirt XML: equal to the reviewed golden files, and equal to the seed
 * guide's own csr1kv-1 XML element by element for everything the seed tunes.
 * Regenerate the golden files after a reviewed change with UPDATE_GOLDEN=1.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "xmlbuilder2";
import { describe, expect, it } from "vitest";
import { parseDomainXml as summarizeDomainXml } from "../src/libvirt/domain-xml.js";
import { renderDomainXml, renderNetworkXml } from "../src/render/libvirt/index.js";
import type { DomainContext } from "../src/render/libvirt/index.js";
import { seedPlan } from "./fixtures/render/seed-plan-b.js";
import { expectGolden as expectGoldenFile } from "./support/golden.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, "golden", "libvirt");
const expectGolden = (file: string, actual: string) => expectGoldenFile(join(GOLDEN, file), actual);
const SEED_XML = join(HERE, "fixtures", "render", "seed-csr1kv-1.xml");

/** How `nfvhost render` renders the seed: KVM, <locked/> as the seed has it, the seed's UUID. */
const SEED_DOMAIN_CONTEXT: DomainContext = {
  accel: "kvm",
  lockedMemory: true,
  uuid: "59581018-6387-49df-ab09-2bcf40fc12ba",
  day0IsoPath: "/var/lib/nfvhost/day0/csr1kv-1-day0.iso",
  topology: "seed-csr1kv",
};

const vnf = seedPlan.vnfs[0]!;

describe("seed golden files", () => {
  it("csr1kv-1.xml", async () => {
    await expectGolden("csr1kv-1.xml", renderDomainXml(vnf, SEED_DOMAIN_CONTEXT));
  });
  for (const net of seedPlan.networks) {
    it(`${net.name}.xml`, async () => {
      await expectGolden(`${net.name}.xml`, renderNetworkXml(net));
    });
  }
  it("the networks are the guide's own XML", () => {
    const [pool, br] = seedPlan.networks;
    // seed: cat eno2_sriov_pool.xml / cat net-br1.xml
    expect(canon(root(renderNetworkXml(pool!)))).toBe(
      canon(
        root(
          "<network><name>eno2_sriov_pool</name><forward mode='hostdev' managed='yes'><pf dev='eno2'/></forward></network>",
        ),
      ),
    );
    expect(canon(root(renderNetworkXml(br!)))).toBe(
      canon(root('<network><name>net-br1</name><forward mode="bridge"/><bridge name="br1"/></network>')),
    );
  });
});

// A neutral DOM comparison (not our own parser): element name, sorted attributes, trimmed text,
// children in order; PCI slots and aliases are libvirt's choice, so they are left out.
interface Dom {
  nodeType: number;
  localName: string;
  attributes: ArrayLike<{ name: string; value: string }>;
  childNodes: ArrayLike<Dom>;
  textContent: string | null;
}

function root(xml: string): Dom {
  return create(xml).root().node as unknown as Dom;
}

function elements(e: Dom, name?: string): Dom[] {
  return Array.from(e.childNodes).filter(
    (c) => c.nodeType === 1 && (name === undefined || c.localName === name),
  );
}

function canon(e: Dom, skip = new Set(["address", "alias"])): string {
  const attrs = Array.from(e.attributes)
    .map((a) => `${a.name}=${a.value}`)
    .sort()
    .join(" ");
  const kids = elements(e).filter((c) => !skip.has(c.localName));
  const body = kids.length > 0 ? kids.map((c) => canon(c, skip)).join("") : (e.textContent ?? "").trim();
  return `<${e.localName}${attrs ? " " + attrs : ""}>${body}</${e.localName}>`;
}

function pick(domain: Dom, path: string, filter?: (e: Dom) => boolean): string[] {
  let nodes = [domain];
  for (const step of path.split("/")) nodes = nodes.flatMap((n) => elements(n, step));
  return nodes.filter(filter ?? (() => true)).map((n) => canon(n));
}

describe("csr1kv-1 matches the seed guide's tuned XML", async () => {
  const seed = root(await readFile(SEED_XML, "utf8"));
  const ours = root(renderDomainXml(vnf, SEED_DOMAIN_CONTEXT));
  const attr = (name: string, value: string) => (e: Dom) =>
    Array.from(e.attributes).some((a) => a.name === name && a.value === value);

  const tuned: [string, string, ((e: Dom) => boolean)?][] = [
    ["domain type", "."],
    ["name", "name"],
    ["memory", "memory"],
    ["currentMemory", "currentMemory"],
    ["memoryBacking (1G pages, locked, nosharepages)", "memoryBacking"],
    ["vcpu placement static", "vcpu"],
    ["cputune vcpupin 1-8 + emulatorpin 37-44", "cputune"],
    ["numatune strict node 0", "numatune"],
    ["features", "features"],
    ["cpu host-passthrough check none", "cpu"],
    ["clock rtc catchup / pit delay / hpet off", "clock"],
    ["on_poweroff", "on_poweroff"],
    ["on_reboot", "on_reboot"],
    ["on_crash", "on_crash"],
    ["pm suspend off", "pm"],
    ["virtio qcow2 disk vda", "devices/disk", attr("device", "disk")],
    ["interfaces: macvtap eno1 bridge, then the SR-IOV pool", "devices/interface"],
    ["serial pty isa-serial", "devices/serial"],
    ["console pty", "devices/console"],
    ["memballoon none", "devices/memballoon"],
    ["virtio rng /dev/urandom", "devices/rng"],
  ];
  for (const [what, path, filter] of tuned) {
    it(what, () => {
      if (path === ".") {
        expect(Array.from(ours.attributes).map((a) => `${a.name}=${a.value}`)).toEqual(["type=kvm"]);
        expect(Array.from(seed.attributes).map((a) => `${a.name}=${a.value}`)).toEqual(["type=kvm"]);
        return;
      }
      const want = pick(seed, path, filter);
      expect(want.length, `the seed has ${path}`).toBeGreaterThan(0);
      expect(pick(ours, path, filter)).toEqual(want);
    });
  }

  it("is headless where the seed is not: no spice, qxl, USB tablet or redirdev", () => {
    for (const name of ["graphics", "video", "input", "redirdev", "channel"]) {
      expect(pick(ours, `devices/${name}`), name).toEqual([]);
      expect(pick(seed, `devices/${name}`).length, name).toBeGreaterThan(0);
    }
    expect(pick(ours, "devices/controller", attr("type", "usb"))).toEqual([
      "<controller index=0 model=none type=usb></controller>",
    ]);
  });

  it("carries the nfvhost metadata apply and verify look for", () => {
    const summary = summarizeDomainXml(renderDomainXml(vnf, SEED_DOMAIN_CONTEXT));
    expect(summary.metadata).toEqual({ topology: "seed-csr1kv", vnf: "csr1kv-1", digest: null });
  });

  it("adds the day-0 ISO as a read-only IDE cdrom", () => {
    expect(pick(ours, "devices/disk", attr("device", "cdrom"))).toEqual([
      "<disk device=cdrom type=file><driver name=qemu type=raw></driver><source file=/var/lib/nfvhost/day0/csr1kv-1-day0.iso></source><target bus=ide dev=hdc></target><readonly></readonly></disk>",
    ]);
  });
});
