/**
 * The nfv-* formats used by ./schema.ts, each backed by one validator that returns the
 * expectation it missed (or null). ajv asks them yes/no; the loader asks them again for the words.
 */
import { parseCpuList } from "../util/cpulist.js";
import {
  validateAbsolutePath,
  validateBridgeName,
  validateEnvVarName,
  validateIfName,
  validateMac,
  validateNetworkName,
  validatePciAddress,
} from "../util/names.js";
import {
  validateCidr,
  validateClockTimezone,
  validateDay0InterfaceName,
  validateHost,
  validateHugepageSize,
  validateIosHostname,
  validateIp,
  validateIpv4,
  validatePrefix,
  validateSize,
} from "./values.js";

function validateCpuListText(value: string): string | null {
  try {
    parseCpuList(value);
    return null;
  } catch {
    return '"auto", a CPU list such as "1-8,37-44" or a list of CPU ids';
  }
}

/** A PF is named by its netdev (eno2) or its PCI address. */
function validatePf(value: string): string | null {
  if (validatePciAddress(value) === null || validateIfName(value) === null) return null;
  return "a PF interface name (e.g. eno2, at most 15 characters) or PCI address (e.g. 0000:3b:00.1)";
}

export const FORMATS: Readonly<Record<string, (value: string) => string | null>> = {
  "nfv-size": validateSize,
  "nfv-hugepage-size": validateHugepageSize,
  "nfv-mac": validateMac,
  "nfv-ifname": validateIfName,
  "nfv-bridge": validateBridgeName,
  "nfv-name": validateNetworkName,
  "nfv-pf": validatePf,
  "nfv-path": validateAbsolutePath,
  "nfv-env": validateEnvVarName,
  "nfv-cidr": validateCidr,
  "nfv-prefix": validatePrefix,
  "nfv-ip": validateIp,
  "nfv-ipv4": validateIpv4,
  "nfv-host": validateHost,
  "nfv-ios-hostname": validateIosHostname,
  "nfv-timezone": validateClockTimezone,
  "nfv-day0-ifname": validateDay0InterfaceName,
  "nfv-cpulist": validateCpuListText,
};

/** A format as ajv takes it: yes/no. */
export interface AjvFormat {
  type: "string";
  validate: (value: string) => boolean;
}

/**
 * FORMATS as ajv format definitions. The generated validator (src/topology/generated/topology-validator.ts)
 * calls these by name, so the words and the yes/no come from the same functions.
 */
export const AJV_FORMATS: Readonly<Record<string, AjvFormat>> = Object.fromEntries(
  Object.entries(FORMATS).map(([name, validate]) => [
    name,
    { type: "string", validate: (v: string) => validate(v) === null },
  ]),
);
