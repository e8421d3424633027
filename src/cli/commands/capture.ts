import type { Command } from "commander";
import { captureCommandLine, captureTarget, findDomain, positiveInt } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { assertAbsolutePath } from "../../util/names.js";
import { displayCommand, runInteractive } from "../../util/exec.js";
import { type CommandModule, printJson } from "../command.js";

export const captureCommand: CommandModule = {
  register(program: Command) {
    program
      .command("capture")
      .description(
        "capture a VNF's interface with tcpdump on its host-side vnet/macvtap device (not possible for an SR-IOV VF)",
      )
      .argument("<vnf>", "VNF name")
      .argument("<iface>", "GigabitEthernetN, N (1-based), the MAC, or the host device")
      .argument("[filter...]", "tcpdump filter expression")
      .option("-w, --write <file>", "write a pcap file (absolute path)")
      .option("-c, --count <n>", "stop after n packets")
      .option("--duration <seconds>", "stop after this many seconds (tcpdump under timeout -s INT)")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--json", "print the device and the tcpdump command instead of running it")
      .action(async (name: string, iface: string, filter: string[], o: Record<string, unknown>) => {
        // Bad options are refused before libvirt is asked anything.
        const count = positiveInt(o.count, "--count");
        const durationSeconds = positiveInt(o.duration, "--duration");
        if (o.write !== undefined) assertAbsolutePath(o.write as string, "--write");
        const virsh = new Virsh(resolveConnect(o.connect as string | undefined));
        await virsh.ping();
        const d = await findDomain(virsh, name);
        const t = captureTarget(d, d.state === "running" ? await virsh.domiflist(name) : [], iface);
        const { program, args } = captureCommandLine(t.device, {
          write: o.write as string | undefined,
          count,
          durationSeconds,
          filter,
        });
        if (o.json) {
          printJson({ vnf: name, interface: iface, ...t, command: [program, ...args] });
          return;
        }
        process.stderr.write(
          `capturing ${name} ${iface} on ${t.device} (${t.type}): ${displayCommand(program, args)}\n`,
        );
        process.exitCode = await runInteractive(program, args);
      });
  },
};
