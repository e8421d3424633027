/**
 * One VNF's libvirt domain, from its plan: the seed's hand-tuned csr1kv-1 XML (seed guide, KVM
 * tuning (5); cisco-vrouter-facts.md 1.4) made systematic. Every name that reaches the XML is
 * validated here again, so a plan built by hand cannot smuggle a bad name into libvirt.
 */
import type { InterfacePlan, VnfPlan } from "../../plan/types.js";
import { KINDS } from "../../topology/kinds.js";
import { formatCpuList } from "../../util/cpulist.js";
import { NfvError } from "../../util/errors.js";
import {
  assertAbsolutePath,
  assertBridgeName,
  assertDomainName,
  assertIfName,
  assertNetworkName,
  normalizeMac,
  normalizePciAddress,
} from "../../util/names.js";
import type { DomainInterface, DomainXml, Disk, PciAddress } from "../../libvirt/model.js";
import { domainToXml } from "../../libvirt/xml.js";

export interface DomainContext {
  /** kvm on a real host; qemu = TCG emulation, for labs and tests (no /dev/kvm needed). */
  accel: "kvm" | "qemu";
  /** <emulator>; absent: libvirt picks the host's default QEMU. */
  emulator?: string;
  /** Machine type; absent: "pc" (i440fx, as the seed and Cisco's examples use). */
  machine?: string;
  /**
   * <locked/> as the seed writes it. Needs RLIMIT_MEMLOCK >= guest memory for the QEMU process;
   * apply turns it off (with a loud warning) where the host forbids it.
   */
  lockedMemory: boolean;
  /** Host path of the VNF's day-0 ISO, attached as a read-only cdrom. */
  day0IsoPath?: string;
  /** The disk the domain boots when it is not vnf.image: the VNF's qcow2 overlay of it. */
  diskPath?: string;
  uuid?: string;
  /** Direct kernel boot (test guests); overrides vnf.boot. */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** virtlogd copies the serial console here as well (the pty stays for `virsh console`). */
  serialLogPath?: string;
  /** Topology name for nfvhost's <metadata> mark; absent: no metadata. */
  topology?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MACHINE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

function fail(vnf: VnfPlan, field: string, value: unknown, expected: string, fix?: string): never {
  throw new NfvError({ what: `vnfs.${vnf.name}.${field}`, value, expected, fix });
}

/** "0000:3b:10.1" as libvirt's <address type='pci'>. */
export function pciAddressOf(pci: string): PciAddress {
  const [domain, bus, slotFn] = normalizePciAddress(pci).split(":") as [string, string, string];
  const [slot, fn] = slotFn.split(".") as [string, string];
  return {
    type: "pci",
    domain: parseInt(domain, 16),
    bus: parseInt(bus, 16),
    slot: parseInt(slot, 16),
    function: Number(fn),
  };
}

/** The emulated NIC model, checked against what the VNF kind supports (topology/kinds.ts). */
function nicModel(vnf: VnfPlan, iface: InterfacePlan): string {
  const spec = KINDS[vnf.kind];
  if (!spec || !(spec.nicModels as readonly string[]).includes(iface.model)) {
    fail(
      vnf,
      `interfaces[${iface.index}].model`,
      iface.model,
      `a NIC model ${spec?.label ?? vnf.kind} supports: ${spec?.nicModels.join(", ") ?? "(unknown kind)"}`,
      "leave the model out to get the kind's default (virtio)",
    );
  }
  return iface.model;
}

function vlanTags(vlan: number | undefined, vnf: VnfPlan, index: number): number[] | undefined {
  if (vlan === undefined) return undefined;
  if (!Number.isInteger(vlan) || vlan < 1 || vlan > 4094)
    fail(vnf, `interfaces[${index}].vlan`, vlan, "a VLAN id 1-4094");
  return [vlan];
}

/** One vNIC, in plan order: the guest sees them as GigabitEthernet1..N in this order. */
function domainInterface(vnf: VnfPlan, iface: InterfacePlan): DomainInterface {
  const mac = normalizeMac(iface.mac);
  const where = `vnfs.${vnf.name}.interfaces[${iface.index}]`;
  switch (iface.type) {
    case "macvtap":
      assertIfName(iface.dev, `${where}.dev`);
      return {
        type: "direct",
        mac,
        source: { dev: iface.dev, mode: iface.mode },
        model: nicModel(vnf, iface),
      };
    case "sriov-pool":
      // The pool hands out a free VF at start; libvirt shows it as type='hostdev' while running.
      assertNetworkName(iface.network, `${where}.network`);
      return {
        type: "network",
        mac,
        source: { network: iface.network },
        vlanTags: vlanTags(iface.vf.vlan, vnf, iface.index),
        model: nicModel(vnf, iface),
      };
    case "sriov-hostdev":
      // A VF is its own NIC: no emulated model; libvirt binds it to vfio-pci (managed='yes').
      return {
        type: "hostdev",
        managed: true,
        mac,
        driver: { name: "vfio" },
        source: { address: pciAddressOf(iface.vf.pci) },
        vlanTags: vlanTags(iface.vf.vlan, vnf, iface.index),
      };
    case "bridge":
      if (iface.network !== undefined) {
        // The seed's way: a libvirt network (net-br1) in front of the bridge.
        assertNetworkName(iface.network, `${where}.network`);
        return { type: "network", mac, source: { network: iface.network }, model: nicModel(vnf, iface) };
      }
      assertBridgeName(iface.bridge, `${where}.bridge`);
      return { type: "bridge", mac, source: { bridge: iface.bridge }, model: nicModel(vnf, iface) };
    case "network":
      assertNetworkName(iface.network, `${where}.network`);
      return { type: "network", mac, source: { network: iface.network }, model: nicModel(vnf, iface) };
  }
}

function checkPlan(vnf: VnfPlan): void {
  assertDomainName(vnf.name, `vnfs.${vnf.name}.name`);
  if (!Number.isInteger(vnf.vcpus) || vnf.vcpus < 1)
    fail(vnf, "vcpus", vnf.vcpus, "a positive number of vCPUs");
  if (vnf.vcpuPins.length !== vnf.vcpus) {
    fail(vnf, "vcpuPins", vnf.vcpuPins, `one host CPU per vCPU (${vnf.vcpus})`, "re-run the planner");
  }
  const m = vnf.memory;
  if (!Number.isInteger(m.KiB) || m.KiB <= 0) fail(vnf, "memory.KiB", m.KiB, "a positive size in KiB");
  if (!Number.isInteger(m.pageSizeKiB) || m.pageSizeKiB < 4 || m.KiB % m.pageSizeKiB !== 0) {
    fail(
      vnf,
      "memory",
      `${m.KiB} KiB in ${m.pageSizeKiB} KiB pages`,
      "memory that is a whole number of pages",
      "round the VNF's memory to the page size",
    );
  }
}

function bootSource(
  vnf: VnfPlan,
  ctx: DomainContext,
): { kernel?: string; initrd?: string; cmdline?: string } {
  const kernel = ctx.kernel ?? vnf.boot?.kernel;
  if (kernel === undefined) return {};
  const initrd = ctx.kernel !== undefined ? ctx.initrd : vnf.boot?.initrd;
  const cmdline = ctx.kernel !== undefined ? ctx.cmdline : vnf.boot?.cmdline;
  assertAbsolutePath(kernel, `vnfs.${vnf.name}.boot.kernel`);
  if (initrd !== undefined) assertAbsolutePath(initrd, `vnfs.${vnf.name}.boot.initrd`);
  if (cmdline !== undefined && CONTROL_RE.test(cmdline)) {
    fail(vnf, "boot.cmdline", cmdline, "a kernel command line without control characters");
  }
  return { kernel, initrd, cmdline };
}

/**
 * The guest CPU the topology asks for (cpu-mode; host-passthrough by default, as the seed). Under
 * TCG the host CPU cannot be passed through: "maximum" is every feature QEMU can emulate, and a
 * named model is emulated as it is.
 */
function domainCpu(vnf: VnfPlan, accel: DomainContext["accel"]): DomainXml["cpu"] {
  const cpu = vnf.cpu ?? { mode: "host-passthrough" as const };
  if (cpu.mode === "custom") {
    if (!MACHINE_RE.test(cpu.model))
      fail(vnf, "cpu-model", cpu.model, "a QEMU CPU model such as Skylake-Server-IBRS");
    return { mode: "custom", match: "exact", check: "none", model: { name: cpu.model, fallback: "forbid" } };
  }
  if (accel !== "kvm") return { mode: "maximum", check: "none" };
  return { mode: cpu.mode, check: "none" };
}

/** The typed domain for one planned VNF. */
export function buildDomain(vnf: VnfPlan, ctx: DomainContext): DomainXml {
  checkPlan(vnf);
  const machine = ctx.machine ?? "pc";
  if (!MACHINE_RE.test(machine)) fail(vnf, "machine", machine, "a QEMU machine type such as pc or q35");
  if (ctx.uuid !== undefined && !UUID_RE.test(ctx.uuid))
    fail(vnf, "uuid", ctx.uuid, "a UUID such as 59581018-6387-49df-ab09-2bcf40fc12ba");
  if (ctx.emulator !== undefined) assertAbsolutePath(ctx.emulator, "emulator");
  assertAbsolutePath(vnf.image, `vnfs.${vnf.name}.image`);
  if (vnf.overlay && ctx.diskPath === undefined)
    fail(
      vnf,
      "image",
      vnf.image,
      "the path of the VNF's overlay (DomainContext.diskPath): the base is never booted directly",
    );
  if (ctx.diskPath !== undefined) assertAbsolutePath(ctx.diskPath, `vnfs.${vnf.name} overlay`);
  const bus = KINDS[vnf.kind]?.diskBus ?? "virtio";

  const boot = bootSource(vnf, ctx);
  const disks: Disk[] = [
    {
      type: "file",
      device: "disk",
      driver: { name: "qemu", type: "qcow2" },
      source: ctx.diskPath ?? vnf.image,
      target: { dev: bus === "virtio" ? "vda" : bus === "ide" ? "hda" : "sda", bus },
    },
  ];
  if (ctx.day0IsoPath !== undefined) {
    assertAbsolutePath(ctx.day0IsoPath, `vnfs.${vnf.name}.day0 ISO`);
    // i440fx has IDE (hdc = secondary master, like `-cdrom`); q35 has only SATA.
    const q35 = machine.includes("q35");
    disks.push({
      type: "file",
      device: "cdrom",
      driver: { name: "qemu", type: "raw" },
      source: ctx.day0IsoPath,
      target: q35 ? { dev: "sda", bus: "sata" } : { dev: "hdc", bus: "ide" },
      readonly: true,
    });
  }
  if (ctx.serialLogPath !== undefined) assertAbsolutePath(ctx.serialLogPath, "serial log");

  const hugepages = vnf.memory.pageSizeKiB > 4;
  return {
    type: ctx.accel,
    name: vnf.name,
    ...(ctx.uuid !== undefined ? { uuid: ctx.uuid.toLowerCase() } : {}),
    ...(ctx.topology !== undefined ? { metadata: { topology: ctx.topology, vnf: vnf.name } } : {}),
    memoryKiB: vnf.memory.KiB,
    currentMemoryKiB: vnf.memory.KiB,
    memoryBacking: {
      ...(hugepages ? { hugepages: { pages: [{ sizeKiB: vnf.memory.pageSizeKiB }] } } : {}),
      ...(ctx.lockedMemory ? { locked: true } : {}),
      nosharepages: true,
    },
    vcpu: { placement: "static", count: vnf.vcpus },
    cputune: {
      vcpupins: vnf.vcpuPins.map((cpu, vcpu) => ({ vcpu, cpuset: String(cpu) })),
      ...(vnf.emulatorCpus.length > 0 ? { emulatorpin: { cpuset: formatCpuList(vnf.emulatorCpus) } } : {}),
    },
    numatune: { memory: { mode: vnf.memory.mode, nodeset: String(vnf.memory.node) } },
    os: {
      type: { arch: "x86_64", machine, value: "hvm" },
      ...boot,
      // libvirt stores boot dev='hd' even beside a direct kernel; rendering it keeps diffs empty.
      boots: ["hd"],
    },
    features: { acpi: true, apic: true },
    cpu: domainCpu(vnf, ctx.accel),
    clock: {
      offset: "utc",
      timers: [
        { name: "rtc", tickpolicy: "catchup" },
        { name: "pit", tickpolicy: "delay" },
        { name: "hpet", present: false },
      ],
    },
    onPoweroff: "destroy",
    onReboot: "restart",
    onCrash: "destroy",
    pm: { suspendToMem: false, suspendToDisk: false },
    devices: {
      ...(ctx.emulator !== undefined ? { emulator: ctx.emulator } : {}),
      disks,
      // Headless: model='none' keeps libvirt from adding its default USB controller (and tablet).
      controllers: [{ type: "usb", index: 0, model: "none" }],
      interfaces: vnf.interfaces.map((i) => domainInterface(vnf, i)),
      serials: [
        {
          type: "pty",
          ...(ctx.serialLogPath !== undefined ? { log: { file: ctx.serialLogPath, append: false } } : {}),
          target: { type: "isa-serial", port: 0, model: "isa-serial" },
        },
      ],
      // The console is serial port 0 seen twice: libvirt stores the serial's log on it as well.
      consoles: [
        {
          type: "pty",
          ...(ctx.serialLogPath !== undefined ? { log: { file: ctx.serialLogPath, append: false } } : {}),
          target: { type: "serial", port: 0 },
        },
      ],
      inputs: [],
      graphics: [],
      videos: [],
      memballoon: { model: "none" },
      rngs: [{ model: "virtio", backend: { model: "random", device: "/dev/urandom" } }],
    },
  };
}

/** The domain XML file for one planned VNF. */
export function renderDomainXml(vnf: VnfPlan, ctx: DomainContext): string {
  return domainToXml(buildDomain(vnf, ctx));
}
