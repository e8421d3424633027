/**
 * Where things are in the YAML text: walks the parsed document along a path and turns node
 * offsets into file:line:column, so every message (schema, semantic, planner) points at the line.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";
import type { SourceLocation } from "./types.js";
import { parseGigabitEthernet } from "./values.js";

export type Path = (string | number)[];

/** A key or value as messages show it: whole when short, else its start and its length. */
export function excerpt(text: string, max = 48): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 8).join("")}…(${chars.length} chars)`;
}

/** vnfs.csr1kv-1.interfaces[1].mac; keys that are not plain words are quoted: host.sysctl["net.ipv4.ip_forward"]. */
export function formatPath(path: Path): string {
  let out = "";
  for (const raw of path) {
    const seg = typeof raw === "string" ? excerpt(raw) : raw;
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === "" ? "(top level)" : out;
}

/** Topology (camelCase) names that are spelt differently in the file. */
const FILE_KEY: Record<string, string> = { memoryKiB: "memory", sizeKiB: "size" };

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

interface Found {
  /** The value node at the deepest path reached. */
  node: Node | null;
  /** The key node of that value, when it sits in a mapping. */
  key: Node | null;
  /** How many path segments were matched. */
  depth: number;
}

const keyOf = (p: { key: unknown }) => (isScalar(p.key) ? String(p.key.value) : String(p.key));

export class SourceMap {
  /**
   * Each mapping's entries by key, built on first use: every located message would otherwise scan
   * its mapping, and a file of 40,000 unknown keys would take 40,000² steps.
   */
  private readonly index = new WeakMap<YAMLMap, Map<string, Pair>>();

  private entries(map: YAMLMap): Map<string, Pair> {
    let m = this.index.get(map);
    if (!m) {
      m = new Map();
      for (const p of map.items as Pair[]) {
        const k = keyOf(p);
        if (!m.has(k)) m.set(k, p);
      }
      this.index.set(map, m);
    }
    return m;
  }

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
  ) {}

  private resolve(node: unknown): Node | null {
    let n = node as Node | null;
    for (let i = 0; i < 10 && n && isAlias(n); i++) n = n.resolve(this.doc) ?? null;
    return n ?? null;
  }

  /**
   * Follows the path as far as it exists. Besides the file's own spelling it accepts the
   * Topology's: camelCase keys and numeric indexes into name-keyed maps (vnfs[0]).
   */
  find(path: Path): Found {
    let node = this.resolve(this.doc.contents);
    let key: Node | null = null;
    let depth = 0;
    for (const seg of path) {
      if (!node) break;
      let next: { value: unknown; key: unknown } | undefined;
      if (isMap(node)) {
        const entries = this.entries(node);
        const wanted = typeof seg === "number" ? [] : [seg, kebab(seg), FILE_KEY[seg] ?? seg];
        for (const w of wanted) {
          next ??= entries.get(w);
        }
        // Day-0 interfaces are normalised to GigabitEthernetN; the file may say GiN.
        const gi = typeof seg === "string" ? parseGigabitEthernet(seg) : null;
        if (!next && gi !== null) next = node.items.find((p) => parseGigabitEthernet(keyOf(p)) === gi);
        if (!next && typeof seg === "number") next = node.items[seg];
      } else if (isSeq(node)) {
        const idx = typeof seg === "number" ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
        const item = node.items[idx];
        if (item !== undefined) next = { value: item, key: null };
      }
      if (!next) break;
      key = (next.key as Node | null) ?? null;
      node = this.resolve(next.value);
      depth++;
      if (!node) break;
    }
    return { node, key, depth };
  }

  at(offset: number): SourceLocation {
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col };
  }

  private start(node: Node | null): number | null {
    return node?.range ? node.range[0] : null;
  }

  /**
   * The value at path, or the nearest existing parent. Scalars point at the value; mappings, lists
   * and empty values at their key ("interfaces:"), which is where a reader looks for them, and a
   * missing child at its parent's key, where the user will add it.
   */
  locate(path: Path): SourceLocation {
    const f = this.find(path);
    const full = f.depth === path.length;
    const scalarValue = f.node && isScalar(f.node) && f.node.value !== null;
    const offset =
      (full && scalarValue ? this.start(f.node) : null) ?? this.start(f.key) ?? this.start(f.node) ?? 0;
    return this.at(offset);
  }

  /** The key of the entry at path (for unknown or misnamed keys), else the value. */
  locateKey(path: Path): SourceLocation {
    const f = this.find(path);
    if (f.depth === path.length && f.key) return this.at(this.start(f.key) ?? 0);
    return this.locate(path);
  }
}
