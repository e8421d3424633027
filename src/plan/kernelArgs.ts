/**
 * Kernel command line for the host, in the order the seed guide writes it, and what differs from
 * the running kernel (those differences take a reboot).
 */
import { formatCpuList, parseCpuList } from "../util/cpulist.js";
import type { KernelArg, KernelArgChange, KernelArgsPlan } from "./types.js";
import { pageSizeText } from "./hostModel.js";

export interface KernelArgsInput {
  cmdline: string;
  vendor: "intel" | "amd";
  pageSizeKiB: number;
  bootPages: number;
  isolated: number[];
  nohzFull: boolean;
}

function sizeKiB(text: string): number | null {
  const m = /^(\d+)([KMG]?)B?$/i.exec(text.trim());
  if (!m) return null;
  const unit = m[2]!.toUpperCase();
  return Number(m[1]) * (unit === "G" ? 1024 * 1024 : unit === "M" ? 1024 : 1);
}

function cpusOf(value: string | null): string | null {
  if (value === null) return null;
  // isolcpus may carry flags before the list: isolcpus=domain,managed_irq,1-8
  const list = value
    .split(",")
    .filter((p) => /^\d/.test(p))
    .join(",");
  try {
    return formatCpuList(parseCpuList(list));
  } catch {
    return value;
  }
}

/** What the running kernel has for a key, read the way the kernel reads it. */
function runningValue(tokens: string[], key: string, pageSizeKiB: number): string | null {
  const values = (k: string): string[] =>
    tokens
      .filter((t) => t === k || t.startsWith(`${k}=`))
      .map((t) => (t.includes("=") ? t.slice(k.length + 1) : ""));
  if (key === "hugepages") {
    // hugepages= belongs to the hugepagesz= before it.
    let current: number | null = null;
    let found: string | null = null;
    for (const t of tokens) {
      if (t.startsWith("hugepagesz=")) current = sizeKiB(t.slice(11));
      else if (t.startsWith("hugepages=") && (current === pageSizeKiB || current === null))
        found = t.slice(10);
    }
    return found;
  }
  const all = values(key);
  if (all.length === 0) return null;
  if (key === "hugepagesz") return all.find((v) => sizeKiB(v) === pageSizeKiB) ?? all[all.length - 1]!;
  return all[all.length - 1]!;
}

function same(key: string, want: string | null, have: string | null): boolean {
  if (want === null || have === null) return want === have;
  if (key === "hugepagesz" || key === "default_hugepagesz") return sizeKiB(want) === sizeKiB(have);
  if (key === "isolcpus" || key === "nohz_full" || key === "rcu_nocbs") return cpusOf(want) === cpusOf(have);
  return want === have;
}

export function planKernelArgs(input: KernelArgsInput): KernelArgsPlan {
  const args: KernelArg[] = [];
  const size = pageSizeText(input.pageSizeKiB);
  if (input.bootPages > 0) {
    args.push({ key: "hugepagesz", value: size });
    args.push({ key: "hugepages", value: String(input.bootPages) });
    args.push({ key: "default_hugepagesz", value: size });
  }
  args.push({ key: input.vendor === "amd" ? "amd_iommu" : "intel_iommu", value: "on" });
  args.push({ key: "iommu", value: "pt" });
  const isolated = formatCpuList(input.isolated);
  if (isolated) args.push({ key: "isolcpus", value: isolated });
  if (isolated && input.nohzFull) {
    args.push({ key: "nohz_full", value: isolated });
    args.push({ key: "rcu_nocbs", value: isolated });
  }
  const tokens = input.cmdline.split(/\s+/).filter(Boolean);
  const changes: KernelArgChange[] = [];
  for (const a of args) {
    const have = runningValue(tokens, a.key, input.pageSizeKiB);
    if (!same(a.key, a.value, have)) changes.push({ key: a.key, want: a.value, have });
  }
  // CPU isolation the plan no longer wants must go too, or the host keeps idle isolated CPUs.
  for (const key of ["isolcpus", "nohz_full", "rcu_nocbs"]) {
    if (args.some((a) => a.key === key)) continue;
    const have = runningValue(tokens, key, input.pageSizeKiB);
    if (have !== null) changes.push({ key, want: null, have });
  }
  const line = args.map((a) => (a.value === null ? a.key : `${a.key}=${a.value}`)).join(" ");
  return { args, line, changes, needsReboot: changes.length > 0 };
}
