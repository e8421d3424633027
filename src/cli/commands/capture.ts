import type { Command } from "commander";
import { captureCommandLine, captureTarget, findDomain, positiveInt } from "../../apply/operate.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { assertAbsolutePath } from "../../util/names.js";
import { displayCommand, runInteractive } from "../../util/exec.js";
import { loadAppliedPlan } from "../../state/applied.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { sharedOptions, stateOption, str, type RawOptions } from "../options.js";

export const captureCommand: CommandModule = {
  register(program: Command) {
    const cmd = program
      .command("capture")
      .description(
        "capture a VNF's interface with tcpdump on its host-side vnet/macvtap device (not possible for an SR-IOV VF)",
      )
      .argument("<vnf>", "VNF name")
      .argument(
        "<iface>",
        "the guest's name for it as plan shows it (GigabitEthernet2, eth1), N (1-based), the MAC, or the host device",
      )
      .argument("[filter...]", "tcpdump filter expression")
      .option("-w, --write <file>", "write a pcap file (absolute path)")
      .option("-c, --count <n>", "stop after n packets")
      .option("--duration <seconds>", "stop after this many seconds (tcpdump under timeout -s INT)")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--json", "print the device and the tcpdump command instead of running it");
    stateOption(cmd, "state directory (the applied plan names the guest's interfaces)");
    cmd.action(
      returning(async (name: string, iface: string, filter: string[], o: RawOptions) => {
        // Bad options are refused before libvirt is asked anything.
        const count = positiveInt(o.count, "--count");
        const durationSeconds = positiveInt(o.duration, "--duration");
        const write = str(o, "write");
        if (write !== undefined) assertAbsolutePath(write, "--write");
        const shared = sharedOptions(o);
        const virsh = new Virsh(resolveConnect(shared.connect));
        await virsh.ping();
        const d = await findDomain(virsh, name);
        // The guest names plan gave this VNF's vNICs (by kind: GigabitEthernetN, eth0...).
        const topology = d.config.metadata?.topology;
        const applied = topology ? await loadAppliedPlan(shared.state, topology) : null;
        const guestNames =
          applied?.vnfs.find((v) => v.name === name)?.interfaces.map((i) => i.guestName) ?? [];
        const t = captureTarget(
          d,
          d.state === "running" ? await virsh.domiflist(name) : [],
          iface,
          guestNames,
        );
        const { program, args } = captureCommandLine(t.device, { write, count, durationSeconds, filter });
        if (shared.json) {
          printJson({ vnf: name, interface: iface, ...t, command: [program, ...args] });
          return 0;
        }
        process.stderr.write(
          `capturing ${name} ${iface} on ${t.device} (${t.type}): ${displayCommand(program, args)}\n`,
        );
        return runInteractive(program, args);
      }),
    );
  },
};
