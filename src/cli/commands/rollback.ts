import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { rollbackLast } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { type CommandModule, printJson } from "../command.js";

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
      .action(async (o: Record<string, unknown>) => {
        const virsh = new Virsh(resolveConnect(o.connect as string | undefined));
        await virsh.ping();
        const res = await rollbackLast(virsh, {
          stateDir: o.state as string,
          yes: new Set(Array.isArray(o.yes) ? (o.yes as string[]) : []),
          dryRun: Boolean(o.dryRun),
        });
        if (o.json) printJson(res);
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
        if (res.steps.some((s) => !s.done && s.note?.includes("--yes"))) process.exitCode = 1;
      });
  },
};
