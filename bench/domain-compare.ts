/**
 * "The same domain": the tuning-relevant facts of two libvirt domain XMLs, compared field by field,
 * so that the CLI-latency benchmark can show virt-install really produced what nfvhost renders.
 */
import { create } from "xmlbuilder2";

/** The slice of the W3C DOM xmlbuilder2's nodes implement that this module reads. */
interface El {
  nodeName: string;
  textContent: string | null;
  parentNode: { nodeName: string } | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(tag: string): ArrayLike<El>;
}

const UNIT_KIB: Record<string, number> = { KiB: 1, k: 1, K: 1, M: 1024, MiB: 1024, G: 1048576, GiB: 1048576 };

function kib(value: string | null, unit: string | null): string {
  return String(Number(value ?? 0) * (UNIT_KIB[unit ?? "KiB"] ?? 1));
}

/** Field -> normalised value, for the facts that decide how the guest is placed and wired. */
export function domainFacts(xml: string): Record<string, string> {
  const d = create(xml).node as unknown as El;
  const all = (tag: string) => Array.from(d.getElementsByTagName(tag));
  const one = (tag: string) => all(tag)[0] ?? null;
  const memory = one("memory");
  const page = one("page");
  const numaMemory = all("memory").find((m) => m.parentNode?.nodeName === "numatune") ?? null;
  const disk = all("disk").find((x) => x.getAttribute("device") === "disk") ?? null;
  const ifaces = all("interface").filter((x) => x.parentNode?.nodeName === "devices");
  return {
    memoryKiB: kib(memory?.textContent ?? null, memory?.getAttribute("unit") ?? null),
    vcpus: one("vcpu")?.textContent?.trim() ?? "",
    vcpupin: all("vcpupin")
      .map((p) => `${p.getAttribute("vcpu")}:${p.getAttribute("cpuset")}`)
      .sort()
      .join(" "),
    emulatorpin: one("emulatorpin")?.getAttribute("cpuset") ?? "",
    numatune: numaMemory ? `${numaMemory.getAttribute("mode")} ${numaMemory.getAttribute("nodeset")}` : "",
    hugepageKiB: page ? kib(page.getAttribute("size"), page.getAttribute("unit")) : "",
    locked: String(one("locked") !== null),
    nosharepages: String(one("nosharepages") !== null),
    cpuMode: one("cpu")?.getAttribute("mode") ?? "",
    interfaces: ifaces
      .map(
        (i) => `${i.getAttribute("type")}/${i.getElementsByTagName("mac")[0]?.getAttribute("address") ?? ""}`,
      )
      .join(" "),
    disk: disk
      ? `${disk.getElementsByTagName("driver")[0]?.getAttribute("type") ?? ""}/${disk.getElementsByTagName("target")[0]?.getAttribute("bus") ?? ""}`
      : "",
  };
}

/** "field: a != b" for every field that differs. */
export function compareDomains(a: string, b: string): { fields: number; differences: string[] } {
  const fa = domainFacts(a);
  const fb = domainFacts(b);
  const differences = Object.keys(fa)
    .filter((k) => fa[k] !== fb[k])
    .map((k) => `${k}: ${JSON.stringify(fa[k])} != ${JSON.stringify(fb[k])}`);
  return { fields: Object.keys(fa).length, differences };
}
