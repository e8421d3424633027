/** Day-0 formats by the id the kinds registry names (topology/kinds.ts Day0Medium.format). */
import type { Day0FormatId } from "../../../topology/kinds.js";
import { asaFormat } from "./asa.js";
import type { Day0Format } from "./common.js";
import { fortiosFormat } from "./fortios.js";
import { iosxeFormat } from "./iosxe.js";
import { iosxrFormat } from "./iosxr.js";
import { junosFormat } from "./junos.js";
import { panosFormat } from "./panos.js";
import { vyosFormat } from "./vyos.js";

export const DAY0_FORMATS: Readonly<Record<Day0FormatId, Day0Format>> = {
  iosxe: iosxeFormat,
  asa: asaFormat,
  iosxr: iosxrFormat,
  junos: junosFormat,
  "panos-bootstrap": panosFormat,
  "fortios-configdrive": fortiosFormat,
  "vyos-nocloud": vyosFormat,
};

export type { Day0Context, Day0Format, Day0Summary, FormatOutput } from "./common.js";
export { expectedSummary } from "./common.js";
