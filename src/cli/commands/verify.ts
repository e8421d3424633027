import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { formatVerifyReport } from "../../apply/format.js";
import { resolveConnect } from "../../libvirt/virsh.js";
import { verifyTopology } from "../../verify/index.js";
import { type CommandModule, printJson } from "../command.js";
import { parseAccel } from "./apply.js";

export const verifyCommand: CommandModule = {
  register(program: Command) {
    program
      .command("verify")
      .description("read the live host back and prove the plan holds; exit 1 on any drift")
      .argument("<topology>", "topology file")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (the last applied plan)", DEFAULT_STATE_DIR)
      .option("--root <dir>", "host root for facts and sysfs", "/")
      .option("--accel <accel>", "tcg: the domains were applied emulated")
      .option("--json", "machine-readable report")
      .action(async (file: string, o: Record<string, unknown>) => {
        const report = await verifyTopology({
          topologyFile: file,
          connect: resolveConnect(o.connect as string | undefined),
          stateDir: o.state as string,
          root: o.root as string,
          accel: parseAccel(o.accel as string | undefined),
          env: process.env,
        });
        if (o.json) printJson(report);
        else process.stdout.write(formatVerifyReport(report));
        if (!report.ok) process.exitCode = 1;
      });
  },
};
