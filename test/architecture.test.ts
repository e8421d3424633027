/**
 * The layers of ARCHITECTURE.md hold: every folder under src/ has a layer, every import between
 * folders goes down, and the linter rejects an import that goes up or sideways.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { readLayers } from "../eslint-layers.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(REPO, "src");
const layers = readLayers(readFileSync(join(REPO, "ARCHITECTURE.md"), "utf8"));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

/** "from -> to" for every import (static, type-only, dynamic) that crosses a folder of src/. */
function folderImports(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file).split("/")[0]!;
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const target = relative(SRC, resolve(dirname(file), ref.fileName));
      const to = target.split("/")[0]!;
      if (to === from || target.startsWith("..")) continue;
      const key = `${from} -> ${to}`;
      edges.set(key, [...(edges.get(key) ?? []), relative(REPO, file)]);
    }
  }
  return edges;
}

describe("layers (ARCHITECTURE.md)", () => {
  it("gives every folder of src/ a layer", () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    const missing = folders.filter((f) => !layers.has(f));
    expect(missing, "add these folders to the layer table of ARCHITECTURE.md").toEqual([]);
  });

  it("has every folder import go to a lower layer", () => {
    const edges = folderImports();
    // The walk must see the real graph, not an empty one.
    expect(edges.has("cli -> pipeline") || edges.has("cli -> apply")).toBe(true);
    expect(edges.has("apply -> pipeline")).toBe(true);
    const leaks = [...edges]
      .filter(([edge]) => {
        const [from, to] = edge.split(" -> ") as [string, string];
        return !(layers.get(to)! < layers.get(from)!);
      })
      .map(([edge, files]) => `${edge} (${files.join(", ")})`);
    expect(leaks).toEqual([]);
  });

  it("keeps apply and verify apart and the libvirt model out of render", () => {
    const edges = folderImports();
    for (const e of ["apply -> verify", "verify -> apply", "libvirt -> render", "state -> apply"]) {
      expect(edges.has(e), e).toBe(false);
    }
  });

  it("makes the linter fail on an import that breaks a layer, and pass a legal one", async () => {
    const eslint = new ESLint({ cwd: REPO });
    const leak = await eslint.lintText(
      'import { applyTopology } from "../apply/index.js";\nexport const f = applyTopology;\n',
      {
        filePath: join(SRC, "verify", "leak.ts"),
      },
    );
    const messages = leak[0]!.messages.filter((m) => m.ruleId === "no-restricted-imports");
    expect(messages).toHaveLength(1);
    expect(messages[0]!.message).toContain("verify is layer 8");
    const deep = await eslint.lintText('export { type Plan } from "../../pipeline/index.js";\n', {
      filePath: join(SRC, "render", "libvirt", "leak.ts"),
    });
    expect(deep[0]!.messages.map((m) => m.ruleId)).toContain("no-restricted-imports");
    const legal = await eslint.lintText(
      'import { NfvError } from "../util/errors.js";\nexport const e = NfvError;\n',
      {
        filePath: join(SRC, "verify", "legal.ts"),
      },
    );
    expect(legal[0]!.messages.filter((m) => m.ruleId === "no-restricted-imports")).toEqual([]);
  });
});
