import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { formatVerifyReport } from "../../verify/format.js";
import { directoryRoot } from "../../apply/options.js";
import { verifyTopology } from "../../verify/index.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { bool, sharedOptions, str, type RawOptions } from "../options.js";
import { parseAccel } from "./apply.js";
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
      .option("--json", "machine-readable report")
      .action(
        returning(async (file: string, raw: RawOptions) => {
          const o = sharedOptions(raw);
          const root = directoryRoot(o.root, "verify");
          const accel = parseAccel(str(raw, "accel"));
          const report = await verifyTopology({
            topologyFile: file,
            connect: o.connect,
            stateDir: o.state,
            root,
            accel,
            env: process.env,
            guest: bool(raw, "guest"),
          });
          if (o.json) printJson(report);
          else process.stdout.write(formatVerifyReport(report, { color: wantsColour(process.stdout) }));
          return report.ok ? 0 : 1;
        }),
      );
  },
};
