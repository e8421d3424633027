import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { destroyVnfs } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { type CommandModule, printJson } from "../command.js";

export const destroyCommand: CommandModule = {
  register(program: Command) {
    program
      .command("destroy")
      .description(
        "stop and undefine VNFs nfvhost created; disks are kept (nfvhost rollback defines them again)",
      )
      .argument("[vnf...]", "VNF names")
      .option("--all", "every VNF nfvhost created (needs --yes)")
      .option("--topology <name>", "with --all: only this topology's VNFs")
      .option("--yes", "confirm --all")
      .option("--adopt", "also a domain nfvhost did not create")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (lock, journal)", DEFAULT_STATE_DIR)
      .option("--json", "machine-readable output")
      .action(async (names: string[], o: Record<string, unknown>) => {
        const virsh = new Virsh(resolveConnect(o.connect as string | undefined));
        await virsh.ping();
        const res = await destroyVnfs(virsh, names, {
          all: Boolean(o.all),
          yes: Boolean(o.yes),
          adopt: Boolean(o.adopt),
          topology: o.topology as string | undefined,
          stateDir: o.state as string,
        });
        if (o.json) printJson(res);
        else if (res.length === 0) process.stdout.write("nothing to destroy\n");
        else
          for (const r of res)
            process.stdout.write(
              `destroyed ${r.name}${r.stopped ? " (was running)" : ""}; disks kept: ${r.disks.join(", ") || "none"}\n`,
            );
      });
  },
};
