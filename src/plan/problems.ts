/**
 * Problem collection and the small text helpers every message uses. Message texts are a
 * contract (tests pin them): change them only on purpose.
 */
import type { PlanProblem } from "./types.js";

export const GiB = 1024 * 1024;
/** Memory a node keeps for the host before the plan warns that hugepages crowd it out. */
export const HOST_MEMORY_FLOOR_KiB = 2 * GiB;

export class Problems {
  readonly host: PlanProblem[] = [];
  readonly byVnf = new Map<string, PlanProblem[]>();

  add(p: Omit<PlanProblem, "fixes"> & { fixes?: string[] }): void {
    const full: PlanProblem = { ...p, fixes: p.fixes ?? [] };
    if (p.vnf === null) this.host.push(full);
    else {
      const list = this.byVnf.get(p.vnf) ?? [];
      list.push(full);
      this.byVnf.set(p.vnf, list);
    }
  }

  all(order: string[]): PlanProblem[] {
    return [...this.host, ...order.flatMap((n) => this.byVnf.get(n) ?? [])];
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function sizeText(kib: number): string {
  if (kib % GiB === 0) return `${kib / GiB}GiB`;
  if (kib % 1024 === 0) return `${kib / 1024}MiB`;
  return `${kib}KiB`;
}
