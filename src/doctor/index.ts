/**
 * nfvhost doctor: audits HostFacts against the seed guide's checklist, virt-host-validate's QEMU
 * checks and the usual NFV tuning. Pure: facts in, report out; the CLI does the reading and printing.
 */
import { printable } from "../util/errors.js";
import type { HostFacts } from "../facts/types.js";
import { biosChecks } from "./checks/bios.js";
import { cpuChecks } from "./checks/cpu.js";
import { hugepageChecks } from "./checks/hugepages.js";
import { iommuChecks } from "./checks/iommu.js";
import { osChecks } from "./checks/os.js";
import { powerChecks } from "./checks/power.js";
import { sriovChecks } from "./checks/sriov.js";
import { sysctlChecks } from "./checks/sysctl.js";
import { virtualizationChecks } from "./checks/virtualization.js";
import { CHECK_AREAS, type DoctorCheck, type DoctorReport, type DoctorSummary } from "./types.js";

export type { CheckArea, CheckStatus, DoctorCheck, DoctorReport, DoctorSummary } from "./types.js";

/** Drops absent fixes so the JSON has the same keys in the same order whatever produced a check. */
function normalise(c: DoctorCheck): DoctorCheck {
  const out: DoctorCheck = { id: c.id, area: c.area, title: c.title, status: c.status, evidence: c.evidence };
  if (c.fix) out.fix = c.fix;
  return out;
}

export function summarise(checks: readonly DoctorCheck[]): DoctorSummary {
  const s: DoctorSummary = { pass: 0, warn: 0, fail: 0, info: 0 };
  for (const c of checks) s[c.status]++;
  return s;
}

export function runDoctor(facts: HostFacts): DoctorReport {
  const all = [
    ...virtualizationChecks(facts),
    ...iommuChecks(facts),
    ...hugepageChecks(facts),
    ...cpuChecks(facts),
    ...powerChecks(facts),
    ...sriovChecks(facts),
    ...osChecks(facts),
    ...sysctlChecks(facts),
    ...biosChecks(facts),
  ].map(normalise);
  const order = new Map(CHECK_AREAS.map((a, i) => [a, i]));
  // Stable sort: areas in report order, checks within an area in the order their module emits them.
  const checks = all
    .map((c, i) => ({ c, i }))
    .sort((a, b) => order.get(a.c.area)! - order.get(b.c.area)! || a.i - b.i)
    .map((x) => x.c);
  const ids = new Set<string>();
  for (const c of checks) {
    if (ids.has(c.id)) throw new Error(`doctor: duplicate check id ${c.id}`);
    ids.add(c.id);
  }
  // Strings that come from the host or a snapshot are printed: never with their escape sequences.
  const clean = (c: (typeof checks)[number]) =>
    JSON.parse(JSON.stringify(c), (_k, v: unknown) => (typeof v === "string" ? printable(v) : v)) as typeof c;
  return {
    host: printable(facts.hostname ?? facts.root),
    summary: summarise(checks),
    checks: checks.map(clean),
  };
}

export function failedChecks(report: DoctorReport): DoctorCheck[] {
  return report.checks.filter((c) => c.status === "fail");
}
