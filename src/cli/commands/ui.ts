import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../apply/index.js";
import { resolveConnect } from "../../libvirt/virsh.js";
import { startUi } from "../../ui/server.js";
import { createSources } from "../../ui/sources.js";
import { NfvError } from "../../util/errors.js";
import type { CommandModule } from "../command.js";

interface UiFlags {
  port: string;
  host: string;
  root: string;
  topology?: string;
  connect?: string;
  poll: string;
  state: string;
  json?: boolean;
}

export const uiCommand: CommandModule = {
  register(program: Command) {
    program
      .command("ui")
      .description("serve a read-only dashboard: the host as a picture, the VNFs on it, live")
      .option("--port <n>", "TCP port (0 = any free port)", "8470")
      .option(
        "--host <addr>",
        "address to bind; anything but loopback requires the printed token",
        "127.0.0.1",
      )
      .option(
        "--root <dir>",
        "read host facts from a snapshot root (directory or .tar.gz) instead of this host (no live state then)",
        "/",
      )
      .option("--topology <file>", "topology file whose plan is drawn on the host")
      .option("--connect <uri>", "libvirt URI for live state (default: NFVHOST_CONNECT or qemu:///system)")
      .option("--poll <ms>", "how often libvirt is polled for state changes", "1000")
      .option("--json", "print {url, token} as one JSON line when serving starts")
      .option(
        "--state <dir>",
        "state directory where `nfvhost verify` records its last result",
        DEFAULT_STATE_DIR,
      )
      .action(async (flags: UiFlags) => {
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new NfvError({ what: "--port", value: flags.port, expected: "a TCP port from 0 to 65535" });
        }
        const poll = Number(flags.poll);
        if (!Number.isFinite(poll) || poll < 100) {
          throw new NfvError({ what: "--poll", value: flags.poll, expected: "milliseconds, at least 100" });
        }
        // A snapshot is another host: its live state is not this machine's libvirt, unless asked.
        const connect = flags.connect ?? (flags.root === "/" ? resolveConnect() : null);
        const sources = createSources({
          root: flags.root,
          topology: flags.topology,
          connect,
          stateDir: flags.root === "/" ? flags.state : null,
        });
        await sources.facts();
        const ui = await startUi(sources, { host: flags.host, port, pollMs: poll });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ url: ui.url, token: ui.token })}\n`);
        } else {
          process.stdout.write(`nfvhost ui: ${ui.url}\n`);
          if (ui.token) process.stdout.write(`token (required on every request): ${ui.token}\n`);
          process.stdout.write("read-only; Ctrl-C stops it\n");
        }
        await new Promise<void>((resolve) => {
          const stop = () => {
            void ui.close().then(resolve);
          };
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
      });
  },
};
