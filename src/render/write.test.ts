import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeArtifacts } from "./write.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvhost-render-write-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeArtifacts", () => {
  it("refuses a path that leaves the output directory, before writing anything", async () => {
    const out = join(dir, "a");
    await expect(
      writeArtifacts(
        [
          { path: "ok.txt", content: "x", mode: 0o644, description: "" },
          { path: "../escape.txt", content: "x", mode: 0o644, description: "" },
        ],
        out,
      ),
    ).rejects.toThrow(/rendered file path.*inside the output directory/);
    await expect(stat(join(dir, "escape.txt"))).rejects.toThrow();
    await expect(stat(join(out, "ok.txt"))).rejects.toThrow();
  });

  it("replaces an older, more open file by a new one with the rendered mode", async () => {
    const out = join(dir, "b");
    await mkdir(out);
    await writeFile(join(out, "secret.cfg"), "old", { mode: 0o644 });
    await writeArtifacts([{ path: "secret.cfg", content: "new", mode: 0o600, description: "" }], out);
    expect((await stat(join(out, "secret.cfg"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(out, "secret.cfg"), "utf8")).toBe("new");
  });
});
