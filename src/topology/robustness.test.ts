/**
 * Generated damage to the seed file: whatever is changed, removed or added, the loader either
 * accepts the file or throws NfvErrors whose every entry points at a line of it. Never a crash,
 * never an error without a location.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMap, isScalar, isSeq, parseDocument, visit, type Node } from "yaml";
import { NfvErrors } from "../util/errors.js";
import { KINDS } from "./kinds.js";
import { parseTopology } from "./load.js";
import { topologySchema } from "./schema.js";

const SEED_TEXT = readFileSync("examples/topologies/seed-csr1kv.yaml", "utf8");

/** Every path to a scalar or collection in the seed, in document order. */
function allPaths(): (string | number)[][] {
  const doc = parseDocument(SEED_TEXT);
  const paths: (string | number)[][] = [];
  visit(doc, {
    Pair(_, pair, path) {
      const keys: (string | number)[] = [];
      for (let i = 0; i < path.length; i++) {
        const parent = path[i] as Node;
        const child = (path[i + 1] ?? pair) as unknown;
        if (isMap(parent)) {
          const p = parent.items.find((it) => it === child);
          if (p && isScalar(p.key)) keys.push(String(p.key.value));
        } else if (isSeq(parent)) keys.push(parent.items.indexOf(child as Node));
      }
      paths.push(keys);
    },
  });
  return paths;
}

const PATHS = allPaths();

const anyValue = fc.oneof(
  fc.integer({ min: -5, max: 70000 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    "",
    "auto",
    "8GiB",
    "eno1",
    "../x",
    "52:54:00:00:00:01",
    "01:00:5e:00:00:01",
    "x".repeat(20),
    "a b",
  ),
  fc.string({ maxLength: 12 }),
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("type", "pf", "mac", "zz"), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

const mutation = fc.oneof(
  fc.record({ op: fc.constant("set" as const), at: fc.nat(PATHS.length - 1), value: anyValue }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(PATHS.length - 1) }),
  fc.record({
    op: fc.constant("add" as const),
    at: fc.nat(PATHS.length - 1),
    key: fc.constantFrom("colour", "vcpu", "password", "memroy", "type"),
  }),
);

function mutate(muts: { op: "set" | "delete" | "add"; at: number; value?: unknown; key?: string }[]): string {
  const doc = parseDocument(SEED_TEXT);
  for (const m of muts) {
    const path = PATHS[m.at]!;
    if (!doc.hasIn(path)) continue;
    if (m.op === "set") doc.setIn(path, doc.createNode(m.value));
    else if (m.op === "delete") doc.deleteIn(path);
    else {
      const parent = doc.getIn(path.slice(0, -1), true);
      if (isMap(parent)) parent.set(m.key!, 1);
    }
  }
  return doc.toString();
}

describe("loader robustness", () => {
  it("accepts or rejects damaged seeds with located errors, never crashes", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        const text = mutate(muts);
        try {
          parseTopology(text, "m.yaml");
        } catch (err) {
          expect(err).toBeInstanceOf(NfvErrors);
          const lines = text.split("\n").length;
          for (const e of (err as NfvErrors).errors) {
            const loc = e.details.location!;
            expect(loc.file).toBe("m.yaml");
            expect(loc.line).toBeGreaterThanOrEqual(1);
            expect(loc.line).toBeLessThanOrEqual(lines);
          }
        }
      }),
      { numRuns: 400, seed: 20261125 },
    );
  });

  it("the schema's NIC models cover every kind's models", () => {
    const text = JSON.stringify(topologySchema);
    for (const kind of Object.values(KINDS)) {
      for (const model of kind.nicModels) expect(text).toContain(`"${model}"`);
    }
  });
});
