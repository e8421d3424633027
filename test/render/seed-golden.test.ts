/**
 * The seed deployment renders to files equal to the reviewed golden files under
 * test/golden/seed-csr1kv/ (MANIFEST.txt holds every file's mode, the ISO included). After a
 * reviewed change: UPDATE_GOLDEN=1 npx vitest run test/render/seed-golden.test.ts
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type9Secret } from "../../src/render/secrets/cisco.js";
import type { RenderedFile } from "../../src/render/types.js";
import { mayWriteGolden } from "../support/golden.js";
import { fileOf, REPO, renderSeed, SEED_PASSWORD } from "./seed.js";

const GOLDEN = join(REPO, "test/golden/seed-csr1kv");

function manifest(files: RenderedFile[]): string {
  return files
    .map(
      (f) =>
        `${f.mode.toString(8).padStart(4, "0")} ${f.path}${f.iso ? " (ISO9660 image, built at write time)" : ""}\n`,
    )
    .join("");
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

let files: RenderedFile[];

beforeAll(async () => {
  files = (await renderSeed()).files;
  if (mayWriteGolden(GOLDEN)) {
    await rm(GOLDEN, { recursive: true, force: true });
    for (const f of files.filter((x) => !x.iso)) {
      await mkdir(dirname(join(GOLDEN, f.path)), { recursive: true });
      await writeFile(join(GOLDEN, f.path), f.content);
    }
    await writeFile(join(GOLDEN, "MANIFEST.txt"), manifest(files));
  }
});

describe("seed deployment golden files", () => {
  it("renders exactly the files of the golden tree, with the golden modes", async () => {
    const rendered = files.filter((f) => !f.iso).map((f) => f.path);
    expect(await listTree(GOLDEN)).toEqual([...rendered, "MANIFEST.txt"].sort());
    expect(manifest(files)).toBe(await readFile(join(GOLDEN, "MANIFEST.txt"), "utf8"));
  });

  it("renders every file byte for byte as reviewed", async () => {
    for (const f of files.filter((x) => !x.iso)) {
      expect(f.content, f.path).toBe(await readFile(join(GOLDEN, f.path), "utf8"));
    }
  });

  it("is stable: a second render gives the same bytes", async () => {
    const again = (await renderSeed()).files;
    expect(again.map((f) => [f.path, f.content])).toEqual(files.map((f) => [f.path, f.content]));
  });

  it("carries the admin password only as a type 9 secret that verifies", () => {
    const cfg = fileOf(files, "day0/csr1kv-1/ciscosdwan_cloud_init.cfg").content;
    const m = /^username admin privilege 15 secret 9 (\$9\$([./0-9A-Za-z]{14})\$[./0-9A-Za-z]{43})$/m.exec(
      cfg,
    );
    expect(m).not.toBeNull();
    expect(type9Secret(SEED_PASSWORD, m![2]!)).toBe(m![1]);
    for (const f of files) expect(f.content, f.path).not.toContain(SEED_PASSWORD);
  });
});
