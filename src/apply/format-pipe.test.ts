/**
 * apply to a pipe or a file (issue 15, section 5): no progress frames, and the diff printed once.
 * Runs the executor the way the CLI does when stdout is not a terminal, captures everything it
 * writes, then the report.
 */
import { describe, expect, it } from "vitest";
import type { Change } from "./changes.js";
import { formatApplyReport, progressRenderer } from "./format.js";
import { type ApplyReport, viewOf } from "./index.js";
import { runChanges } from "./schedule.js";

function domain(name: string): Change {
  return {
    kind: "domain",
    name,
    xml: `<domain><name>${name}</name></domain>`,
    define: true,
    restart: false,
    repins: [],
    start: true,
    autostart: true,
    beforeXml: null,
    beforeState: null,
    beforeAutostart: null,
    diff: [`+<domain><name>${name}</name></domain>`],
  };
}
const hugepages: Change = {
  kind: "sysfs",
  path: "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages",
  from: "0",
  to: "8",
  what: "hugepages",
};

async function captured(run: () => Promise<void>): Promise<string> {
  let printed = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = ((chunk: string | Uint8Array) => ((printed += String(chunk)), true)) as typeof out;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await run();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return printed;
}

describe("apply's output", () => {
  it("animates progress only on a terminal", () => {
    expect(progressRenderer({ json: false, isTTY: true })).toBe("default");
    expect(progressRenderer({ json: false, isTTY: false })).toBe("silent");
    expect(progressRenderer({ json: true, isTTY: true })).toBe("silent");
  });

  it("to a pipe: the run prints nothing, the report names every change and its diff once", async () => {
    const changes = [hugepages, domain("r1"), domain("r2")];
    const renderer = progressRenderer({ json: false, isTTY: false });
    let applied = 0;
    const during = await captured(() =>
      runChanges(
        changes,
        async () => {
          applied++;
        },
        { renderer },
      ),
    );
    expect(during).toBe("");
    const report: ApplyReport = {
      topology: "t.yaml",
      connect: "qemu:///system",
      dryRun: false,
      changes: changes.map(viewOf),
      held: [],
      pending: [],
      warnings: [],
      orphans: [],
      notes: [],
      converged: false,
      applied,
      journal: "/var/lib/nfvhost/journal/1.json",
      staleLock: null,
    };
    const text = formatApplyReport(report, { full: false, color: false });
    for (const line of [
      "-/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages = 0",
      "+/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages = 8",
      "+<domain><name>r1</name></domain>",
      "+<domain><name>r2</name></domain>",
    ])
      expect(text.split(line)).toHaveLength(2);
    expect(text).toContain("applied 3 change(s); journal: /var/lib/nfvhost/journal/1.json");
    expect(text).not.toContain("\u001b[");
  });

  it("the renderer a pipe used to get printed a line per step, each change a second time", async () => {
    const printed = await captured(() =>
      runChanges([hugepages, domain("r1")], async () => {}, { renderer: "simple" }),
    );
    expect(printed).toContain("r1");
  });
});
