import type { Command } from "commander";
import { assertRunning, findDomain } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { runInteractive } from "../../util/exec.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { bool, sharedOptions, type RawOptions } from "../options.js";

export const consoleCommand: CommandModule = {
  register(program: Command) {
    program
      .command("console")
      .description("attach to a VNF's serial console (virsh console; leave with Ctrl+])")
      .argument("<vnf>", "VNF name")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--force", "take the console over from another session")
      .option("--json", "print the console command instead of attaching")
      .action(
        returning(async (name: string, o: RawOptions) => {
          const shared = sharedOptions(o);
          const virsh = new Virsh(resolveConnect(shared.connect));
          await virsh.ping();
          const d = await findDomain(virsh, name);
          const args = virsh.argv(["console", ...(bool(o, "force") ? ["--force"] : []), name]);
          if (shared.json) {
            printJson({ vnf: name, state: d.state, command: ["virsh", ...args] });
            return 0;
          }
          assertRunning(virsh, d);
          return runInteractive("virsh", args);
        }),
      );
  },
};
