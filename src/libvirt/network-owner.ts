/**
 * Which libvirt networks nfvhost created: like its domains, each network it defines carries
 * `<metadata><nfvhost:network xmlns:nfvhost=.. topology=../></metadata>` (libvirt keeps network
 * metadata, 9.0 included). A network without it belongs to someone else and apply leaves it alone
 * unless --adopt. The renderer produces the bare network; the mark is added here, at the point
 * where apply decides what it owns.
 */
import { create } from "xmlbuilder2";
import { NFVHOST_XMLNS } from "./domain-xml.js";

const SERIALIZE = { headless: true, prettyPrint: true, indent: "  " } as const;

interface DomEl {
  nodeType: number;
  localName: string;
  namespaceURI: string | null;
  getAttribute(name: string): string | null;
  nodeName: string;
  nextSibling: DomEl | null;
  childNodes: ArrayLike<DomEl>;
  insertBefore(node: DomEl, before: DomEl | null): DomEl;
}

function elements(e: DomEl): DomEl[] {
  return Array.from(e.childNodes).filter((c) => c.nodeType === 1);
}

function rootOf(xml: string): DomEl {
  return create(xml).root().node as unknown as DomEl;
}

/**
 * The network XML with nfvhost's ownership mark; an older mark is replaced, other tools'
 * metadata is kept.
 */
export function markNetworkXml(xml: string, topology: string): string {
  const doc = create(xml);
  const root = doc.root();
  const existing = root.find((n) => n.node.nodeName === "metadata", false, false);
  const meta = existing ?? root.ele("metadata");
  for (const m of meta.filter((n) => isMark(n.node as unknown as DomEl), false, false)) m.remove();
  meta.ele(NFVHOST_XMLNS, "nfvhost:network", { topology });
  if (!existing) {
    // libvirt's schema interleaves <network> children; keep <name> first for people reading it.
    const parent = root.node as unknown as DomEl;
    const name = Array.from(parent.childNodes).find((c) => c.nodeName === "name");
    if (name) parent.insertBefore(meta.node as unknown as DomEl, name.nextSibling);
  }
  return doc.end(SERIALIZE) + "\n";
}

/**
 * The network XML carrying the UUID of the network it redefines: libvirt refuses a definition
 * whose UUID (generated when absent) differs from the existing network of that name.
 */
export function withNetworkUuid(xml: string, uuid: string): string {
  const doc = create(xml);
  const root = doc.root();
  if (root.find((n) => n.node.nodeName === "uuid", false, false)) return xml;
  const el = root.ele("uuid").txt(uuid);
  const parent = root.node as unknown as DomEl;
  const name = Array.from(parent.childNodes).find((c) => c.nodeName === "name");
  if (name) parent.insertBefore(el.node as unknown as DomEl, name.nextSibling);
  return doc.end(SERIALIZE) + "\n";
}

function isMark(e: DomEl): boolean {
  return e.nodeType === 1 && e.namespaceURI === NFVHOST_XMLNS && e.localName === "network";
}

/** The topology that created this network, or null when nfvhost did not create it. */
export function networkOwner(xml: string): { topology: string | null } | null {
  const meta = elements(rootOf(xml)).find((e) => e.localName === "metadata");
  const mark = meta && elements(meta).find(isMark);
  return mark ? { topology: mark.getAttribute("topology") } : null;
}
