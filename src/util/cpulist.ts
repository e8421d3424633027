/**
 * The kernel's CPU list format ("0-3,8,10-11"), used by sysfs, isolcpus= and libvirt cpuset.
 */
import { NfvError } from "./errors.js";

/** Highest CPU id Linux can have (x86_64 CONFIG_NR_CPUS tops out at 8192). */
export const MAX_CPU_ID = 8191;

/** Parses "1-8,37-44" (also "0-7:2/4" stride groups) into sorted unique ids. */
export function parseCpuList(text: string, what = "CPU list"): number[] {
  const out = new Set<number>();
  const trimmed = text.trim();
  if (trimmed === "") return [];
  for (const part of trimmed.split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part.trim());
    if (!m) {
      throw new NfvError({
        what,
        value: text,
        expected: 'a CPU list such as "1-8,37-44"',
        fix: "write ranges as FIRST-LAST separated by commas",
      });
    }
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    // Expanding "0-4000000000" would exhaust memory before anything could reject it.
    if (last > MAX_CPU_ID) {
      throw new NfvError({
        what,
        value: text,
        expected: `CPU ids from 0 to ${MAX_CPU_ID} (Linux NR_CPUS is at most 8192)`,
      });
    }
    if (last < first) {
      throw new NfvError({
        what,
        value: text,
        expected: `a range whose end is not below its start (${part})`,
      });
    }
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (used === 0 || group === 0 || used > group) {
      throw new NfvError({ what, value: text, expected: `a valid stride group in ${part}` });
    }
    for (let base = first; base <= last; base += group) {
      for (let i = base; i < base + used && i <= last; i++) out.add(i);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Formats ids as the kernel does: "1-8,37-44". */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      i++;
      end = sorted[i]!;
    }
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(",");
}
