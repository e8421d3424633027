/**
 * Runs CLI commands on a VNF's serial console, as an engineer does with `virsh console`: the live
 * domain's pty (libvirt's <serial type='pty'><source path='/dev/pts/N'/>), a carriage return to get
 * a prompt, `enable` when the kind's exec mode needs it, `terminal length 0`, then each command,
 * its output read up to the next prompt. virsh console itself refuses to run without a terminal,
 * so the pty is opened directly (QEMU has put it in raw mode).
 */
import { constants, openSync, write } from "node:fs";
import tty from "node:tty";
import { promisify } from "node:util";
import { NfvError } from "../util/errors.js";

export interface ConsoleCommandResult {
  command: string;
  /** What the command printed: its echo and the closing prompt removed, CRs dropped. */
  output: string;
}

export interface ConsoleExecOptions {
  /** The whole prompt line of the guest's exec mode, e.g. /^Router[>#]$/. */
  prompt: RegExp;
  /** Send `enable` when the prompt ends in '>' (IOS-style privileged EXEC). */
  privileged: boolean;
  /** Per command, from the moment it is sent. */
  timeoutMs: number;
  /** Commands that prepare the session (e.g. terminal length 0). */
  setup: string[];
  /** Names the VNF in errors. */
  vnf: string;
}

/** The live XML's serial pty, e.g. /dev/pts/3; null when the console is not a pty. */
export function serialPty(liveXml: string): string | null {
  const serial = /<serial type=['"]pty['"][^>]*>([\s\S]*?)<\/serial>/.exec(liveXml);
  const path = serial ? /<source path=['"](\/dev\/pts\/\d+)['"]/.exec(serial[1]!) : null;
  return path ? path[1]! : null;
}

/** The last line of what the console printed, when it is a prompt. */
function promptAtEnd(buffer: string, prompt: RegExp): string | null {
  const last = buffer.replace(/\r/g, "").split("\n").pop() ?? "";
  return prompt.test(last) ? last.trim() : null;
}

export async function execOnConsole(
  pty: string,
  commands: readonly string[],
  opts: ConsoleExecOptions,
): Promise<ConsoleCommandResult[]> {
  if (!/^\/dev\/pts\/\d+$/.test(pty))
    throw new NfvError({ what: `serial console of ${opts.vnf}`, value: pty, expected: "a /dev/pts/N pty" });
  const fd = openSync(pty, constants.O_RDWR | constants.O_NOCTTY);
  // The stream owns the fd from here: destroying it closes the fd once.
  const input = new tty.ReadStream(fd);
  input.setRawMode(true);
  let buffer = "";
  let waiter: (() => void) | null = null;
  input.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("latin1");
    waiter?.();
  });
  const send = async (line: string) => {
    await promisify(write)(fd, `${line}\r`);
  };
  /** Resolves with everything printed up to and including a prompt at the end. */
  const untilPrompt = (what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = null;
        const tail = buffer.replace(/\r/g, "").slice(-300);
        reject(
          new NfvError({
            what: `serial console of ${opts.vnf}`,
            value: tail,
            expected: `a prompt (${opts.prompt.source}) within ${opts.timeoutMs / 1000} s after ${what}`,
            fix: "check that the VNF has booted (nfvhost console <vnf>) and that nobody else holds its console",
            exitCode: 1,
          }),
        );
      }, opts.timeoutMs);
      const check = () => {
        if (/^\s*Password:\s*$/m.test(buffer.replace(/\r/g, "").split("\n").pop() ?? "")) {
          clearTimeout(timer);
          waiter = null;
          reject(
            new NfvError({
              what: `serial console of ${opts.vnf}`,
              value: "Password:",
              expected: "a console that needs no login, or --via ssh with the day-0 user",
              fix: `log the console in (nfvhost console ${opts.vnf}) or use --via ssh`,
              exitCode: 1,
            }),
          );
          return;
        }
        if (promptAtEnd(buffer, opts.prompt) !== null) {
          clearTimeout(timer);
          waiter = null;
          const out = buffer;
          buffer = "";
          resolve(out);
        }
      };
      waiter = check;
      check();
    });
  try {
    // Whatever the console printed before we came is not ours.
    await new Promise((r) => setTimeout(r, 200));
    buffer = "";
    await send("");
    let prompt = promptAtEnd(await untilPrompt("a carriage return"), opts.prompt)!;
    if (opts.privileged && prompt.endsWith(">")) {
      await send("enable");
      prompt = promptAtEnd(await untilPrompt("enable"), opts.prompt)!;
    }
    for (const s of opts.setup) {
      await send(s);
      await untilPrompt(s);
    }
    const results: ConsoleCommandResult[] = [];
    for (const command of commands) {
      await send(command);
      const raw = (await untilPrompt(command)).replace(/\r/g, "");
      const lines = raw.split("\n");
      lines.pop(); // the prompt
      // The console echoes the command line first.
      const echo = lines.findIndex((l) => l.trim() === command.trim() || l.endsWith(command));
      const body = echo >= 0 ? lines.slice(echo + 1) : lines;
      results.push({ command, output: body.join("\n").replace(/^\n+|\n+$/g, "") });
    }
    return results;
  } finally {
    waiter = null;
    input.destroy();
  }
}
