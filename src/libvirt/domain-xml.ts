/**
 * The parts of a libvirt domain XML that nfvhost manages, from what we render and from what
 * `virsh dumpxml` returns, as one comparable summary (read with the typed parser of
 * render/libvirt). libvirt adds many defaults (addresses,
 * controllers, aliases) to what it stores, so desired and live are compared on this projection,
 * never as raw text; `projectionLines` turns it into XPath-like lines for the diff users see.
 */
import type { DomainInterface, PciAddress } from "./model.js";
import { parseDomainXml as parseTypedDomain, parseNetworkXml as parseTypedNetwork } from "./xml.js";
import { parseCpuList } from "../util/cpulist.js";

export { NFVHOST_XMLNS } from "./model.js";

export interface NfvhostMetadata {
  topology: string | null;
  vnf: string | null;
  /** Digest of the rendered XML that defined the domain. */
  digest: string | null;
}

export interface DomainInterfaceSummary {
  type: string;
  /** dev for direct, bridge for bridge, network for network, PCI address for hostdev. */
  source: string | null;
  mode: string | null;
  mac: string | null;
  model: string | null;
  /** Host-side device name (live XML only): vnet0, macvtap0. */
  target: string | null;
}

export interface DomainSummary {
  name: string;
  type: string;
  uuid: string | null;
  metadata: NfvhostMetadata | null;
  vcpus: number;
  memoryKiB: number;
  currentMemoryKiB: number | null;
  hugepageSizeKiB: number | null;
  locked: boolean;
  vcpuPins: Record<number, number[]>;
  emulatorPin: number[] | null;
  numatune: { mode: string | null; nodeset: number[] } | null;
  interfaces: DomainInterfaceSummary[];
  disks: { device: string; source: string | null }[];
  kernel: string | null;
  initrd: string | null;
  cmdline: string | null;
}

/** libvirt's memory units in KiB (for callers reading units outside the typed parser). */
const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1_000_000 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
};

export function toKiB(value: string | null, unit: string | null): number | null {
  if (value === null) return null;
  const factor = UNIT_KIB[(unit ?? "KiB").toLowerCase()];
  if (factor === undefined || !/^\d+$/.test(value.trim())) return null;
  return Math.round(Number(value) * factor);
}

function pciText(a: PciAddress): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `${h(a.domain, 4)}:${h(a.bus, 2)}:${h(a.slot, 2)}.${a.function}`;
}

function interfaceSummary(i: DomainInterface): DomainInterfaceSummary {
  const base = { mac: i.mac?.toLowerCase() ?? null, model: i.model ?? null, target: i.target ?? null };
  switch (i.type) {
    case "direct":
      return { type: i.type, source: i.source.dev, mode: i.source.mode, ...base };
    case "bridge":
      return { type: i.type, source: i.source.bridge, mode: null, ...base };
    case "network":
      return { type: i.type, source: i.source.network, mode: null, ...base };
    case "hostdev":
      return { type: i.type, source: pciText(i.source.address), mode: null, ...base };
  }
}

/** The summary of a domain XML, read with the one libvirt XML parser (libvirt/xml.ts). */
export function parseDomainXml(xml: string): DomainSummary {
  const d = parseTypedDomain(xml);
  const vcpuPins: Record<number, number[]> = {};
  for (const p of d.cputune?.vcpupins ?? []) vcpuPins[p.vcpu] = parseCpuList(p.cpuset);
  const hp = d.memoryBacking?.hugepages;
  const nm = d.numatune?.memory;
  return {
    name: d.name,
    type: d.type,
    uuid: d.uuid ?? null,
    metadata: d.metadata
      ? {
          topology: d.metadata.topology ?? null,
          vnf: d.metadata.vnf ?? null,
          digest: d.metadata.digest ?? null,
        }
      : null,
    vcpus: d.vcpu.count,
    memoryKiB: d.memoryKiB,
    currentMemoryKiB: d.currentMemoryKiB ?? null,
    hugepageSizeKiB: hp ? (hp.pages[0]?.sizeKiB ?? 0) : null,
    locked: d.memoryBacking?.locked === true,
    vcpuPins,
    emulatorPin: d.cputune?.emulatorpin ? parseCpuList(d.cputune.emulatorpin.cpuset) : null,
    numatune: nm ? { mode: nm.mode ?? null, nodeset: nm.nodeset ? parseCpuList(nm.nodeset) : [] } : null,
    interfaces: d.devices.interfaces.map(interfaceSummary),
    disks: d.devices.disks.map((x) => ({ device: x.device, source: x.source ?? null })),
    kernel: d.os.kernel ?? null,
    initrd: d.os.initrd ?? null,
    cmdline: d.os.cmdline ?? null,
  };
}

const list = (a: number[] | null | undefined) => (a && a.length ? a.join(",") : "-");

/**
 * The managed fields as "xpath = value" lines, in a stable order, so a line diff of two summaries
 * is the XML diff that matters. Host-side names (vnet0) and the digest are left out on purpose.
 */
export function projectionLines(s: DomainSummary): string[] {
  const out = [
    `/domain/@type = ${s.type}`,
    `/domain/vcpu = ${s.vcpus}`,
    `/domain/memory = ${s.memoryKiB} KiB`,
    `/domain/currentMemory = ${s.currentMemoryKiB ?? s.memoryKiB} KiB`,
    `/domain/memoryBacking/hugepages/page/@size = ${s.hugepageSizeKiB === null ? "(none)" : `${s.hugepageSizeKiB} KiB`}`,
    `/domain/memoryBacking/locked = ${s.locked ? "yes" : "no"}`,
  ];
  for (const [vcpu, cpus] of Object.entries(s.vcpuPins).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    out.push(`/domain/cputune/vcpupin[@vcpu=${vcpu}]/@cpuset = ${list(cpus)}`);
  }
  out.push(`/domain/cputune/emulatorpin/@cpuset = ${list(s.emulatorPin)}`);
  out.push(
    `/domain/numatune/memory = ${s.numatune ? `mode=${s.numatune.mode ?? "strict"} nodeset=${list(s.numatune.nodeset)}` : "(none)"}`,
  );
  s.interfaces.forEach((i, n) => {
    out.push(
      `/domain/devices/interface[${n + 1}] = type=${i.type} source=${i.source ?? "-"}${i.mode ? ` mode=${i.mode}` : ""} mac=${i.mac ?? "-"} model=${i.model ?? "-"}`,
    );
  });
  s.disks.forEach((d, n) => out.push(`/domain/devices/disk[${n + 1}] = ${d.device} ${d.source ?? "-"}`));
  if (s.kernel) out.push(`/domain/os/kernel = ${s.kernel}`);
  if (s.initrd) out.push(`/domain/os/initrd = ${s.initrd}`);
  if (s.cmdline) out.push(`/domain/os/cmdline = ${s.cmdline}`);
  return out;
}

export interface NetworkSummary {
  name: string;
  uuid: string | null;
  forwardMode: string | null;
  managed: boolean | null;
  pf: string | null;
  forwardDevs: string[];
  bridge: string | null;
}

export function parseNetworkXml(xml: string): NetworkSummary {
  const n = parseTypedNetwork(xml);
  return {
    name: n.name,
    uuid: n.uuid ?? null,
    forwardMode: n.forward?.mode ?? null,
    managed: n.forward?.managed ?? null,
    pf: n.forward?.pf ?? null,
    forwardDevs: n.forward?.interfaces ?? [],
    bridge: n.bridge?.name ?? null,
  };
}

export function networkProjectionLines(n: NetworkSummary): string[] {
  return [
    `/network/forward/@mode = ${n.forwardMode ?? "(none)"}`,
    `/network/forward/@managed = ${n.managed === null ? "-" : n.managed ? "yes" : "no"}`,
    `/network/forward/pf/@dev = ${n.pf ?? "-"}`,
    `/network/forward/interface/@dev = ${n.forwardDevs.join(",") || "-"}`,
    `/network/bridge/@name = ${n.bridge ?? "-"}`,
  ];
}
