/**
 * The loader's validator is generated ahead of time (src/topology/generated/topology-validator.ts). It must be
 * current, and it must report exactly what ajv compiling ./schema.ts at run time reports: the error
 * messages users see are built from every field of ajv's errors (paths, params, schema, data).
 */
import { readFileSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { schemaValidator } from "./schema-errors.js";
import { compileValidator, GENERATED_VALIDATOR_FILE, validatorModuleText } from "./schema-validate-gen.js";
import { topologySchema } from "./schema.js";

const generated = schemaValidator();
const compiled: ValidateFunction = compileValidator().compile(topologySchema);

/** Both validators' verdict and errors on one value. */
function both(raw: unknown): { generated: unknown; compiled: unknown } {
  const g = generated(raw);
  const gErrors = structuredClone(generated.errors);
  const c = compiled(raw);
  return { generated: [g, gErrors], compiled: [c, structuredClone(compiled.errors)] };
}

const TOPOLOGY_DIRS = ["examples/topologies", "test/fixtures/topologies/broken"];
const FILES = TOPOLOGY_DIRS.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(d, f)),
);

function yamlValue(file: string): unknown {
  try {
    return parse(readFileSync(file, "utf8"));
  } catch {
    return undefined; // a YAML syntax fixture: never reaches the schema
  }
}

describe("generated topology validator", () => {
  it("is current (regenerate with npx tsx src/topology/write-schema.ts)", async () => {
    expect(await readFile(GENERATED_VALIDATOR_FILE, "utf8")).toBe(validatorModuleText());
  });

  it.each(FILES)("reports on %s exactly what the compiled schema reports", (file) => {
    const raw = yamlValue(file);
    if (raw === undefined) return;
    const r = both(raw);
    expect(r.generated).toEqual(r.compiled);
  });

  it("reports on damaged seeds exactly what the compiled schema reports", () => {
    const seed = yamlValue("examples/topologies/seed-csr1kv.yaml");
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, at: (string | number)[]) => {
      paths.push(at);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    };
    walk(seed, []);
    const value = fc.oneof(
      fc.integer({ min: -5, max: 70000 }),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom("", "auto", "8GiB", "eno1", "../x", "01:00:5e:00:00:01", "x".repeat(300), "a\nb", "T9"),
      fc.string({ maxLength: 12 }),
      fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom("type", "pf", "mac", "zz", "network"), fc.string({ maxLength: 5 }), {
        maxKeys: 2,
      }),
    );
    const mutation = fc.record({
      op: fc.constantFrom("set", "delete", "add"),
      at: fc.nat(paths.length - 1),
      value,
      key: fc.constantFrom("colour", "vcpu", "password", "memroy", "type", "dev"),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
        const raw = structuredClone(seed) as Record<string, unknown>;
        for (const m of muts) {
          const path = paths[m.at]!;
          if (path.length === 0) continue;
          let parent: unknown = raw;
          for (const seg of path.slice(0, -1)) parent = (parent as Record<string, unknown> | null)?.[seg];
          if (!parent || typeof parent !== "object") continue;
          const last = path[path.length - 1]!;
          const obj = parent as Record<string | number, unknown>;
          if (m.op === "set") obj[last] = m.value;
          else if (m.op === "delete") delete obj[last];
          else if (!Array.isArray(obj[last]) && obj[last] && typeof obj[last] === "object")
            (obj[last] as Record<string, unknown>)[m.key] = 1;
        }
        const r = both(raw);
        expect(r.generated).toEqual(r.compiled);
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });
});
