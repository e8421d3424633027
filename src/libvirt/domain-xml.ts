/**
 * Reads the parts of a libvirt domain XML that nfvhost manages, from what we render and from what
 * `virsh dumpxml` returns, into one comparable summary. libvirt adds many defaults (addresses,
 * controllers, aliases) to what it stores, so desired and live are compared on this projection,
 * never as raw text; `projectionLines` turns it into XPath-like lines for the diff users see.
 */
import { create } from "xmlbuilder2";
import { parseCpuList } from "../util/cpulist.js";
import { NfvError } from "../util/errors.js";

export const NFVHOST_XMLNS = "https://nfvhost.dev/xmlns/1";

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

type El = {
  nodeType: number;
  nodeName: string;
  localName: string;
  namespaceURI: string | null;
  childNodes: Iterable<El>;
  textContent: string | null;
  getAttribute(name: string): string | null;
};

function kids(el: El | undefined, name: string): El[] {
  if (!el) return [];
  return [...el.childNodes].filter((n) => n.nodeType === 1 && n.localName === name && !n.namespaceURI);
}
function kid(el: El | undefined, name: string): El | undefined {
  return kids(el, name)[0];
}
function text(el: El | undefined): string | null {
  const t = el?.textContent?.trim();
  return t ? t : null;
}

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

function pciOf(addr: El | undefined): string | null {
  if (!addr) return null;
  const h = (a: string, w: number) =>
    (addr.getAttribute(a) ?? "0").replace(/^0x/, "").padStart(w, "0").toLowerCase();
  return `${h("domain", 4)}:${h("bus", 2)}:${h("slot", 2)}.${(addr.getAttribute("function") ?? "0").replace(/^0x/, "")}`;
}

export function parseDomainXml(xml: string): DomainSummary {
  let root: El;
  try {
    root = create(xml).root().node as unknown as El;
  } catch (e) {
    throw new NfvError({ what: "domain XML", value: (e as Error).message.split("\n")[0], expected: "well-formed XML" });
  }
  if (root.localName !== "domain") {
    throw new NfvError({ what: "domain XML", value: root.localName, expected: "a <domain> root element" });
  }
  const metaEl = [...(kid(root, "metadata")?.childNodes ?? [])].find(
    (n) => n.nodeType === 1 && n.namespaceURI === NFVHOST_XMLNS && n.localName === "vnf",
  );
  const memEl = kid(root, "memory");
  const curEl = kid(root, "currentMemory");
  const mb = kid(root, "memoryBacking");
  const hp = kid(mb, "hugepages");
  const page = kid(hp, "page");
  const cputune = kid(root, "cputune");
  const vcpuPins: Record<number, number[]> = {};
  for (const p of kids(cputune, "vcpupin")) {
    vcpuPins[Number(p.getAttribute("vcpu"))] = parseCpuList(p.getAttribute("cpuset") ?? "");
  }
  const emu = kid(cputune, "emulatorpin");
  const numaMem = kid(kid(root, "numatune"), "memory");
  const devices = kid(root, "devices");
  const interfaces: DomainInterfaceSummary[] = kids(devices, "interface").map((i) => {
    const type = i.getAttribute("type") ?? "?";
    const src = kid(i, "source");
    let source: string | null = null;
    if (type === "direct") source = src?.getAttribute("dev") ?? null;
    else if (type === "bridge") source = src?.getAttribute("bridge") ?? null;
    else if (type === "network") source = src?.getAttribute("network") ?? null;
    else if (type === "hostdev") source = pciOf(kid(src, "address"));
    return {
      type,
      source,
      mode: src?.getAttribute("mode") ?? null,
      mac: kid(i, "mac")?.getAttribute("address")?.toLowerCase() ?? null,
      model: kid(i, "model")?.getAttribute("type") ?? null,
      target: kid(i, "target")?.getAttribute("dev") ?? null,
    };
  });
  const disks = kids(devices, "disk").map((d) => {
    const s = kid(d, "source");
    return { device: d.getAttribute("device") ?? "disk", source: s?.getAttribute("file") ?? s?.getAttribute("dev") ?? null };
  });
  const os = kid(root, "os");
  return {
    name: text(kid(root, "name")) ?? "",
    type: root.getAttribute("type") ?? "?",
    uuid: text(kid(root, "uuid")),
    metadata: metaEl
      ? {
          topology: metaEl.getAttribute("topology"),
          vnf: metaEl.getAttribute("vnf"),
          digest: metaEl.getAttribute("digest"),
        }
      : null,
    vcpus: Number(text(kid(root, "vcpu")) ?? "0"),
    memoryKiB: toKiB(text(memEl), memEl?.getAttribute("unit") ?? null) ?? 0,
    currentMemoryKiB: toKiB(text(curEl), curEl?.getAttribute("unit") ?? null),
    hugepageSizeKiB: hp ? (page ? toKiB(page.getAttribute("size"), page.getAttribute("unit")) : 0) : null,
    locked: kid(mb, "locked") !== undefined,
    vcpuPins,
    emulatorPin: emu ? parseCpuList(emu.getAttribute("cpuset") ?? "") : null,
    numatune: numaMem
      ? { mode: numaMem.getAttribute("mode"), nodeset: parseCpuList(numaMem.getAttribute("nodeset") ?? "") }
      : null,
    interfaces,
    disks,
    kernel: text(kid(os, "kernel")),
    initrd: text(kid(os, "initrd")),
    cmdline: text(kid(os, "cmdline")),
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
  forwardMode: string | null;
  managed: boolean | null;
  pf: string | null;
  forwardDevs: string[];
  bridge: string | null;
}

export function parseNetworkXml(xml: string): NetworkSummary {
  let root: El;
  try {
    root = create(xml).root().node as unknown as El;
  } catch (e) {
    throw new NfvError({ what: "network XML", value: (e as Error).message.split("\n")[0], expected: "well-formed XML" });
  }
  const fwd = kid(root, "forward");
  const managed = fwd?.getAttribute("managed");
  return {
    name: text(kid(root, "name")) ?? "",
    forwardMode: fwd?.getAttribute("mode") ?? null,
    managed: managed === null || managed === undefined ? null : managed === "yes",
    pf: kid(fwd, "pf")?.getAttribute("dev") ?? null,
    forwardDevs: kids(fwd, "interface")
      .map((i) => i.getAttribute("dev") ?? "")
      .filter(Boolean),
    bridge: kid(root, "bridge")?.getAttribute("name") ?? null,
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
