import type { Command } from "commander";
import { formatKiB } from "../../topology/values.js";
import { loadTopology } from "../../topology/load.js";
import { printJson, type CommandModule } from "../command.js";

export const validateCommand: CommandModule = {
  register(program: Command) {
    program
      .command("validate")
      .description(
        "check a topology file: every error at once, each with file:line:column (exit 2 when invalid)",
      )
      .argument("<topology>", "topology file (YAML)")
      .option("--json", "print the parsed topology (defaults filled, sizes in KiB) as JSON")
      .action(async (file: string, opts: { json?: boolean }) => {
        // Errors are thrown as NfvErrors; main prints them all and exits 2.
        const { topology } = await loadTopology(file);
        if (opts.json) {
          printJson(topology);
          return;
        }
        const vnfs = topology.vnfs
          .map(
            (v) =>
              `${v.name} (${v.kind}, ${v.vcpus} vCPU, ${formatKiB(v.memoryKiB)}, ${v.interfaces.length} vNIC)`,
          )
          .join(", ");
        process.stdout.write(
          `OK ${file}: topology ${topology.name}, ${topology.vnfs.length} VNF(s)${vnfs ? `: ${vnfs}` : ""}, ${topology.networks.length} network(s)\n`,
        );
      });
  },
};
