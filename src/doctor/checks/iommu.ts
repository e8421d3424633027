/**
 * IOMMU: firmware tables (VT-d DMAR / AMD-Vi IVRS, the BIOS half virt-host-validate checks), the
 * kernel turning it on (cmdline, iommu groups), and iommu=pt as the seed sets it for SR-IOV.
 */
import type { HostFacts } from "../../facts/types.js";
import { kernelArgsFix } from "../fixes.js";
import type { DoctorCheck } from "../types.js";

function isAmd(facts: HostFacts): boolean {
  return facts.cpu.virtualization === "svm" || facts.cpu.vendor === "AuthenticAMD";
}

function enableArgs(facts: HostFacts): string[] {
  return isAmd(facts) ? ["amd_iommu=on", "iommu=pt"] : ["intel_iommu=on", "iommu=pt"];
}

function cmdlineArg(cmdline: string, key: string): string | null {
  const hit = cmdline.split(/\s+/).find((a) => a === key || a.startsWith(`${key}=`));
  return hit ?? null;
}

function firmware(facts: HostFacts): DoctorCheck {
  const amd = isAmd(facts);
  const table = amd ? "IVRS" : "DMAR";
  const base = {
    id: "iommu.firmware",
    area: "iommu",
    title: `IOMMU in firmware (ACPI ${table}: ${amd ? "AMD-Vi" : "Intel VT-d"})`,
  } as const;
  const tables = facts.kernel.iommu.acpiTables;
  const fromEvidence = facts.kernel.iommu.evidence.find((e) => /\b(DMAR|IVRS)\b/.test(e));
  if (tables === undefined || tables === null) {
    if (fromEvidence) return { ...base, status: "pass", evidence: fromEvidence };
    return {
      ...base,
      status: "info",
      evidence: `/sys/firmware/acpi/tables/${table} not visible (snapshot or unreadable); check dmesg | grep -e DMAR -e IOMMU`,
    };
  }
  if (tables.includes(table))
    return { ...base, status: "pass", evidence: `/sys/firmware/acpi/tables/${table} present` };
  return {
    ...base,
    status: "fail",
    evidence: `no /sys/firmware/acpi/tables/${table}: the IOMMU is disabled in the BIOS or not supported by this platform`,
    fix: amd
      ? "BIOS setup: IOMMU = Enabled (and SVM Mode = Enabled), then reboot"
      : "BIOS setup: Intel VT-d = Enabled (seed BIOS table), then reboot",
  };
}

function kernel(facts: HostFacts): DoctorCheck {
  const base = { id: "iommu.kernel", area: "iommu", title: "IOMMU enabled by the kernel" } as const;
  const iommu = facts.kernel.iommu;
  const groups = iommu.groups;
  const groupText =
    groups === undefined || groups === null ? "" : `; /sys/kernel/iommu_groups: ${groups} groups`;
  const evidence = (iommu.evidence.length ? iommu.evidence.join("; ") : "no IOMMU evidence") + groupText;
  const args = enableArgs(facts);
  if (iommu.enabled && groups !== 0) return { ...base, status: "pass", evidence };
  const arg = cmdlineArg(facts.kernel.cmdline, isAmd(facts) ? "amd_iommu" : "intel_iommu");
  return {
    ...base,
    status: "fail",
    evidence: `${evidence}; /proc/cmdline ${arg ? `has ${arg}` : `lacks ${args[0]}`}: VFs cannot be passed to routers`,
    fix: kernelArgsFix(facts, args),
  };
}

function passthrough(facts: HostFacts): DoctorCheck {
  const base = {
    id: "iommu.passthrough",
    area: "iommu",
    title: "iommu=pt (host devices bypass DMA translation)",
  } as const;
  const arg = cmdlineArg(facts.kernel.cmdline, "iommu");
  if (facts.kernel.iommu.passthrough)
    return { ...base, status: "pass", evidence: `/proc/cmdline: ${arg ?? "iommu=pt"}` };
  return {
    ...base,
    status: "warn",
    evidence: `/proc/cmdline: ${arg ?? "no iommu= argument"}; host-owned devices pay for IOMMU translation (the seed sets iommu=pt)`,
    fix: kernelArgsFix(facts, ["iommu=pt"]),
  };
}

export function iommuChecks(facts: HostFacts): DoctorCheck[] {
  return [firmware(facts), kernel(facts), passthrough(facts)];
}
