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

  it("gives every file its rendered mode whatever the umask, and a private file a 0700 directory", async () => {
    const files = [
      { path: "apply.sh", content: "#!/bin/sh\n", mode: 0o755, description: "" },
      { path: "libvirt/domains/r1.xml", content: "<domain/>", mode: 0o644, description: "" },
      { path: "day0/install.sh", content: "#!/bin/sh\n", mode: 0o755, description: "" },
      { path: "day0/r1/iosxe_config.txt", content: "secret 9 $9$x", mode: 0o600, description: "" },
    ];
    for (const umask of [0o077, 0o000]) {
      const out = join(dir, `umask-${umask.toString(8)}`);
      const was = process.umask(umask);
      try {
        await writeArtifacts(files, out);
      } finally {
        process.umask(was);
      }
      const mode = async (p: string) => (await stat(join(out, p))).mode & 0o777;
      for (const f of files) expect(await mode(f.path), `${f.path} under umask ${umask}`).toBe(f.mode);
      expect(await mode("day0/r1")).toBe(0o700);
      expect(await mode("day0")).toBe(umask === 0 ? 0o755 : 0o700);
      expect(await mode("libvirt/domains")).toBe(umask === 0 ? 0o755 : 0o700);
    }
  });
});
