import { describe, expect, it } from "vitest";
import { colours, wantsColour } from "./colour.js";

describe("wantsColour", () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it("colours a terminal, never a pipe, whatever CI says", () => {
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(pipe, { CI: "true" })).toBe(false);
  });
  it("NO_COLOR wins, FORCE_COLOR forces, TERM=dumb stays plain", () => {
    expect(wantsColour(tty, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
    expect(wantsColour(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(wantsColour(tty, { FORCE_COLOR: "0" })).toBe(false);
    expect(wantsColour(tty, { TERM: "dumb" })).toBe(false);
  });
  it("plain colours leave the text untouched", () => {
    expect(colours(false).red("FAIL")).toBe("FAIL");
    expect(colours(true).red("FAIL")).not.toBe("FAIL");
  });
});
