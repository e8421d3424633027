import { describe, expect, it } from "vitest";
import { NfvError } from "../util/errors.js";
import { directoryRoot, wholeSeconds } from "./options.js";

function refusal(f: () => unknown): NfvError {
  try {
    f();
  } catch (e) {
    return e as NfvError;
  }
  throw new Error("expected a refusal");
}

describe("command-line values", () => {
  it("takes whole seconds from 0 up", () => {
    expect(wholeSeconds("60", "--stop-timeout")).toBe(60);
    expect(wholeSeconds("0", "--stop-timeout")).toBe(0);
  });

  it.each(["abc", "1.5", "-1", "1e3", "", " 5", "0x10", "99999999"])(
    "refuses --stop-timeout %j with exit 2, naming the option and the value",
    (v) => {
      const e = refusal(() => wholeSeconds(v, "--stop-timeout"));
      expect(e).toBeInstanceOf(NfvError);
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain("--stop-timeout");
      expect(e.message).toContain("whole seconds");
    },
  );

  it("takes a root directory and refuses a .tar.gz for apply/verify", () => {
    expect(directoryRoot("/", "apply")).toBe("/");
    expect(directoryRoot("/tmp/snap", "verify")).toBe("/tmp/snap");
    const e = refusal(() => directoryRoot("/tmp/host.tar.gz", "apply"));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("tar -xzf /tmp/host.tar.gz");
  });
});
