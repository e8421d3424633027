/**
 * vitest global setup: the hugepage pools as the run found them. Test domains (and the lab VNF's
 * apply) raise the 2 MiB and 1 GiB pools; at the end of the run the pools go back to what they
 * were, lowered only by pages that are free, so a guest still running (another checkout's suite,
 * an operator's VM) keeps every page it holds.
 */
import { readFile, writeFile } from "node:fs/promises";

const POOLS = ["/sys/kernel/mm/hugepages/hugepages-2048kB", "/sys/kernel/mm/hugepages/hugepages-1048576kB"];

async function count(pool: string, file: string): Promise<number | null> {
  const n = Number((await readFile(`${pool}/${file}`, "utf8").catch(() => "")).trim());
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export default async function setup(): Promise<() => Promise<void>> {
  const before = new Map<string, number>();
  for (const pool of POOLS) {
    const n = await count(pool, "nr_hugepages");
    if (n !== null) before.set(pool, n);
  }
  return async () => {
    for (const [pool, was] of before) {
      const nr = await count(pool, "nr_hugepages");
      const free = await count(pool, "free_hugepages");
      if (nr === null || free === null || nr <= was) continue;
      const target = Math.max(was, nr - free);
      if (target < nr) await writeFile(`${pool}/nr_hugepages`, String(target)).catch(() => undefined);
    }
  };
}
