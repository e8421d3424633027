import Table from "cli-table3";
import { type Command, Option } from "commander";
import { readStatus, type VnfStatus } from "../../apply/status.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { type CommandModule, printJson } from "../command.js";
import { topologyName } from "./destroy.js";
import { bool, sharedOptions, type RawOptions } from "../options.js";
import { wantsColour } from "../../util/colour.js";

function memory(v: VnfStatus): string {
  const mib = v.memoryKiB / 1024;
  const size = mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
  return v.hugepageSizeKiB
    ? `${size} (${v.hugepageSizeKiB >= 1048576 ? "1G" : `${v.hugepageSizeKiB / 1024}M`} pages)`
    : size;
}

export function formatStatus(rows: VnfStatus[], threads: boolean): string {
  if (rows.length === 0) return "no domains created by nfvhost on this host\n";
  const style = wantsColour(process.stdout) ? {} : { style: { head: [], border: [] } };
  const t = new Table({
    ...style,
    head: ["VNF", "State", "Node", "vCPU -> CPU", "Emulator", "Memory", "Interfaces", "Console"],
  });
  for (const v of rows) {
    t.push([
      `${v.name}${v.type === "qemu" ? "\n(TCG, not for production)" : ""}`,
      v.state,
      v.node === null ? "-" : String(v.node),
      v.vcpuPins.map((p) => `${p.vcpu} -> ${p.cpus}`).join("\n") || "-",
      v.emulatorPin ?? "-",
      memory(v),
      v.interfaces
        .map(
          (i) =>
            `${i.mac ?? "?"} ${i.type === "hostdev" ? `VF ${i.source}` : `${i.type} ${i.source ?? "-"}`}${i.hostDevice ? ` (${i.hostDevice})` : ""}`,
        )
        .join("\n") || "-",
      v.console,
    ]);
  }
  let out = `${t.toString()}\n`;
  if (threads) {
    for (const v of rows) {
      if (!v.threads) continue;
      const tt = new Table({ ...style, head: ["TID", "Thread", "Role", "Allowed CPUs", "Last CPU"] });
      for (const th of v.threads)
        tt.push([String(th.tid), th.comm, th.role, th.allowed ?? "?", String(th.lastCpu)]);
      out += `\n${v.name}: qemu pid ${v.qemuPid}\n${tt.toString()}\n`;
    }
  }
  return out;
}

export const statusCommand: CommandModule = {
  register(program: Command) {
    program
      .command("status")
      .description("show the VNFs nfvhost runs: state, node, vCPU pinning, memory, interfaces, console")
      .option("--topology-name <name>", "only the domains of this topology (its name: field)")
      .addOption(new Option("--topology <name>").hideHelp())
      .option("--threads", "the qemu process, its vCPU and emulator threads and the CPU each last ran on")
      .option("--all", "also domains nfvhost did not create")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--json", "machine-readable output")
      .action(async (o: RawOptions) => {
        const topology = topologyName(o);
        const shared = sharedOptions(o);
        const virsh = new Virsh(resolveConnect(shared.connect));
        await virsh.ping();
        const threads = bool(o, "threads");
        const rows = await readStatus(virsh, { threads, topology, all: bool(o, "all") });
        if (shared.json) printJson(rows);
        else process.stdout.write(formatStatus(rows, threads));
      });
  },
};
