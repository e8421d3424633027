import type { Command } from "commander";
import { findDomain } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { NfvError } from "../../util/errors.js";
import { runInteractive } from "../../util/exec.js";
import { type CommandModule, printJson } from "../command.js";

export const consoleCommand: CommandModule = {
  register(program: Command) {
    program
      .command("console")
      .description("attach to a VNF's serial console (virsh console; leave with Ctrl+])")
      .argument("<vnf>", "VNF name")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--force", "take the console over from another session")
      .option("--json", "print the console command instead of attaching")
      .action(async (name: string, o: Record<string, unknown>) => {
        const virsh = new Virsh(resolveConnect(o.connect as string | undefined));
        await virsh.ping();
        const d = await findDomain(virsh, name);
        const args = virsh.argv(["console", ...(o.force ? ["--force"] : []), name]);
        if (o.json) {
          printJson({ vnf: name, state: d.state, command: ["virsh", ...args] });
          return;
        }
        if (d.state !== "running") {
          throw new NfvError({
            what: `VNF ${name}`,
            value: d.state,
            expected: "running",
            fix: `virsh --connect ${virsh.uri} start ${name}`,
            exitCode: 1,
          });
        }
        process.exitCode = await runInteractive("virsh", args);
      });
  },
};
