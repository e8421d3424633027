/**
 * The layer table of ARCHITECTURE.md as data, and the `no-restricted-imports` rules that enforce it.
 * ARCHITECTURE.md is the one source: eslint.config.js and test/architecture.test.ts both read it.
 */
import { readFileSync } from "node:fs";

/** @returns {Map<string, number>} folder under src/ -> layer number */
export function readLayers(markdown = readFileSync(new URL("./ARCHITECTURE.md", import.meta.url), "utf8")) {
  const begin = markdown.indexOf("<!-- layers:begin");
  const end = markdown.indexOf("<!-- layers:end");
  if (begin < 0 || end < begin)
    throw new Error("ARCHITECTURE.md: the layers:begin/layers:end table is missing");
  const layers = new Map();
  for (const line of markdown.slice(begin, end).split("\n")) {
    const m = /^\|\s*(\d+)\s*\|([^|]+)\|/.exec(line);
    if (!m) continue;
    for (const folder of m[2]
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean))
      layers.set(folder, Number(m[1]));
  }
  return layers;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * One config block per folder and file depth: from src/F/a.ts the folder G is `../G/`, from
 * src/F/x/a.ts it is `../../G/`, so each depth gets an exact pattern and a subfolder that shares a
 * name with a layer (render/libvirt, render/host) is never mistaken for it.
 */
export function layerRules(layers = readLayers()) {
  const blocks = [];
  for (const [folder, layer] of layers) {
    const forbidden = [...layers].filter(([g, l]) => g !== folder && l >= layer).map(([g]) => g);
    if (forbidden.length === 0) continue;
    for (let depth = 1; depth <= 4; depth++) {
      const up = "\\.\\./".repeat(depth);
      blocks.push({
        files: [`src/${folder}/${"*/".repeat(depth - 1)}*.ts`],
        ignores: ["**/*.test.ts"],
        rules: {
          "no-restricted-imports": [
            "error",
            {
              patterns: [
                {
                  regex: `^${up}(${forbidden.map(escape).join("|")})(/|$)`,
                  message: `${folder} is layer ${layer} in ARCHITECTURE.md: it may import only folders of a lower layer. Move the shared code down a layer (or correct the table if the design changed).`,
                },
              ],
            },
          ],
        },
      });
    }
  }
  return blocks;
}
