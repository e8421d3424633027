/** libvirt XML for nfvhost: the typed model, its one builder and parser, and the plan renderers. */
export type * from "./model.js";
export { NFVHOST_XMLNS } from "./model.js";
export { domainToXml, networkToXml, parseDomainXml, parseNetworkXml } from "./xml.js";
export { buildDomain, renderDomainXml, pciAddressOf } from "./domain.js";
export type { DomainContext } from "./domain.js";
export { buildNetwork, renderNetworkXml } from "./network.js";
