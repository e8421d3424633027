import type { Command } from "commander";
import { SNAPSHOT_META } from "../../facts/probe.js";
import { snapshotHost } from "../../facts/snapshot.js";
import { type CommandModule, printJson } from "../command.js";

export const snapshotCommand: CommandModule = {
  register(program: Command) {
    program
      .command("snapshot")
      .description("copy exactly the files discovery reads into OUT (a directory, or a .tar.gz/.tgz archive)")
      .argument("<out>", "new directory or .tar.gz path; an existing one is never overwritten")
      .option("--root <dir>", "snapshot another host root instead of this host", "/")
      .option("--json", "print {out, root, files, links, dirs, bytes, skipped, recorded, warnings} as JSON")
      .action(async (out: string, opts: { root: string; json?: boolean }) => {
        const s = await snapshotHost(out, { root: opts.root });
        if (opts.json) {
          const { facts, ...summary } = s;
          printJson({ ...summary, root: opts.root, warnings: facts.warnings });
          return;
        }
        process.stdout.write(
          `snapshot of ${opts.root} written to ${s.out}: ${s.files} files, ${s.links} links, ${s.dirs} directories (${s.bytes} bytes); ${s.recorded.commands} command outputs and ${s.recorded.devices} device checks in ${SNAPSHOT_META}\n`,
        );
        if (s.skipped.length) {
          process.stdout.write(
            `left out (device nodes, their presence is in ${SNAPSHOT_META}): ${s.skipped.join(", ")}\n`,
          );
        }
        if (s.facts.warnings.length) {
          process.stdout.write(
            `${s.facts.warnings.length} file(s) could not be read; see \`nfvhost discover --root ${s.out}\`\n`,
          );
        }
      });
  },
};
