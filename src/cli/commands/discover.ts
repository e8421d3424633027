import type { Command } from "commander";
import { discoverHost } from "../../facts/discover.js";
import { renderPicture } from "../../facts/picture.js";
import type { HostFacts } from "../../facts/types.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson } from "../command.js";
import { wantsColour } from "../../util/colour.js";

/**
 * Facts are printed even when some files hold garbage (they are still the best picture there is),
 * but the exit code says the input was bad so scripts do not trust it blindly.
 */
export function garbageError(facts: HostFacts): NfvError | null {
  const bad = facts.warnings.filter((w) => w.kind === "garbage");
  if (bad.length === 0) return null;
  return new NfvError({
    what: `${bad.length} file(s) of host root ${facts.root} hold garbage`,
    value: bad.map((w) => w.path),
    expected: "the values the kernel writes there (`nfvhost discover` shows each file's warning)",
    fix:
      facts.root === "/"
        ? "this host's kernel writes a format nfvhost does not know: attach `nfvhost snapshot report.tar.gz` to a bug report"
        : "take the snapshot again with `nfvhost snapshot`, or repair the named files",
  });
}

export const discoverCommand: CommandModule = {
  register(program: Command) {
    program
      .command("discover")
      .description(
        "read the host's CPUs, NUMA nodes, hugepages, NICs/SR-IOV and tuning state (live or from a snapshot)",
      )
      .option("--root <dir>", "read a snapshot root (directory or .tar.gz) instead of this host", "/")
      .option("--json", "print the facts as one JSON object (documented in docs/discover.md)")
      .action(async (opts: { root: string; json?: boolean }) => {
        const facts = await discoverHost({ root: opts.root });
        if (opts.json) printJson(facts);
        else process.stdout.write(renderPicture(facts, { color: wantsColour(process.stdout) }));
        const err = garbageError(facts);
        if (err) throw err;
      });
  },
};
