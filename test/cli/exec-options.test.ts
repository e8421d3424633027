/** `exec --via` / `verify --guest-via` transport options: parsed, and refused where they mean nothing. */
import { describe, expect, it } from "vitest";
import { sshTargetOptions } from "../../src/cli/commands/exec.js";
import { runCli } from "../support/cli.js";

describe("exec and verify transport options", () => {
  it("ssh takes a port and an ssh config; serial is the default", () => {
    expect(sshTargetOptions({}, "--via")).toEqual({ via: "serial" });
    expect(sshTargetOptions({ via: "ssh", port: "2222", sshConfig: "/t/c" }, "--via")).toEqual({
      via: "ssh",
      port: 2222,
      sshConfig: "/t/c",
    });
    expect(sshTargetOptions({ guestVia: "ssh" }, "--guest-via")).toEqual({ via: "ssh" });
  });

  it("refuses a port or config with the serial console, a bad port and an unknown transport", () => {
    expect(() => sshTargetOptions({ port: "22" }, "--via")).toThrow(/--port.*expected --via ssh/);
    expect(() => sshTargetOptions({ sshConfig: "/t/c" }, "--guest-via")).toThrow(
      /--ssh-config.*expected --guest-via ssh/,
    );
    for (const port of ["0", "65536", "22x", "-1"])
      expect(() => sshTargetOptions({ via: "ssh", port }, "--via")).toThrow(/--port.*1-65535/);
    expect(() => sshTargetOptions({ via: "telnet" }, "--via")).toThrow(/--via.*"telnet".*serial or ssh/);
  });

  it("the CLI refuses them before libvirt is asked", async () => {
    const r = await runCli([
      "exec",
      "r1",
      "--port",
      "22",
      "--connect",
      "test:///default",
      "--",
      "show version",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--port.*expected --via ssh/);
  });
});
