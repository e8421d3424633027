/**
 * The order apply executes a change set in. Across resource types it is the guide's order
 * (hugepages, VFs, NetworkManager, libvirt networks, day-0 ISOs, domains) and each of those steps
 * runs alone. Domain steps of DIFFERENT domains are independent (each has its own journal item,
 * its own undo, its own qemu process), so a run of them executes side by side: `virsh start` is
 * mostly waiting for QEMU to come up (~380 ms of a tiny TCG domain), and N of those waits overlap.
 * The steps inside one domain change (define, start, autostart) stay in their order: they are one
 * `executeChange` call.
 *
 * A domain change that shuts a RUNNING domain down and redefines it (`restart`, only with
 * --yes NAME) runs alone, after the domains planned before it and before those planned after it:
 * if its new definition fails, the undo starts the VM again on its previous definition, and
 * nothing else starting at that moment competes with it for memory or hugepages.
 *
 * Failure: when a domain step fails, the steps already in flight finish (or undo themselves, as
 * each step does on its own failure), nothing new starts, and the error names the failing
 * domain(s) and the ones not started.
 */
import type { ListrTask } from "listr2";
import { NfvError, NfvErrors } from "../util/errors.js";
import type { Change } from "./changes.js";
import { describeChange } from "./execute.js";

/**
 * Domain steps in flight at once. Each holds one virsh process and, while it starts, one QEMU
 * start-up (CPU-heavy for a moment, and it allocates the guest's hugepages); 4 overlaps most of
 * the waiting on a small host without dozens of QEMUs starting against one libvirtd. The same
 * figure as READ_CONCURRENCY, for the same reason.
 */
export const DOMAIN_CONCURRENCY = 4;

/** One unit of the execution order: a change that runs alone, or domains that run side by side. */
export type Group = { kind: "serial"; index: number } | { kind: "parallel"; indexes: number[] };

/** Whether a change may run beside other domains' changes. */
function overlappable(c: Change): c is Extract<Change, { kind: "domain" }> {
  return c.kind === "domain" && !c.restart;
}

/**
 * Splits the planned change list into groups, keeping the planned order: consecutive domain
 * changes (other than a running domain's redefinition) form one parallel group; everything else
 * runs alone. A domain never appears twice in one group.
 */
export function groupChanges(changes: readonly Change[]): Group[] {
  const groups: Group[] = [];
  let batch: { indexes: number[]; names: Set<string> } | null = null;
  const flush = () => {
    if (batch) groups.push({ kind: "parallel", indexes: batch.indexes });
    batch = null;
  };
  changes.forEach((c, i) => {
    if (!overlappable(c)) {
      flush();
      groups.push({ kind: "serial", index: i });
      return;
    }
    if (batch?.names.has(c.name)) flush();
    batch ??= { indexes: [], names: new Set() };
    batch.indexes.push(i);
    batch.names.add(c.name);
  });
  flush();
  return groups;
}

/** Parallel groups hold domain changes only (groupChanges); the name is what the error cites. */
function nameOf(c: Change): string {
  return c.kind === "domain" ? c.name : describeChange(c);
}

/**
 * The error of a parallel group: each failing domain named (its step's own error otherwise
 * unchanged: the virsh command, libvirt's message, what the undo did), and the domains that were
 * not started because of it.
 */
export function batchError(
  failures: { change: Change; error: unknown }[],
  notStarted: Change[],
): NfvError | NfvErrors {
  const later = notStarted.length
    ? `not started because of this failure: ${notStarted.map(nameOf).join(", ")} (apply again starts them)`
    : null;
  const fix = (own: string | undefined) => [own, later].filter(Boolean).join("; ");
  const named = failures.map(({ change, error }) => {
    const name = nameOf(change);
    if (error instanceof NfvError) {
      const d = error.details;
      const what = d.what.includes(name) ? d.what : `domain ${name}: ${d.what}`;
      return what === d.what && !later ? error : new NfvError({ ...d, what, fix: fix(d.fix) });
    }
    return new NfvError({
      what: `domain ${name}`,
      value: (error as Error).message,
      fix: fix(`check it with \`virsh dominfo ${name}\`, then run apply again`),
      exitCode: 1,
    });
  });
  if (named.length === 1) return named[0]!;
  return new NfvErrors(
    named,
    `${named.length} domains failed (${failures.map((f) => nameOf(f.change)).join(", ")}):\n${named.map((e) => e.message).join("\n")}`,
  );
}

export interface RunOptions {
  renderer: "default" | "simple" | "silent";
  /** Domain steps in flight at once (DOMAIN_CONCURRENCY; 1 runs everything one after another). */
  concurrency?: number;
}

/**
 * Runs `step` for every change in the groups' order, with listr2 progress: a serial change is a
 * task; a parallel group is a task whose subtasks (one per domain, in planned order) run up to
 * `concurrency` at a time. Rejects with the first serial failure, or with batchError once every
 * domain step of the group that started has finished.
 */
export async function runChanges(
  changes: readonly Change[],
  step: (c: Change, index: number) => Promise<void>,
  opts: RunOptions,
): Promise<void> {
  const limit = Math.max(1, opts.concurrency ?? DOMAIN_CONCURRENCY);
  const { Listr } = await import("listr2");
  const tasks: ListrTask[] = [];
  for (const g of groupChanges(changes)) {
    if (g.kind === "serial" || g.indexes.length === 1) {
      // A group of one domain runs as a plain step: the same error, unchanged.
      const i = g.kind === "serial" ? g.index : g.indexes[0]!;
      tasks.push({ title: describeChange(changes[i]!), task: () => step(changes[i]!, i) });
      continue;
    }
    // listr2 with exitOnError: false starts the subtasks in order, up to `limit` at once, and
    // waits for every started one; the gate keeps anything new from starting once one failed.
    const failures: { index: number; error: unknown }[] = [];
    const started = new Set<number>();
    tasks.push({
      title: `${g.indexes.length} domains, up to ${limit} at a time`,
      // The group fails itself (shown as failed, not done) once every started domain finished.
      task: async (_ctx, task) => {
        await task
          .newListr(
            g.indexes.map((i) => ({
              title: describeChange(changes[i]!),
              task: async (_c, t) => {
                if (failures.length > 0) {
                  t.skip(`${describeChange(changes[i]!)}: not started (another domain failed)`);
                  return;
                }
                started.add(i);
                try {
                  await step(changes[i]!, i);
                } catch (error) {
                  failures.push({ index: i, error });
                  throw error;
                }
              },
            })),
            { concurrent: limit, exitOnError: false },
          )
          .run();
        if (failures.length === 0) return;
        failures.sort((a, b) => a.index - b.index);
        throw batchError(
          failures.map((f) => ({ change: changes[f.index]!, error: f.error })),
          g.indexes.filter((i) => !started.has(i)).map((i) => changes[i]!),
        );
      },
    });
  }
  await new Listr(tasks, {
    concurrent: false,
    exitOnError: true,
    renderer: opts.renderer,
    rendererOptions: {},
  }).run();
}
