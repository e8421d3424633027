/**
 * One style across commands a newcomer meets first: descriptions in lower-case imperative (as
 * `nfvhost --help` lists them), every command with --json, and host roots always spelt --root with
 * the same default. FINISHED lists the commands held to it today; add a command once it complies.
 */
import type { Command, Option } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";

const FINISHED = ["discover", "doctor", "snapshot", "validate"];

function command(name: string): Command {
  const c = buildProgram().commands.find((x) => x.name() === name);
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
    if (root === undefined) return expect(name).toBe("validate"); // validate reads no host
    expect(root.flags).toBe("--root <dir>");
    expect(root.defaultValue).toBe("/");
  });
});
