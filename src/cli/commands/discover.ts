import type { Command } from "commander";
import { discoverHost } from "../../facts/discover.js";
import { renderPicture } from "../../facts/picture.js";
import { type CommandModule, printJson } from "../command.js";

export const discoverCommand: CommandModule = {
  register(program: Command) {
    program
      .command("discover")
      .description(
        "Read the host's CPUs, NUMA nodes, hugepages, NICs/SR-IOV and tuning state (live or from a snapshot)",
      )
      .option("--root <dir>", "read a snapshot root (directory or .tar.gz) instead of this host", "/")
      .option("--json", "print the facts as one JSON object (documented in docs/discover.md)")
      .action(async (opts: { root: string; json?: boolean }) => {
        const facts = await discoverHost({ root: opts.root });
        if (opts.json) printJson(facts);
        else process.stdout.write(renderPicture(facts));
      });
  },
};
