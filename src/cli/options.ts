/**
 * The options several commands share (--root, --connect, --state, --json), declared once and read
 * back typed: commander hands an untyped record to the action, and each value is checked here
 * instead of cast, so a wrong type is a clear error, not a crash later.
 */
import type { Command } from "commander";
import { DEFAULT_CONNECT } from "../libvirt/virsh.js";
import { DEFAULT_STATE_DIR } from "../host/paths.js";
import { NfvError } from "../util/errors.js";

export type RawOptions = Record<string, unknown>;

export function str(o: RawOptions, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") {
    throw new NfvError({ what: `--${kebab(key)}`, value: v, expected: "one value", code: "NFV-CLI-OPTION" });
  }
  return v;
}

export function bool(o: RawOptions, key: string): boolean {
  return o[key] === true;
}

/** `--yes` alone (true) or with names (a list). */
export function list(o: RawOptions, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export interface SharedOptions {
  /** "/" for this host, else a snapshot root. */
  root: string;
  /** libvirt URI: --connect, else NFVHOST_CONNECT, else qemu:///system. */
  connect: string;
  /** The user named a URI (not the default): a snapshot root then has a libvirt too. */
  connectGiven: boolean;
  state: string;
  json: boolean;
}

export function rootOption(cmd: Command, help: string): Command {
  return cmd.option("--root <dir>", help, "/");
}
export function connectOption(cmd: Command): Command {
  return cmd.option("--connect <uri>", "libvirt URI (default NFVHOST_CONNECT or qemu:///system)");
}
export function stateOption(cmd: Command, help: string): Command {
  return cmd.option("--state <dir>", help, DEFAULT_STATE_DIR);
}
export function jsonOption(cmd: Command, help: string): Command {
  return cmd.option("--json", help);
}

export function sharedOptions(o: RawOptions, env: NodeJS.ProcessEnv = process.env): SharedOptions {
  const flag = str(o, "connect");
  const fromEnv = env.NFVHOST_CONNECT || undefined;
  return {
    root: str(o, "root") ?? "/",
    connect: flag || fromEnv || DEFAULT_CONNECT,
    connectGiven: Boolean(flag || fromEnv),
    state: str(o, "state") ?? DEFAULT_STATE_DIR,
    json: bool(o, "json"),
  };
}
