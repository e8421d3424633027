import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { rollbackLast } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { bool, list, sharedOptions, type RawOptions } from "../options.js";

export const rollbackCommand: CommandModule = {
  register(program: Command) {
    program
      .command("rollback")
      .description("undo the last apply or destroy from the journal (previous domain/network XML, files)")
      .option("--yes [names...]", "allow touching these running VNFs")
      .option("--dry-run", "show what would be restored")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (lock, journal)", DEFAULT_STATE_DIR)
      .option("--json", "machine-readable output")
      .action(
        returning(async (o: RawOptions) => {
          const shared = sharedOptions(o);
          const virsh = new Virsh(resolveConnect(shared.connect));
          await virsh.ping();
          const res = await rollbackLast(virsh, {
            stateDir: shared.state,
            yes: new Set(list(o, "yes")),
            dryRun: bool(o, "dryRun"),
          });
          if (shared.json) printJson(res);
          else if (!res.entry)
            process.stdout.write("nothing to roll back: the journal has no entry that changed something\n");
          else {
            process.stdout.write(
              `rolling back ${res.entry.id} (${res.entry.topology}, ${res.entry.status}):\n`,
            );
            for (const s of res.steps)
              process.stdout.write(
                `  ${s.done ? "done" : "skipped"}: ${s.what}${s.note ? ` (${s.note})` : ""}\n`,
              );
          }
          // A step held back for want of --yes: the rollback is not complete, scripts must see it.
          return res.steps.some((s) => !s.done && s.note?.includes("--yes")) ? 1 : 0;
        }),
      );
  },
};
