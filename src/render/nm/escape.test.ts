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
