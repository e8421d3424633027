/**
 * The apply journal: before nfvhost changes anything it writes down what was there, so that
 * `nfvhost rollback` can put it back and a killed apply leaves a record of how far it got.
 * One JSON file per apply run under STATE/journal/, written again after every step.
 */
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export type JournalItem =
  | {
      kind: "domain";
      name: string;
      /** Persistent XML before the change; null when this run created the domain. */
      beforeXml: string | null;
      beforeState: string | null;
      beforeAutostart: boolean | null;
      action: string;
      done: boolean;
      /**
       * Sub-steps (stop, define, repin, start, autostart) in the order they were started, each
       * written before it runs: the last one of an unfinished item may or may not have happened.
       */
      steps?: DomainStep[];
      /** The definition this run writes (null: none); a new domain carrying it is this run's. */
      xml?: string | null;
      /** Live re-pins, with the pinning before and after. */
      repins?: { vcpu: number | "emulator"; before: string; after: string }[];
      /**
       * The VNF's plan was the one applied before: the run put drifted state back to it, which
       * rollback keeps (restoring the drift would undo no decision of that run).
       */
      driftFix?: boolean;
    }
  | {
      kind: "network";
      name: string;
      beforeXml: string | null;
      beforeActive: boolean | null;
      beforeAutostart: boolean | null;
      action: string;
      done: boolean;
    }
  | { kind: "sysfs"; path: string; before: string | null; after: string; done: boolean }
  | {
      kind: "file";
      path: string;
      /** Copy of the previous content inside the journal directory; null when the file was new. */
      backup: string | null;
      done: boolean;
    }
  | { kind: "pin"; name: string; what: string; before: string; after: string; done: boolean };

export type DomainStep = "stop" | "define" | "repin" | "start" | "resume" | "autostart";

export type JournalStatus = "in-progress" | "complete" | "failed" | "rolled-back";

export interface JournalEntry {
  id: string;
  started: string;
  finished: string | null;
  topology: string;
  connect: string;
  pid: number;
  status: JournalStatus;
  error: string | null;
  items: JournalItem[];
}

let sequence = 0;

export class Journal {
  readonly dir: string;
  /**
   * Saves run one after another (a promise chain): apply journals the steps of several domains
   * side by side, and every save goes through the same `.tmp` file; two writes at once could
   * interleave in it or rename a half-written one into place.
   */
  private saving: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.dir = join(stateDir, "journal");
  }

  /** Starts an entry; ids sort by time so the last one is the newest. */
  async begin(topology: string, connect: string): Promise<JournalRun> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const started = new Date();
    const id = `${started.toISOString().replace(/[:.]/g, "-")}-${process.pid}-${String(++sequence).padStart(4, "0")}`;
    const entry: JournalEntry = {
      id,
      started: started.toISOString(),
      finished: null,
      topology,
      connect,
      pid: process.pid,
      status: "in-progress",
      error: null,
      items: [],
    };
    const run = new JournalRun(this, entry);
    await run.save();
    return run;
  }

  async list(): Promise<JournalEntry[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith(".json")).sort();
    } catch {
      return [];
    }
    const out: JournalEntry[] = [];
    for (const n of names) {
      try {
        out.push(JSON.parse(await readFile(join(this.dir, n), "utf8")) as JournalEntry);
      } catch {
        /* a half-written entry from a killed run has a .tmp name and is not listed */
      }
    }
    return out;
  }

  /**
   * The newest entry that was not rolled back and recorded a step, finished or not: a run killed
   * in its first step is the one to undo, never an older one behind it.
   */
  async last(): Promise<JournalEntry | null> {
    const all = (await this.list()).filter((e) => e.status !== "rolled-back" && e.items.length > 0);
    return all.at(-1) ?? null;
  }

  pathOf(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /**
   * Writes the entry as it is when this save's turn comes (so it includes every item recorded
   * before), after the saves queued before it. A failed save rejects its own caller only.
   */
  save(entry: JournalEntry): Promise<void> {
    const path = this.pathOf(entry.id);
    const write = async () => {
      // Write-then-rename: a kill mid-write never leaves a truncated entry.
      await writeFile(`${path}.tmp`, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    };
    const done = this.saving.then(write, write);
    this.saving = done.catch(() => undefined);
    return done;
  }
}

export class JournalRun {
  constructor(
    readonly journal: Journal,
    readonly entry: JournalEntry,
  ) {}

  save(): Promise<void> {
    return this.journal.save(this.entry);
  }

  /** Records the "before" of a step before it runs (write-ahead). */
  async record<T extends JournalItem>(item: T): Promise<T> {
    this.entry.items.push(item);
    await this.save();
    return item;
  }

  /** Records that a sub-step of a domain item starts (write-ahead, like record()). */
  async step(item: Extract<JournalItem, { kind: "domain" }>, step: DomainStep): Promise<void> {
    (item.steps ??= []).push(step);
    await this.save();
  }

  async markDone(item: JournalItem): Promise<void> {
    item.done = true;
    await this.save();
  }

  async finish(status: JournalStatus, error?: string): Promise<void> {
    this.entry.status = status;
    this.entry.error = error ?? null;
    this.entry.finished = new Date().toISOString();
    await this.save();
  }

  get changed(): boolean {
    return this.entry.items.some((i) => i.done);
  }
}
