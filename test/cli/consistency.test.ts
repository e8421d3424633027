/**
 * One style across commands a newcomer meets first: descriptions in lower-case imperative (as
 * `nfvhost --help` lists them), every command with --json, and host roots always spelt --root with
 * the same default. FINISHED lists the commands held to it today; add a command once it complies.
 */
import type { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, loadCommands } from "../../src/cli/main.js";

const FINISHED = [
  "discover",
  "doctor",
  "snapshot",
  "validate",
  "apply",
  "verify",
  "status",
  "console",
  "capture",
  "destroy",
  "rollback",
  "plan",
  "render",
  "ui",
];

/**
 * Commands that read no host root, and why. console and capture are interactive: their --json
 * prints what they would run (the virsh console / tcpdump command and the device) instead of
 * attaching, which is what a script needs; they keep it.
 */
const NO_HOST_ROOT: Record<string, string> = {
  validate: "reads only the topology file",
  status: "reads libvirt (--connect), not host files",
  console: "attaches to libvirt's console (--connect)",
  capture: "asks libvirt for the host device, then runs tcpdump on this host",
  destroy: "acts on libvirt (--connect) and the state directory",
  rollback: "acts on libvirt (--connect) and the state directory",
};

const program = buildProgram(await loadCommands());

function command(name: string): Command {
  const c = program.commands.find((x) => x.name() === name);
  if (!c) throw new Error(`no command ${name}`);
  return c;
}

function option(c: Command, flag: string): Option | undefined {
  return c.options.find((o) => o.long === flag);
}

describe.each(FINISHED)("nfvhost %s follows the shared CLI style", (name) => {
  const c = command(name);

  it("describes itself in lower-case imperative", () => {
    expect(c.description()).toMatch(/^[a-z]/);
  });

  it("has --json", () => {
    expect(option(c, "--json")).toBeDefined();
  });

  it("spells a host root --root <dir> defaulting to this host", () => {
    const root = option(c, "--root");
    if (root === undefined) return expect(NO_HOST_ROOT[name]).toBeDefined();
    expect(root.flags).toBe("--root <dir>");
    expect(root.defaultValue).toBe("/");
  });
});

describe.each(["apply", "verify"])("nfvhost %s words --root like discover and plan", (name) => {
  it("reads host facts from a snapshot root instead of this host", () => {
    expect(option(command(name), "--root")?.description).toMatch(
      /^read host facts (and sysfs )?from a snapshot root \(directory\) instead of this host/,
    );
  });
});

describe.each(["status", "destroy"])("nfvhost %s takes a topology by name", (name) => {
  it("spells it --topology-name <name> (ui's --topology is a file), the old --topology hidden", () => {
    const c = command(name);
    expect(option(c, "--topology-name")?.flags).toBe("--topology-name <name>");
    expect(option(c, "--topology")?.hidden).toBe(true);
  });
});
