import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { formatVerifyReport } from "../../verify/format.js";
import { directoryRoot } from "../../apply/options.js";
import { resolveConnect } from "../../libvirt/virsh.js";
import { verifyTopology } from "../../verify/index.js";
import { type CommandModule, printJson } from "../command.js";
import { parseAccel } from "./apply.js";
import { sshTargetOptions } from "./exec.js";
import { wantsColour } from "../../util/colour.js";

export const verifyCommand: CommandModule = {
  register(program: Command) {
    program
      .command("verify")
      .description("read the live host back and prove the plan holds; exit 1 on any drift")
      .argument("<topology>", "topology file")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (the last applied plan)", DEFAULT_STATE_DIR)
      .option(
        "--root <dir>",
        "read host facts and sysfs from a snapshot root (directory) instead of this host",
        "/",
      )
      .option("--accel <accel>", "tcg: the domains were applied emulated")
      .option("--guest", "also check inside each VNF (serial console): the vNIC driver per interface")
      .option(
        "--guest-via <transport>",
        "with --guest: serial (default) or ssh (management address, day-0 user)",
      )
      .option("--ssh-config <file>", "with --guest-via ssh: an ssh_config file instead of ~/.ssh/config")
      .option("--json", "machine-readable report")
      .action(async (file: string, o: Record<string, unknown>) => {
        const root = directoryRoot(o.root as string, "verify");
        const accel = parseAccel(o.accel as string | undefined);
        const report = await verifyTopology({
          topologyFile: file,
          connect: resolveConnect(o.connect as string | undefined),
          stateDir: o.state as string,
          root,
          accel,
          env: process.env,
          guest: Boolean(o.guest),
          guestTarget: sshTargetOptions(o, "--guest-via"),
        });
        if (o.json) printJson(report);
        else process.stdout.write(formatVerifyReport(report, { color: wantsColour(process.stdout) }));
        if (!report.ok) process.exitCode = 1;
      });
  },
};
