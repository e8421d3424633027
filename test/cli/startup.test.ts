/**
 * What the CLI loads before it does anything: `nfvhost --version` loads no command (it printed the
 * version after importing all 14, ~200 ms), `nfvhost plan` only plan, `nfvhost --help` all of them.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadCommands, main } from "../../src/cli/main.js";

const argv = (...args: string[]) => ["node", "nfvhost", ...args];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("command loading", () => {
  it("loads no command for --version and -V", async () => {
    expect(await loadCommands(argv("--version"))).toEqual([]);
    expect(await loadCommands(argv("-V"))).toEqual([]);
  });

  it("loads the named command alone, and every command for --help", async () => {
    expect(await loadCommands(argv("plan", "t.yaml", "--version"))).toHaveLength(1);
    expect((await loadCommands(argv("--help"))).length).toBeGreaterThan(10);
    expect((await loadCommands(argv("--version", "--help"))).length).toBeGreaterThan(10);
  });

  it("prints the version and exits 0", async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    expect(await main(argv("--version"))).toBe(0);
    expect(out.join("")).toBe("0.1.0\n");
  });
});
