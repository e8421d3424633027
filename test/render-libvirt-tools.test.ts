/**
 * The real tools accept every XML the renderers write: virt-xml-validate (libvirt's RelaxNG
 * schemas) and the running libvirtd (`virsh define` / `net-define`, then undefine). What libvirt
 * stores parses back (parseDomainXml) into the same tuning we rendered.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NetworkPlan, VnfPlan } from "../src/plan/types.js";
import {
  buildDomain,
  parseDomainXml,
  parseNetworkXml,
  renderDomainXml,
  renderNetworkXml,
  type DomainContext,
  type DomainInterface,
  type DomainXml,
} from "../src/render/libvirt/index.js";
import { run, runChecked } from "../src/util/exec.js";
import { seedPlan } from "./fixtures/render/seed-plan-b.js";
import { uniqueSuffix, virsh } from "./support/guest.js";
import { removeByPrefix } from "./support/libvirt-cleanup.js";

const sfx = uniqueSuffix();
const seedVnf = seedPlan.vnfs[0]!;
const vf = seedPlan.host.sriov[0]!.vfs[1]!;

let dir: string;
const definedDomains = new Set<string>();
const definedNetworks = new Set<string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-xml-"));
});

afterAll(async () => {
  for (const d of definedDomains) await virsh(["undefine", d]);
  for (const n of definedNetworks) await virsh(["net-undefine", n]);
  await removeByPrefix(`nfvt-xml-${sfx}-`);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function write(name: string, xml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, xml);
  return file;
}

async function validate(file: string): Promise<void> {
  const r = await run("virt-xml-validate", [file]);
  expect(r.code, r.stderr + r.stdout).toBe(0);
}

/** Everything nfvhost tunes, without what libvirt assigns (PCI slots, aliases, default devices). */
function tuning(d: DomainXml) {
  const strip = <T extends { address?: unknown; alias?: unknown }>(x: T) => ({
    ...x,
    address: undefined,
    alias: undefined,
  });
  return {
    type: d.type,
    memoryKiB: d.memoryKiB,
    currentMemoryKiB: d.currentMemoryKiB,
    memoryBacking: d.memoryBacking,
    vcpu: d.vcpu,
    cputune: d.cputune,
    numatune: d.numatune,
    kernel: [d.os.kernel, d.os.initrd, d.os.cmdline],
    boots: d.os.boots,
    features: d.features,
    cpu: { mode: d.cpu?.mode, check: d.cpu?.check },
    clock: d.clock,
    lifecycle: [d.onPoweroff, d.onReboot, d.onCrash],
    pm: d.pm,
    disks: d.devices.disks.map(strip),
    interfaces: d.devices.interfaces.map((i: DomainInterface) => strip(i)),
    serials: d.devices.serials.map(strip),
    consoles: d.devices.consoles.map((c) => ({ ...strip(c), target: { ...c.target, model: undefined } })),
    memballoon: d.devices.memballoon,
    rngs: d.devices.rngs.map(strip),
    usb: d.devices.controllers.filter((c) => c.type === "usb").map((c) => c.model),
    graphics: d.devices.graphics,
    videos: d.devices.videos,
  };
}

async function defineDomain(vnf: VnfPlan, ctx: DomainContext): Promise<void> {
  const xml = renderDomainXml(vnf, ctx);
  const file = await write(`${vnf.name}.xml`, xml);
  await validate(file);
  const r = await virsh(["define", file]);
  expect(r.code, r.stderr).toBe(0);
  definedDomains.add(vnf.name);
  const stored = await runChecked("virsh", ["-c", "qemu:///system", "dumpxml", "--inactive", vnf.name]);
  expect(tuning(parseDomainXml(stored.stdout))).toEqual(tuning(buildDomain(vnf, ctx)));
  await runChecked("virsh", ["-c", "qemu:///system", "undefine", vnf.name]);
  definedDomains.delete(vnf.name);
}

describe("the reviewed golden files are valid libvirt XML", async () => {
  const golden = join(dirname(fileURLToPath(import.meta.url)), "golden", "libvirt");
  const files = (await readdir(golden)).filter((f) => f.endsWith(".xml"));
  it("has the seed's domain and both networks", () => {
    expect(files.sort()).toEqual(["csr1kv-1.xml", "eno2_sriov_pool.xml", "net-br1.xml"]);
  });
  for (const f of files) {
    it(f, async () => {
      await validate(join(golden, f));
    });
  }
});

describe("domain XML is accepted by virt-xml-validate and libvirtd", () => {
  it("the seed's csr1kv-1 (KVM, 1G pages, locked, macvtap + SR-IOV pool, day-0 cdrom)", async () => {
    await defineDomain(
      { ...seedVnf, name: `nfvt-xml-${sfx}-seed` },
      {
        accel: "kvm",
        lockedMemory: true,
        day0IsoPath: "/var/lib/nfvhost/day0/csr1kv-1-day0.iso",
        topology: "seed-csr1kv",
      },
    );
  });

  it("every interface kind: explicit VF hostdev with VLAN, pool with VLAN, bridge, bridge network, network", async () => {
    const vnf: VnfPlan = {
      ...seedVnf,
      name: `nfvt-xml-${sfx}-nics`,
      kind: "generic",
      interfaces: [
        {
          index: 0,
          guestName: "GigabitEthernet1",
          mac: "52:54:00:00:00:01",
          model: "virtio",
          type: "macvtap",
          dev: "eno1",
          mode: "passthrough",
        },
        {
          index: 1,
          guestName: "GigabitEthernet2",
          mac: "52:54:00:00:00:02",
          model: "virtio",
          type: "sriov-hostdev",
          vf: { ...vf, vlan: 100 },
        },
        {
          index: 2,
          guestName: "GigabitEthernet3",
          mac: "52:54:00:00:00:03",
          model: "virtio",
          type: "sriov-pool",
          network: "eno2_sriov_pool",
          vf: { ...vf, vlan: 200 },
        },
        {
          index: 3,
          guestName: "GigabitEthernet4",
          mac: "52:54:00:00:00:04",
          model: "virtio",
          type: "bridge",
          bridge: "br1",
        },
        {
          index: 4,
          guestName: "GigabitEthernet5",
          mac: "52:54:00:00:00:05",
          model: "virtio",
          type: "bridge",
          bridge: "br1",
          network: "net-br1",
        },
        {
          index: 5,
          guestName: "GigabitEthernet6",
          mac: "52:54:00:00:00:06",
          model: "e1000e",
          type: "network",
          network: "default",
        },
      ],
    };
    await defineDomain(vnf, { accel: "kvm", lockedMemory: false });
  });

  it("a lab (TCG) domain on q35 with direct kernel boot, serial log, SATA cdrom and explicit emulator", async () => {
    await defineDomain(
      {
        ...seedVnf,
        name: `nfvt-xml-${sfx}-lab`,
        lab: true,
        memory: { ...seedVnf.memory, KiB: 262144, pageSizeKiB: 2048, pages: 128 },
      },
      {
        accel: "qemu",
        lockedMemory: false,
        machine: "q35",
        emulator: "/usr/bin/qemu-system-x86_64",
        kernel: "/boot/vmlinuz-test",
        initrd: "/boot/initrd-test",
        cmdline: "console=ttyS0 quiet",
        serialLogPath: "/var/log/libvirt/qemu/nfvt-serial.log",
        day0IsoPath: "/var/lib/nfvhost/day0/x.iso",
        uuid: "9c5f0e02-9f2c-4c44-9f5a-2f1d7a1b6e01",
      },
    );
  });
});

describe("network XML is accepted by virt-xml-validate and libvirtd", () => {
  const nets: NetworkPlan[] = [
    ...seedPlan.networks.map((n) => ({ ...n, name: `nfvt-xml-${sfx}-${n.type}` })),
    ...(["bridge", "vepa", "private", "passthrough"] as const).map((mode) => ({
      name: `nfvt-xml-${sfx}-mv-${mode}`,
      type: "macvtap" as const,
      dev: "eno1",
      mode,
    })),
  ];
  for (const net of nets) {
    it(`${net.type}${net.mode ? ` ${net.mode}` : ""}`, async () => {
      const xml = renderNetworkXml(net);
      const file = await write(`${net.name}.xml`, xml);
      await validate(file);
      const r = await virsh(["net-define", file]);
      expect(r.code, r.stderr).toBe(0);
      definedNetworks.add(net.name);
      const stored = parseNetworkXml(
        (await runChecked("virsh", ["-c", "qemu:///system", "net-dumpxml", "--inactive", net.name])).stdout,
      );
      const rendered = parseNetworkXml(xml);
      expect({ ...stored, uuid: undefined }).toEqual({ ...rendered, uuid: undefined });
      await runChecked("virsh", ["-c", "qemu:///system", "net-undefine", net.name]);
      definedNetworks.delete(net.name);
    });
  }
});
