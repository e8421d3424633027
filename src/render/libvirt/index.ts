/** libvirt XML for nfvhost: the typed model, its one builder and parser, and the plan renderers. */
export type * from "../../libvirt/model.js";
export { NFVHOST_XMLNS } from "../../libvirt/model.js";
export { domainToXml, networkToXml, parseDomainXml, parseNetworkXml } from "../../libvirt/xml.js";
export { buildDomain, renderDomainXml, pciAddressOf } from "./domain.js";
export type { DomainContext } from "./domain.js";
export { buildNetwork, renderNetworkXml } from "./network.js";
