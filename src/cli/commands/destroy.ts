import { type Command, Option } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { destroyVnfs } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { NfvError } from "../../util/errors.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { bool, sharedOptions, str, type RawOptions } from "../options.js";

/**
 * --topology-name NAME (a topology's name:, not a file: `ui --topology` takes a file); the old
 * --topology spelling still works, hidden.
 */
export function topologyName(o: RawOptions): string | undefined {
  const a = str(o, "topologyName");
  const b = str(o, "topology");
  if (a !== undefined && b !== undefined && a !== b) {
    throw new NfvError({
      what: "--topology-name",
      value: `${a} and --topology ${b}`,
      expected: "one topology name",
      fix: `pass only --topology-name ${a}`,
      exitCode: 2,
    });
  }
  return a ?? b;
}

export const destroyCommand: CommandModule = {
  register(program: Command) {
    program
      .command("destroy")
      .description(
        "stop and undefine VNFs nfvhost created; disks are kept (nfvhost rollback defines them again)",
      )
      .argument("[vnf...]", "VNF names")
      .option("--all", "every VNF nfvhost created (needs --yes)")
      .option("--topology-name <name>", "with --all: only the VNFs of this topology (its name: field)")
      .addOption(new Option("--topology <name>").hideHelp())
      .option("--yes", "confirm --all, or stopping a running VNF")
      .option("--adopt", "also a domain nfvhost did not create")
      .option("--delete-overlay", "also delete the VNFs' qcow2 overlays (their disk state; the base stays)")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (lock, journal)", DEFAULT_STATE_DIR)
      .option("--json", "machine-readable output")
      .action(
        returning(async (names: string[], o: RawOptions) => {
          const topology = topologyName(o);
          const shared = sharedOptions(o);
          const virsh = new Virsh(resolveConnect(shared.connect));
          await virsh.ping();
          const res = await destroyVnfs(virsh, names, {
            all: bool(o, "all"),
            yes: bool(o, "yes"),
            adopt: bool(o, "adopt"),
            topology,
            stateDir: shared.state,
            deleteOverlay: bool(o, "deleteOverlay"),
          });
          if (shared.json) printJson(res);
          else if (res.length === 0) process.stdout.write("nothing to destroy\n");
          else
            for (const r of res)
              process.stdout.write(
                `destroyed ${r.name}${r.stopped ? " (was running)" : ""}; ${r.overlayDeleted ? `overlay deleted: ${r.overlayDeleted}; ` : ""}disks kept: ${r.disks.join(", ") || "none"}\n`,
              );
          return 0;
        }),
      );
  },
};
