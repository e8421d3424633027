/**
 * Pure parsers for the kernel command line (/proc/cmdline), following the kernel's own rules:
 * quoting as next_arg() does, everything after "--" belongs to init, and the hugetlb rules of
 * mm/hugetlb.c (hugepagesz= opens a size, hugepages= counts for it, repeats are ignored).
 */
import { parseCpuList } from "../util/cpulist.js";
import type { IommuFact, KernelHugepageArg } from "./types.js";

export interface CmdlineArg {
  key: string;
  /** null for a bare flag such as "quiet". */
  value: string | null;
}

/** Problems found while parsing, reported as warnings against /proc/cmdline. */
export type CmdlineProblems = string[];

/** Splits a command line into key/value pairs as the kernel does (double quotes group spaces). */
export function tokenizeCmdline(cmdline: string): CmdlineArg[] {
  const out: CmdlineArg[] = [];
  let i = 0;
  const s = cmdline.trim();
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    let token = "";
    let quoted = false;
    while (i < s.length && (quoted || !/\s/.test(s[i]!))) {
      if (s[i] === '"') quoted = !quoted;
      else token += s[i];
      i++;
    }
    if (token === "--") break;
    const eq = token.indexOf("=");
    out.push(eq < 0 ? { key: token, value: null } : { key: token.slice(0, eq), value: token.slice(eq + 1) });
  }
  return out;
}

/** The kernel's memparse(): "1G", "1g", "1024M", "2048K", "1073741824" -> bytes; null if invalid. */
export function memparse(text: string): number | null {
  const m = /^(0x[0-9a-f]+|\d+)([kmgtpe])?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const shift = { k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 }[(m[2] ?? "").toLowerCase()] ?? 0;
  return n * 2 ** shift;
}

/** Page size in KiB from a size argument, or null when it is not a size. */
export function pageSizeKiB(text: string): number | null {
  const bytes = memparse(text);
  if (bytes === null || bytes < 4096 || bytes % 1024 !== 0) return null;
  return bytes / 1024;
}

/** Expands the kernel's CPU list extensions ("N" = last CPU, "all") before the usual parse. */
export function parseKernelCpuList(text: string, lastCpu: number | null): number[] {
  const t = text.trim();
  if (t === "all") {
    if (lastCpu === null) throw new Error('"all" needs the number of CPUs');
    return Array.from({ length: lastCpu + 1 }, (_, i) => i);
  }
  const expanded = lastCpu === null ? t : t.replace(/(^|[-,:/])N(?=$|[-,:/])/g, `$1${lastCpu}`);
  return parseCpuList(expanded, "kernel CPU list");
}

const ISOLCPUS_FLAGS = new Set(["nohz", "domain", "managed_irq"]);

export interface IsolcpusArg {
  cpus: number[];
  flags: string[];
}

/** isolcpus=[flag,]...cpulist: leading words are flags, the rest (commas included) is the list. */
export function parseIsolcpus(value: string, lastCpu: number | null, problems: CmdlineProblems): IsolcpusArg {
  const parts = value.split(",");
  const flags: string[] = [];
  while (parts.length && /^[a-z_]+$/.test(parts[0]!) && parts[0] !== "N" && parts[0] !== "all") {
    const f = parts.shift()!;
    if (ISOLCPUS_FLAGS.has(f)) flags.push(f);
    else problems.push(`isolcpus: unknown flag "${f}" (the kernel knows nohz, domain, managed_irq)`);
  }
  const list = parts.join(",");
  try {
    return { cpus: parseKernelCpuList(list, lastCpu), flags };
  } catch {
    problems.push(`isolcpus=${value}: "${list}" is not a CPU list`);
    return { cpus: [], flags };
  }
}

function cpuListArg(key: string, value: string | null, lastCpu: number | null, problems: CmdlineProblems) {
  // rcu_nocbs without a value (kernel 5.19+) offloads every CPU.
  if (value === null || value === "") {
    return key === "rcu_nocbs" && lastCpu !== null ? parseKernelCpuList("all", lastCpu) : [];
  }
  try {
    return parseKernelCpuList(value, lastCpu);
  } catch {
    problems.push(`${key}=${value}: not a CPU list`);
    return [];
  }
}

/** Huge page sizes x86-64 can do (arch_hugetlb_valid_size): 2M, and 1G with pdpe1gb. */
export const X86_PAGE_SIZES_KIB = [2048, 1048576] as const;

export interface HugepageArgs {
  hugepages: KernelHugepageArg[];
  /** default_hugepagesz= in KiB, null when not given. */
  defaultKiB: number | null;
}

/**
 * hugepagesz=/hugepages=/default_hugepagesz= in command-line order. A hugepages= before any
 * hugepagesz= counts for the default size, whichever order default_hugepagesz= comes in
 * (mm/hugetlb.c applies it after parsing). `hugepages=0:2,1:2` reserves per node (5.12+).
 */
export function parseHugepageArgs(
  args: readonly CmdlineArg[],
  problems: CmdlineProblems,
  archDefaultKiB = 2048,
  archSizesKiB: readonly number[] = X86_PAGE_SIZES_KIB,
): HugepageArgs {
  const bySize = new Map<number, KernelHugepageArg>();
  const order: number[] = [];
  let defaultKiB: number | null = null;
  let current: number | null = null;
  let sizeOpen = false;
  let countedCurrent = false;
  let pendingDefault: KernelHugepageArg | null = null;
  const seenSizes = new Set<number>();

  for (const { key, value } of args) {
    if (key === "default_hugepagesz") {
      const kib = archSize(value, archSizesKiB);
      if (kib === null)
        problems.push(`default_hugepagesz=${value ?? ""}: not a huge page size of x86-64 (2M, 1G)`);
      else if (defaultKiB !== null)
        problems.push(`default_hugepagesz given twice; the kernel keeps the first`);
      else defaultKiB = kib;
    } else if (key === "hugepagesz") {
      const kib = archSize(value, archSizesKiB);
      if (kib === null) {
        problems.push(
          `hugepagesz=${value ?? ""}: not a huge page size of x86-64 (2M, 1G); the hugepages= after it is ignored`,
        );
        current = null;
        sizeOpen = true;
      } else if (seenSizes.has(kib)) {
        problems.push(`hugepagesz=${value} given twice; the kernel ignores the repeat`);
        current = null;
        sizeOpen = true;
      } else {
        seenSizes.add(kib);
        current = kib;
        sizeOpen = true;
      }
      countedCurrent = false;
    } else if (key === "hugepages") {
      const parsed = value === null ? null : parseHugepageCount(value);
      if (parsed === null) {
        problems.push(`hugepages=${value ?? ""}: expected a count or NODE:COUNT pairs`);
        continue;
      }
      if (sizeOpen && current === null) continue;
      if (countedCurrent) {
        problems.push(`hugepages=${value} repeated without hugepagesz= between; the kernel ignores it`);
        continue;
      }
      countedCurrent = true;
      const arg: KernelHugepageArg = { sizeKiB: current ?? 0, count: parsed.count };
      if (parsed.perNode) arg.perNode = parsed.perNode;
      if (!sizeOpen) {
        pendingDefault = arg;
      } else {
        bySize.set(current!, arg);
        order.push(current!);
      }
    }
  }
  const hugepages = order.map((s) => bySize.get(s)!);
  if (pendingDefault) {
    const size = defaultKiB ?? archDefaultKiB;
    if (bySize.has(size)) {
      problems.push(`hugepages= for the default size is also given after hugepagesz=; the kernel keeps one`);
    } else {
      hugepages.unshift({ ...pendingDefault, sizeKiB: size });
    }
  }
  return { hugepages, defaultKiB };
}

function archSize(value: string | null, sizes: readonly number[]): number | null {
  const kib = value === null ? null : pageSizeKiB(value);
  return kib !== null && sizes.includes(kib) ? kib : null;
}

function parseHugepageCount(value: string): { count: number; perNode?: Record<string, number> } | null {
  if (/^\d+$/.test(value)) return { count: Number(value) };
  const perNode: Record<string, number> = {};
  let count = 0;
  for (const pair of value.split(",")) {
    const m = /^(\d+):(\d+[kmgtpe]?)$/i.exec(pair);
    if (!m) return null;
    const n = memparse(m[2]!);
    if (n === null) return null;
    perNode[m[1]!] = n;
    count += n;
  }
  return { count, perNode };
}

function hasWord(value: string | null, word: string): boolean {
  return value !== null && value.split(",").includes(word);
}

/** IOMMU verdict from the command line alone; sysfs evidence is weighed in by the caller. */
export function parseIommuArgs(args: readonly CmdlineArg[]): {
  requested: boolean | null;
  passthrough: boolean;
  evidence: string[];
} {
  let requested: boolean | null = null;
  let passthrough = false;
  const evidence: string[] = [];
  for (const { key, value } of args) {
    const text = value === null ? key : `${key}=${value}`;
    if (key === "intel_iommu" || key === "amd_iommu") {
      if (hasWord(value, "on")) {
        requested = true;
        evidence.push(text);
      } else if (hasWord(value, "off")) {
        requested = false;
        evidence.push(text);
      }
    } else if (key === "iommu") {
      if (hasWord(value, "pt")) {
        passthrough = true;
        evidence.push(text);
      } else if (hasWord(value, "nopt")) {
        passthrough = false;
        evidence.push(text);
      } else if (hasWord(value, "off")) {
        requested = false;
        evidence.push(text);
      }
    } else if (key === "iommu.passthrough") {
      passthrough = value === "1" || value === "y" || value === "on";
      evidence.push(text);
    }
  }
  return { requested, passthrough, evidence };
}

export interface KernelCmdlineFacts {
  isolatedCpus: number[];
  isolcpusFlags: string[];
  nohzFull: number[];
  rcuNocbs: number[];
  hugepages: KernelHugepageArg[];
  defaultHugepageKiB: number | null;
  iommu: Pick<IommuFact, "passthrough" | "evidence"> & { requested: boolean | null };
}

/** Everything nfvhost reads from the command line. The last isolcpus=/nohz_full= wins. */
export function parseKernelCmdline(
  cmdline: string,
  lastCpu: number | null,
  problems: CmdlineProblems,
): KernelCmdlineFacts {
  const args = tokenizeCmdline(cmdline);
  let iso: IsolcpusArg = { cpus: [], flags: [] };
  let nohzFull: number[] = [];
  let rcuNocbs: number[] = [];
  for (const { key, value } of args) {
    if (key === "isolcpus") iso = parseIsolcpus(value ?? "", lastCpu, problems);
    else if (key === "nohz_full") nohzFull = cpuListArg(key, value, lastCpu, problems);
    else if (key === "rcu_nocbs") rcuNocbs = cpuListArg(key, value, lastCpu, problems);
  }
  const huge = parseHugepageArgs(args, problems);
  return {
    isolatedCpus: iso.cpus,
    isolcpusFlags: iso.flags,
    nohzFull,
    rcuNocbs,
    hugepages: huge.hugepages,
    defaultHugepageKiB: huge.defaultKiB,
    iommu: parseIommuArgs(args),
  };
}
