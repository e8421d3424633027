import { describe, expect, it } from "vitest";
import { run } from "../../util/exec.js";
import { keyfileValue } from "./keyfile.js";

describe("keyfile values", () => {
  it("are escaped exactly as NetworkManager's own writer does (nmcli --offline)", async () => {
    for (const id of ["plain", "a\\b", " lead", "back\\\\slash", "tab\there", "trail\\", "mid dle"]) {
      const r = await run("nmcli", [
        "--offline",
        "connection",
        "add",
        "type",
        "ethernet",
        "con-name",
        id,
        "ifname",
        "eth9",
      ]);
      expect(r.code, r.stderr).toBe(0);
      const line = r.stdout.split("\n").find((l) => l.startsWith("id="));
      expect(`id=${keyfileValue(id)}`, JSON.stringify(id)).toBe(line);
    }
  });
});

describe("keyfiles read back by NetworkManager (GKeyFile) give exactly the names written", () => {
  // nmcli --offline reads a keyfile on stdin with GKeyFile and writes the profile back with its
  // own escaping. Its writer is the one the test above matches, and GKeyFile's writer is injective,
  // so the same line coming back means GKeyFile read the very string that was rendered.
  it("round-trips backslashes, leading spaces, tabs and a trailing backslash through nmcli", async () => {
    const names = [
      "a\\b",
      "back\\\\slash",
      "trail\\",
      " lead",
      "tab\there",
      "a\\sb",
      "a\\nb",
      "\\",
      "x\\\\\\y",
    ];
    for (const name of names) {
      const written = await run("nmcli", [
        "--offline",
        "connection",
        "add",
        "type",
        "ethernet",
        "con-name",
        name,
      ]);
      expect(
        written.stdout.split("\n").find((l) => l.startsWith("id=")),
        JSON.stringify(name),
      ).toBe(`id=${keyfileValue(name)}`);
      const keyfile = [
        "[connection]",
        `id=${keyfileValue(name)}`,
        "uuid=0b2f5b8e-3f0c-4c1e-9d57-3c7a3e8b9a10",
        "type=ethernet",
        `interface-name=eth9`,
        "",
      ].join("\n");
      const r = await run("nmcli", ["--offline", "connection", "modify", "connection.autoconnect", "no"], {
        input: keyfile,
      });
      expect(r.code, `${JSON.stringify(name)}: ${r.stderr}`).toBe(0);
      const line = r.stdout.split("\n").find((l) => l.startsWith("id="));
      expect(line, JSON.stringify(name)).toBe(`id=${keyfileValue(name)}`);
      expect(r.stdout).toContain("autoconnect=false");
    }
  });
});
