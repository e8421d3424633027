import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { assertRunning, findDomain } from "../../apply/operate.js";
import { loadAppliedPlan } from "../../state/applied.js";
import { resolveConnect, Virsh } from "../../libvirt/virsh.js";
import { KINDS } from "../../topology/kinds.js";
import type { VnfKind } from "../../topology/types.js";
import { NfvError } from "../../util/errors.js";
import { execInVnf, type ExecTarget } from "../../verify/guest.js";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { sharedOptions, str, type RawOptions } from "../options.js";

/** Commands from a file: one per line; blank lines and lines starting with ! or # are skipped. */
async function commandsFrom(file: string): Promise<string[]> {
  return (await readFile(file, "utf8"))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("!") && !l.startsWith("#"));
}

/**
 * --via/--guest-via, --port and --ssh-config as an ExecTarget's transport fields; the port and the
 * config file are refused with serial, where they would silently mean nothing.
 */
export function sshTargetOptions(
  o: RawOptions,
  viaFlag: "--via" | "--guest-via",
): Pick<ExecTarget, "via" | "port" | "sshConfig"> {
  const via = str(o, viaFlag === "--via" ? "via" : "guestVia") ?? "serial";
  if (via !== "serial" && via !== "ssh")
    throw new NfvError({ what: viaFlag, value: via, expected: "serial or ssh" });
  const port = str(o, "port");
  const config = str(o, "sshConfig");
  if (via === "serial" && (port !== undefined || config !== undefined))
    throw new NfvError({
      what: port !== undefined ? "--port" : "--ssh-config",
      value: port ?? config,
      expected: `${viaFlag} ssh (the serial console has no port or ssh config)`,
      fix: `add ${viaFlag} ssh, or drop the option`,
    });
  if (port !== undefined && (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535))
    throw new NfvError({ what: "--port", value: port, expected: "a TCP port 1-65535" });
  return {
    via,
    ...(port !== undefined ? { port: Number(port) } : {}),
    ...(config !== undefined ? { sshConfig: config } : {}),
  };
}

export const execCommand: CommandModule = {
  register(program: Command) {
    program
      .command("exec")
      .description(
        'run commands inside a VNF (serial console, or SSH with the day-0 user): nfvhost exec csr1kv-1 -- "show platform software vnic-if interface-mapping"',
      )
      .argument("<vnf>", "VNF name")
      .argument("[commands...]", "commands, one argument each (after --)")
      .option("--via <transport>", "serial (the domain's console pty) or ssh", "serial")
      .option("--user <name>", "ssh: user (default: the day-0 user of the last applied plan)")
      .option("--address <ip>", "ssh: address (default: the VNF's first static day-0 address)")
      .option("--port <port>", "ssh: port (default: ssh's own, 22 or the ssh config's)")
      .option(
        "--ssh-config <file>",
        "ssh: an ssh_config file instead of ~/.ssh/config (known hosts, keys, jump hosts)",
      )
      .option(
        "--commands-file <file>",
        "run the commands in this file (e.g. day0/<vnf>/license-register.txt)",
      )
      .option("--kind <kind>", "the VNF's kind when nfvhost did not apply it (its console prompt)")
      .option("--timeout <seconds>", "per command", "30")
      .option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)")
      .option("--state <dir>", "state directory (the last applied plan)", DEFAULT_STATE_DIR)
      .option("--json", "commands, their output and the parsed form of known show commands")
      .action(
        returning(async (name: string, cmds: string[], o: RawOptions) => {
          const shared = sharedOptions(o);
          const ssh = sshTargetOptions(o, "--via");
          const commandsFile = str(o, "commandsFile");
          const commands = [...cmds, ...(commandsFile ? await commandsFrom(commandsFile) : [])];
          if (commands.length === 0)
            throw new NfvError({
              what: "exec",
              value: "no command",
              expected: 'commands after --, e.g. -- "show version"',
            });
          const timeout = Number(str(o, "timeout"));
          if (!Number.isFinite(timeout) || timeout <= 0)
            throw new NfvError({ what: "--timeout", value: o.timeout, expected: "seconds > 0" });
          const virsh = new Virsh(resolveConnect(shared.connect));
          await virsh.ping();
          const d = await findDomain(virsh, name);
          assertRunning(virsh, d);
          const topology = d.config.metadata?.topology ?? null;
          const applied = topology ? await loadAppliedPlan(shared.state, topology) : null;
          const plan = applied?.vnfs.find((v) => v.name === name);
          const kind = str(o, "kind") ?? plan?.kind;
          if (kind === undefined || !(kind in KINDS)) {
            throw new NfvError({
              what: `kind of VNF ${name}`,
              value: kind ?? "unknown (no applied plan names it)",
              expected: `one of ${Object.keys(KINDS).join(", ")}`,
              fix: "pass --kind, e.g. --kind c8000v",
            });
          }
          const user = str(o, "user");
          const address = str(o, "address");
          const results = await execInVnf(
            virsh,
            { name, kind: kind as VnfKind, ...(plan ? { plan } : {}) },
            commands,
            {
              ...(user ? { user } : {}),
              ...(address ? { address } : {}),
              ...ssh,
              // The day-0 user's password, when its password-env is set here (never on argv or disk).
              env: process.env,
              timeoutMs: timeout * 1000,
            },
          );
          if (shared.json) printJson({ vnf: name, via: ssh.via, results });
          else for (const r of results) process.stdout.write(`${name}# ${r.command}\n${r.output}\n`);
          return results.some((r) => r.error) ? 1 : 0;
        }),
      );
  },
};
