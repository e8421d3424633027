/**
 * The one builder from the typed model (./model.ts) to libvirt XML, and the parser back.
 * Elements come out in the order `virsh dumpxml` prints them, so rendered files read like the
 * XML an engineer knows. The parser keeps what nfvhost manages and ignores the rest (aliases of
 * other devices, seclabels, channels...), so a live `virsh dumpxml` parses into the same model.
 */
import { create } from "xmlbuilder2";
import { NfvError } from "../util/errors.js";
import type {
  CharDevice,
  ClockTimer,
  Controller,
  DeviceAddress,
  Devices,
  Disk,
  DomainCpu,
  DomainInterface,
  DomainXml,
  LifecycleAction,
  NfvhostMetadata,
  NetworkForwardMode,
  NetworkXml,
  PciAddress,
  Rng,
} from "./model.js";
import { NFVHOST_XMLNS } from "./model.js";

type XMLBuilder = ReturnType<typeof create>;
type AttrValue = string | number | boolean | undefined;

function yesNo(v: boolean | undefined): string | undefined {
  return v === undefined ? undefined : v ? "yes" : "no";
}

function hex(n: number, width: number): string {
  return `0x${n.toString(16).padStart(width, "0")}`;
}

/** Adds a child with the defined attributes only; numbers and booleans as libvirt writes them. */
function el(
  parent: XMLBuilder,
  name: string,
  attrs: Record<string, AttrValue> = {},
  text?: string,
): XMLBuilder {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    clean[k] = typeof v === "boolean" ? (v ? "yes" : "no") : String(v);
  }
  const child = parent.ele(name, clean);
  if (text !== undefined) child.txt(text);
  return child;
}

function addAddress(parent: XMLBuilder, a: DeviceAddress | undefined): void {
  if (!a) return;
  if (a.type === "pci") {
    el(parent, "address", {
      type: "pci",
      domain: hex(a.domain, 4),
      bus: hex(a.bus, 2),
      slot: hex(a.slot, 2),
      function: hex(a.function, 1),
      multifunction: a.multifunction === undefined ? undefined : a.multifunction ? "on" : "off",
    });
  } else if (a.type === "drive") {
    el(parent, "address", {
      type: "drive",
      controller: a.controller,
      bus: a.bus,
      target: a.target,
      unit: a.unit,
    });
  } else {
    el(parent, "address", { type: a.addressType, ...a.attrs });
  }
}

function addDisk(devs: XMLBuilder, d: Disk): void {
  const disk = el(devs, "disk", { type: d.type, device: d.device });
  if (d.driver)
    el(disk, "driver", { name: d.driver.name, type: d.driver.type, cache: d.driver.cache, io: d.driver.io });
  if (d.source !== undefined) el(disk, "source", d.type === "block" ? { dev: d.source } : { file: d.source });
  el(disk, "target", { dev: d.target.dev, bus: d.target.bus });
  if (d.readonly) el(disk, "readonly");
  if (d.alias) el(disk, "alias", { name: d.alias });
  addAddress(disk, d.address);
}

function addController(devs: XMLBuilder, c: Controller): void {
  const ctl = el(devs, "controller", { type: c.type, index: c.index, model: c.model });
  addAddress(ctl, c.address);
}

function addInterface(devs: XMLBuilder, i: DomainInterface): void {
  const iface = el(devs, "interface", {
    type: i.type,
    managed: i.type === "hostdev" ? yesNo(i.managed) : undefined,
  });
  if (i.mac) el(iface, "mac", { address: i.mac });
  // libvirt prints a hostdev interface's <driver name='vfio'/> before its source.
  if (i.type === "hostdev" && i.driver) el(iface, "driver", { name: i.driver.name, queues: i.driver.queues });
  switch (i.type) {
    case "direct":
      el(iface, "source", { dev: i.source.dev, mode: i.source.mode });
      break;
    case "network":
      el(iface, "source", { network: i.source.network, portgroup: i.source.portgroup });
      break;
    case "bridge":
      el(iface, "source", { bridge: i.source.bridge });
      break;
    case "hostdev":
      addAddress(el(iface, "source"), i.source.address);
      break;
  }
  if (i.vlanTags && i.vlanTags.length > 0) {
    const vlan = el(iface, "vlan", { trunk: i.vlanTags.length > 1 ? "yes" : undefined });
    for (const id of i.vlanTags) el(vlan, "tag", { id });
  }
  if (i.target) el(iface, "target", { dev: i.target });
  if (i.model) el(iface, "model", { type: i.model });
  if (i.type !== "hostdev" && i.driver) el(iface, "driver", { name: i.driver.name, queues: i.driver.queues });
  if (i.mtu !== undefined) el(iface, "mtu", { size: i.mtu });
  if (i.alias) el(iface, "alias", { name: i.alias });
  addAddress(iface, i.address);
}

function addCharDevice(devs: XMLBuilder, name: "serial" | "console", c: CharDevice): void {
  const chr = el(devs, name, { type: c.type });
  if (c.sourcePath !== undefined) el(chr, "source", { path: c.sourcePath });
  if (c.log)
    el(chr, "log", {
      file: c.log.file,
      append: c.log.append === undefined ? undefined : c.log.append ? "on" : "off",
    });
  if (c.target) {
    const target = el(chr, "target", { type: c.target.type, port: c.target.port });
    if (c.target.model) el(target, "model", { name: c.target.model });
  }
  if (c.alias) el(chr, "alias", { name: c.alias });
}

function addRng(devs: XMLBuilder, r: Rng): void {
  const rng = el(devs, "rng", { model: r.model });
  el(rng, "backend", { model: r.backend.model }, r.backend.device);
  addAddress(rng, r.address);
}

function addDevices(dom: XMLBuilder, d: Devices): void {
  const devs = el(dom, "devices");
  if (d.emulator) el(devs, "emulator", {}, d.emulator);
  for (const disk of d.disks) addDisk(devs, disk);
  for (const c of d.controllers) addController(devs, c);
  for (const i of d.interfaces) addInterface(devs, i);
  for (const s of d.serials) addCharDevice(devs, "serial", s);
  for (const c of d.consoles) addCharDevice(devs, "console", c);
  for (const i of d.inputs) el(devs, "input", { type: i.type, bus: i.bus });
  for (const g of d.graphics) el(devs, "graphics", { type: g.type, autoport: g.autoport });
  for (const v of d.videos) el(el(devs, "video"), "model", { type: v.model });
  if (d.memballoon) el(devs, "memballoon", { model: d.memballoon.model });
  for (const r of d.rngs) addRng(devs, r);
}

function addCpu(dom: XMLBuilder, c: DomainCpu): void {
  const cpu = el(dom, "cpu", { mode: c.mode, check: c.check, match: c.match });
  if (c.model) el(cpu, "model", { fallback: c.model.fallback }, c.model.name);
  if (c.topology) {
    const t = c.topology;
    el(cpu, "topology", { sockets: t.sockets, dies: t.dies, cores: t.cores, threads: t.threads });
  }
  for (const f of c.features ?? []) el(cpu, "feature", { policy: f.policy, name: f.name });
}

const SERIALIZE = { headless: true, prettyPrint: true, indent: "  " } as const;

/** The domain as libvirt XML (no XML declaration, 2-space indent, trailing newline). */
export function domainToXml(d: DomainXml): string {
  const doc = create();
  const dom = el(doc, "domain", { type: d.type });
  el(dom, "name", {}, d.name);
  if (d.uuid) el(dom, "uuid", {}, d.uuid);
  if (d.description !== undefined) el(dom, "description", {}, d.description);
  if (d.metadata) {
    const m = d.metadata;
    const attrs: Record<string, string> = {};
    for (const k of ["topology", "vnf", "digest"] as const) if (m[k] !== undefined) attrs[k] = m[k];
    el(dom, "metadata").ele(NFVHOST_XMLNS, "nfvhost:vnf", attrs);
  }
  el(dom, "memory", { unit: "KiB" }, String(d.memoryKiB));
  if (d.currentMemoryKiB !== undefined) el(dom, "currentMemory", { unit: "KiB" }, String(d.currentMemoryKiB));
  if (d.memoryBacking) {
    const mb = el(dom, "memoryBacking");
    const hp = d.memoryBacking.hugepages;
    if (hp) {
      const hps = el(mb, "hugepages");
      for (const p of hp.pages) el(hps, "page", { size: p.sizeKiB, unit: "KiB", nodeset: p.nodeset });
    }
    // The seed's order (libvirt accepts either): locked before nosharepages.
    if (d.memoryBacking.locked) el(mb, "locked");
    if (d.memoryBacking.nosharepages) el(mb, "nosharepages");
  }
  el(
    dom,
    "vcpu",
    { placement: d.vcpu.placement, cpuset: d.vcpu.cpuset, current: d.vcpu.current },
    String(d.vcpu.count),
  );
  if (d.cputune) {
    const ct = el(dom, "cputune");
    for (const p of d.cputune.vcpupins) el(ct, "vcpupin", { vcpu: p.vcpu, cpuset: p.cpuset });
    if (d.cputune.emulatorpin) el(ct, "emulatorpin", { cpuset: d.cputune.emulatorpin.cpuset });
  }
  if (d.numatune) {
    const nt = el(dom, "numatune");
    const m = d.numatune.memory;
    if (m) el(nt, "memory", { mode: m.mode, nodeset: m.nodeset, placement: m.placement });
    for (const n of d.numatune.memnodes ?? [])
      el(nt, "memnode", { cellid: n.cellid, mode: n.mode, nodeset: n.nodeset });
  }
  const os = el(dom, "os");
  el(os, "type", { arch: d.os.type.arch, machine: d.os.type.machine }, d.os.type.value);
  if (d.os.kernel) el(os, "kernel", {}, d.os.kernel);
  if (d.os.initrd) el(os, "initrd", {}, d.os.initrd);
  if (d.os.cmdline !== undefined) el(os, "cmdline", {}, d.os.cmdline);
  for (const dev of d.os.boots) el(os, "boot", { dev });
  if (d.features) {
    const f = el(dom, "features");
    if (d.features.acpi) el(f, "acpi");
    if (d.features.apic) el(f, "apic");
    if (d.features.pae) el(f, "pae");
  }
  if (d.cpu) addCpu(dom, d.cpu);
  if (d.clock) {
    const clock = el(dom, "clock", { offset: d.clock.offset });
    for (const t of d.clock.timers) {
      el(clock, "timer", { name: t.name, tickpolicy: t.tickpolicy, present: yesNo(t.present) });
    }
  }
  if (d.onPoweroff) el(dom, "on_poweroff", {}, d.onPoweroff);
  if (d.onReboot) el(dom, "on_reboot", {}, d.onReboot);
  if (d.onCrash) el(dom, "on_crash", {}, d.onCrash);
  if (d.pm) {
    const pm = el(dom, "pm");
    if (d.pm.suspendToMem !== undefined) el(pm, "suspend-to-mem", { enabled: yesNo(d.pm.suspendToMem) });
    if (d.pm.suspendToDisk !== undefined) el(pm, "suspend-to-disk", { enabled: yesNo(d.pm.suspendToDisk) });
  }
  addDevices(dom, d.devices);
  return doc.end(SERIALIZE) + "\n";
}

/** The network as libvirt XML. */
export function networkToXml(n: NetworkXml): string {
  const doc = create();
  const net = el(doc, "network", { connections: n.connections });
  el(net, "name", {}, n.name);
  if (n.uuid) el(net, "uuid", {}, n.uuid);
  if (n.forward) {
    const f = n.forward;
    const fwd = el(net, "forward", { mode: f.mode, managed: yesNo(f.managed) });
    if (f.pf) el(fwd, "pf", { dev: f.pf });
    for (const dev of f.interfaces) el(fwd, "interface", { dev });
    for (const a of f.addresses) addAddress(fwd, a);
  }
  if (n.bridge)
    el(net, "bridge", {
      name: n.bridge.name,
      stp: n.bridge.stp === undefined ? undefined : n.bridge.stp ? "on" : "off",
      delay: n.bridge.delay,
    });
  if (n.mtu !== undefined) el(net, "mtu", { size: n.mtu });
  return doc.end(SERIALIZE) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Parser

/** The DOM slice the parser needs; xmlbuilder2's nodes implement the W3C DOM. */
interface DomNode {
  nodeType: number;
}
interface DomElement extends DomNode {
  localName: string;
  namespaceURI: string | null;
  getAttribute(name: string): string | null;
  childNodes: ArrayLike<DomNode>;
  textContent: string | null;
}

/** A read-only view of one element with the lookups the parser uses. */
class XmlElement {
  constructor(
    private readonly node: DomElement,
    readonly path: string,
  ) {}

  get name(): string {
    return this.node.localName;
  }

  get namespace(): string | null {
    return this.node.namespaceURI;
  }

  children(name?: string): XmlElement[] {
    const out: XmlElement[] = [];
    const nodes = this.node.childNodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (n.nodeType !== 1) continue;
      const e = n as DomElement;
      if (name === undefined || e.localName === name)
        out.push(new XmlElement(e, `${this.path}/${e.localName}`));
    }
    return out;
  }

  child(name: string): XmlElement | undefined {
    return this.children(name)[0];
  }

  attr(name: string): string | undefined {
    return this.node.getAttribute(name) ?? undefined;
  }

  text(): string {
    return (this.node.textContent ?? "").trim();
  }

  fail(expected: string, value?: unknown): never {
    throw new NfvError({ what: `libvirt XML ${this.path}`, value, expected, exitCode: 1 });
  }

  req(name: string): string {
    const v = this.attr(name);
    if (v === undefined) this.fail(`attribute ${name}=`);
    return v;
  }

  reqChild(name: string): XmlElement {
    return this.child(name) ?? this.fail(`a <${name}> element`);
  }

  int(name: string): number | undefined {
    const v = this.attr(name);
    return v === undefined ? undefined : toInt(v, this, name);
  }
}

function toInt(v: string, at: XmlElement, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) at.fail(`${what} to be an integer`, v);
  return n;
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return v === "yes" || v === "on";
}

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  KB: 1000,
  k: 1024,
  KiB: 1024,
  MB: 1000 ** 2,
  M: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1000 ** 3,
  G: 1024 ** 3,
  GiB: 1024 ** 3,
  TB: 1000 ** 4,
  T: 1024 ** 4,
  TiB: 1024 ** 4,
};

/** libvirt's scaled integers (<memory unit='GiB'>8</memory>) in KiB; no unit means KiB. */
function kib(e: XmlElement, value: string, unitAttr = "unit"): number {
  const unit = e.attr(unitAttr) ?? "KiB";
  const factor = UNIT_BYTES[unit];
  if (factor === undefined) e.fail(`a unit among ${Object.keys(UNIT_BYTES).join(", ")}`, unit);
  return Math.round((toInt(value, e, "size") * factor) / 1024);
}

function parseRoot(xml: string, rootName: string): XmlElement {
  let root: DomElement;
  try {
    root = create(xml).root().node as unknown as DomElement;
  } catch (e) {
    throw new NfvError({
      what: `libvirt ${rootName} XML`,
      value: (e as Error).message.split("\n")[0],
      expected: "well-formed XML",
      exitCode: 1,
    });
  }
  const top = new XmlElement(root, `/${root.localName}`);
  if (top.name !== rootName) top.fail(`a <${rootName}> root element`, top.name);
  return top;
}

function parseAddress(a: XmlElement | undefined): DeviceAddress | undefined {
  if (!a) return undefined;
  const type = a.req("type");
  if (type === "pci") return parsePci(a);
  if (type === "drive") {
    return {
      type: "drive",
      controller: a.int("controller") ?? 0,
      bus: a.int("bus") ?? 0,
      target: a.int("target") ?? 0,
      unit: a.int("unit") ?? 0,
    };
  }
  const attrs: Record<string, string> = {};
  for (const k of ["controller", "bus", "port", "slot", "function", "target", "unit", "domain"]) {
    const v = a.attr(k);
    if (v !== undefined) attrs[k] = v;
  }
  return { type: "other", addressType: type, attrs };
}

function parsePci(a: XmlElement): PciAddress {
  const mf = a.attr("multifunction");
  const out: PciAddress = {
    type: "pci",
    domain: a.int("domain") ?? 0,
    bus: toInt(a.req("bus"), a, "bus"),
    slot: toInt(a.req("slot"), a, "slot"),
    function: a.int("function") ?? 0,
  };
  if (mf !== undefined) out.multifunction = mf === "on";
  return out;
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function parseDisk(d: XmlElement): Disk {
  const type = d.attr("type") ?? "file";
  if (type !== "file" && type !== "block") d.fail("disk type file or block", type);
  const device = d.attr("device") ?? "disk";
  if (device !== "disk" && device !== "cdrom") d.fail("disk device disk or cdrom", device);
  const target = d.reqChild("target");
  const drv = d.child("driver");
  const src = d.child("source");
  return defined<Disk>({
    type,
    device,
    driver: drv
      ? defined({
          name: drv.req("name"),
          type: drv.attr("type") ?? "raw",
          cache: drv.attr("cache"),
          io: drv.attr("io"),
        })
      : undefined,
    source: src ? (type === "block" ? src.attr("dev") : src.attr("file")) : undefined,
    target: { dev: target.req("dev"), bus: (target.attr("bus") ?? "virtio") as Disk["target"]["bus"] },
    readonly: d.child("readonly") ? true : undefined,
    alias: d.child("alias")?.attr("name"),
    address: parseAddress(d.child("address")),
  });
}

function parseInterface(i: XmlElement): DomainInterface | undefined {
  const type = i.req("type");
  const src = i.child("source");
  const drv = i.child("driver");
  const tags = i
    .child("vlan")
    ?.children("tag")
    .map((t) => toInt(t.req("id"), t, "id"));
  const common = {
    mac: i.child("mac")?.attr("address")?.toLowerCase(),
    model: i.child("model")?.attr("type"),
    vlanTags: tags && tags.length > 0 ? tags : undefined,
    driver: drv ? defined({ name: drv.attr("name"), queues: drv.int("queues") }) : undefined,
    mtu: i.child("mtu")?.int("size"),
    target: i.child("target")?.attr("dev"),
    alias: i.child("alias")?.attr("name"),
    address: parseAddress(i.child("address")),
  };
  const need = (): XmlElement => src ?? i.fail("a <source> element");
  switch (type) {
    case "direct": {
      const s = need();
      return defined({
        ...common,
        type,
        source: { dev: s.req("dev"), mode: (s.attr("mode") ?? "vepa") as "bridge" },
      });
    }
    case "network": {
      const s = need();
      return defined({
        ...common,
        type,
        source: defined({ network: s.req("network"), portgroup: s.attr("portgroup") }),
      });
    }
    case "bridge":
      return defined({ ...common, type, source: { bridge: need().req("bridge") } });
    case "hostdev": {
      const a = need().reqChild("address");
      return defined({
        ...common,
        type,
        managed: bool(i.attr("managed")) ?? false,
        source: { address: parsePci(a) },
      });
    }
    default:
      // user, vhostuser, ethernet...: not something nfvhost renders; verify reports it by count.
      return undefined;
  }
}

function parseChar(c: XmlElement): CharDevice {
  const t = c.child("target");
  const log = c.child("log");
  return defined<CharDevice>({
    type: c.req("type") as CharDevice["type"],
    sourcePath: c.child("source")?.attr("path"),
    log: log ? defined({ file: log.req("file"), append: bool(log.attr("append")) }) : undefined,
    target: t
      ? defined({ type: t.attr("type"), port: t.int("port"), model: t.child("model")?.attr("name") })
      : undefined,
    alias: c.child("alias")?.attr("name"),
  });
}

function parseDevices(d: XmlElement): Devices {
  const emulator = d.child("emulator")?.text();
  const devices: Devices = {
    disks: d.children("disk").map(parseDisk),
    controllers: d.children("controller").map((c) =>
      defined({
        type: c.req("type"),
        index: c.int("index") ?? 0,
        model: c.attr("model"),
        address: parseAddress(c.child("address")),
      }),
    ),
    interfaces: d.children("interface").flatMap((i) => parseInterface(i) ?? []),
    serials: d.children("serial").map(parseChar),
    consoles: d.children("console").map(parseChar),
    inputs: d.children("input").map((i) => defined({ type: i.req("type"), bus: i.attr("bus") })),
    graphics: d
      .children("graphics")
      .map((g) => defined({ type: g.req("type"), autoport: bool(g.attr("autoport")) })),
    videos: d.children("video").map((v) => ({ model: v.child("model")?.attr("type") ?? "default" })),
    rngs: d.children("rng").map((r) => {
      const b = r.reqChild("backend");
      return defined<Rng>({
        model: r.req("model") as Rng["model"],
        backend: { model: b.req("model") as "random", device: b.text() },
        address: parseAddress(r.child("address")),
      });
    }),
  };
  const balloon = d.child("memballoon");
  if (balloon) devices.memballoon = { model: balloon.req("model") };
  // Only an <emulator> that is present goes into the model, so build(parse(x)) keeps x's shape.
  return emulator ? { emulator, ...devices } : devices;
}

function parseCpu(c: XmlElement): DomainCpu {
  const model = c.child("model");
  const topo = c.child("topology");
  const features = c
    .children("feature")
    .map((f) => ({ policy: f.attr("policy") ?? "require", name: f.req("name") }));
  return defined<DomainCpu>({
    mode: c.attr("mode") as DomainCpu["mode"],
    check: c.attr("check") as DomainCpu["check"],
    match: c.attr("match") as DomainCpu["match"],
    model: model
      ? defined({ name: model.text(), fallback: model.attr("fallback") as "allow" | undefined })
      : undefined,
    topology: topo
      ? defined({
          sockets: topo.int("sockets") ?? 1,
          dies: topo.int("dies"),
          cores: topo.int("cores") ?? 1,
          threads: topo.int("threads") ?? 1,
        })
      : undefined,
    features: features.length > 0 ? features : undefined,
  });
}

/** Reads a domain XML (a rendered file or `virsh dumpxml`) into the typed model. */
export function parseDomainXml(xml: string): DomainXml {
  const d: XmlElement = parseRoot(xml, "domain");
  const type = d.req("type");
  if (type !== "kvm" && type !== "qemu") d.fail("domain type kvm or qemu", type);
  const memory = d.reqChild("memory");
  const current = d.child("currentMemory");
  const mb = d.child("memoryBacking");
  const vcpu = d.reqChild("vcpu");
  const ct = d.child("cputune");
  const nt = d.child("numatune");
  const os = d.reqChild("os");
  const osType = os.reqChild("type");
  const feats = d.child("features");
  const cpu = d.child("cpu");
  const clock = d.child("clock");
  const pm = d.child("pm");
  const action = (name: string) => d.child(name)?.text() as LifecycleAction | undefined;
  const hp = mb?.child("hugepages");
  const numaMem = nt?.child("memory");
  const memnodes = nt
    ?.children("memnode")
    .map((n) => ({ cellid: n.int("cellid") ?? 0, mode: n.req("mode"), nodeset: n.req("nodeset") }));
  const pmFlag = (name: string) => {
    const e = pm?.child(name);
    return e ? bool(e.attr("enabled")) : undefined;
  };

  const meta = d
    .child("metadata")
    ?.children("vnf")
    .find((m) => m.namespace === NFVHOST_XMLNS);

  return defined<DomainXml>({
    type,
    name: d.reqChild("name").text(),
    uuid: d.child("uuid")?.text(),
    description: d.child("description")?.text(),
    metadata: meta
      ? defined<NfvhostMetadata>({
          topology: meta.attr("topology"),
          vnf: meta.attr("vnf"),
          digest: meta.attr("digest"),
        })
      : undefined,
    memoryKiB: kib(memory, memory.text()),
    currentMemoryKiB: current ? kib(current, current.text()) : undefined,
    memoryBacking: mb
      ? defined({
          hugepages: hp
            ? {
                pages: hp
                  .children("page")
                  .map((p) => defined({ sizeKiB: kib(p, p.req("size")), nodeset: p.attr("nodeset") })),
              }
            : undefined,
          locked: mb.child("locked") ? true : undefined,
          nosharepages: mb.child("nosharepages") ? true : undefined,
        })
      : undefined,
    vcpu: defined({
      count: toInt(vcpu.text(), vcpu, "vcpu count"),
      placement: vcpu.attr("placement") as "static" | undefined,
      cpuset: vcpu.attr("cpuset"),
      current: vcpu.int("current"),
    }),
    cputune: ct
      ? defined({
          vcpupins: ct
            .children("vcpupin")
            .map((p) => ({ vcpu: toInt(p.req("vcpu"), p, "vcpu"), cpuset: p.req("cpuset") })),
          emulatorpin: ct.child("emulatorpin")
            ? { cpuset: ct.child("emulatorpin")!.req("cpuset") }
            : undefined,
        })
      : undefined,
    numatune: nt
      ? defined({
          memory: numaMem
            ? defined({
                mode: (numaMem.attr("mode") ?? "strict") as "strict",
                nodeset: numaMem.attr("nodeset"),
                placement: numaMem.attr("placement") as "static" | undefined,
              })
            : undefined,
          memnodes: memnodes && memnodes.length > 0 ? memnodes : undefined,
        })
      : undefined,
    os: defined({
      type: defined({
        arch: osType.attr("arch"),
        machine: osType.attr("machine"),
        value: osType.text() as "hvm",
      }),
      boots: os.children("boot").map((b) => b.req("dev")),
      kernel: os.child("kernel")?.text(),
      initrd: os.child("initrd")?.text(),
      cmdline: os.child("cmdline")?.text(),
    }),
    features: feats
      ? defined({
          acpi: feats.child("acpi") ? true : undefined,
          apic: feats.child("apic") ? true : undefined,
          pae: feats.child("pae") ? true : undefined,
        })
      : undefined,
    cpu: cpu ? parseCpu(cpu) : undefined,
    clock: clock
      ? {
          offset: (clock.attr("offset") ?? "utc") as "utc",
          timers: clock.children("timer").map((t) =>
            defined<ClockTimer>({
              name: t.req("name"),
              tickpolicy: t.attr("tickpolicy") as ClockTimer["tickpolicy"],
              present: bool(t.attr("present")),
            }),
          ),
        }
      : undefined,
    onPoweroff: action("on_poweroff"),
    onReboot: action("on_reboot"),
    onCrash: action("on_crash"),
    pm: pm
      ? defined({ suspendToMem: pmFlag("suspend-to-mem"), suspendToDisk: pmFlag("suspend-to-disk") })
      : undefined,
    devices: parseDevices(d.child("devices") ?? d.fail("a <devices> element")),
  });
}

/** Reads a network XML (a rendered file or `virsh net-dumpxml`) into the typed model. */
export function parseNetworkXml(xml: string): NetworkXml {
  const n: XmlElement = parseRoot(xml, "network");
  const fwd = n.child("forward");
  const br = n.child("bridge");
  return defined<NetworkXml>({
    name: n.reqChild("name").text(),
    uuid: n.child("uuid")?.text(),
    connections: n.int("connections"),
    forward: fwd
      ? defined({
          mode: (fwd.attr("mode") ?? "nat") as NetworkForwardMode,
          managed: bool(fwd.attr("managed")),
          pf: fwd.child("pf")?.req("dev"),
          interfaces: fwd.children("interface").map((i) => i.req("dev")),
          addresses: fwd.children("address").map(parsePci),
        })
      : undefined,
    bridge: br
      ? defined({ name: br.req("name"), stp: bool(br.attr("stp")), delay: br.int("delay") })
      : undefined,
    mtu: n.child("mtu")?.int("size"),
  });
}
