/**
 * Turns ajv's errors into NfvErrors a network engineer can act on: the file line of the value (or
 * of the unknown key), the path as vnfs.csr1kv-1.vcpus, what was expected, what was found, and a
 * "did you mean" for misspelt keys and values.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { didYouMean } from "../util/suggest.js";
import { NfvError } from "../util/errors.js";
import { FORMATS } from "./formats.js";
import { listOr } from "./kinds.js";
import { validate as generated } from "./generated/topology-validator.js";
import { formatPath, type Path, type SourceMap } from "./source.js";

/**
 * The validator of ./schema.ts, generated ahead of time by ./schema-validate-gen.ts into src/topology/generated/ (ajv's
 * standalone code, same options and formats): loading ajv and compiling the schema cost every run
 * ~100 ms. A test checks the generated file is current and reports exactly what a compiled one does.
 */
export function schemaValidator(): ValidateFunction {
  return generated as unknown as ValidateFunction;
}

/** "/vnfs/csr1kv-1/vcpus" -> ["vnfs", "csr1kv-1", "vcpus"] (JSON pointer unescaping). */
export function pointerToPath(pointer: string): Path {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Arrays in the raw data decide whether a segment is an index. */
function typedPath(raw: unknown, path: Path): Path {
  const out: Path = [];
  let cur: unknown = raw;
  for (const seg of path) {
    if (Array.isArray(cur) && /^\d+$/.test(String(seg))) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[String(seg)] : undefined;
    }
  }
  return out;
}

export function describeFound(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  return typeof value;
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "a boolean (true/false)",
  object: "a mapping (key: value)",
  array: "a list",
  null: "nothing",
};

function scalar(value: unknown): unknown {
  return value === null || typeof value === "object" ? undefined : value;
}

type AnyErr = ErrorObject<string, Record<string, unknown>, unknown>;

function schemaOf(e: AnyErr): Record<string, unknown> {
  return (e.parentSchema ?? {}) as Record<string, unknown>;
}

function descriptionOf(schema: unknown): string | undefined {
  if (!schema || typeof schema !== "object") return undefined;
  const d = (schema as { description?: unknown }).description;
  if (typeof d !== "string") return undefined;
  // "Number of vCPUs." reads as "expected number of vCPUs"; keep acronyms such as "MTU" or "SD-WAN".
  const text = d.replace(/\.$/, "");
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** Maps every ajv error to an NfvError located in the file; drops the noise ajv adds around anyOf. */
export function mapSchemaErrors(errors: AnyErr[], raw: unknown, src: SourceMap): NfvError[] {
  const out: NfvError[] = [];
  const anyOfPrefixes = errors.filter((e) => e.keyword === "anyOf").map((e) => e.schemaPath + "/");
  const requiredAt = new Set(
    errors
      .filter((e) => e.keyword === "required")
      .map((e) => `${e.instancePath}/${String(e.params.missingProperty)}`),
  );
  for (const e of errors) {
    if (anyOfPrefixes.some((p) => e.schemaPath.startsWith(p))) continue;
    const path = typedPath(raw, pointerToPath(e.instancePath));
    const where = formatPath(path);
    const data = e.data;
    const schema = schemaOf(e);
    const push = (
      d: Omit<ConstructorParameters<typeof NfvError>[0], "location">,
      at: Path = path,
      key = false,
    ) => out.push(new NfvError({ ...d, location: key ? src.locateKey(at) : src.locate(at) }));

    switch (e.keyword) {
      case "additionalProperties": {
        const key = String(e.params.additionalProperty);
        const known = Object.keys((schema.properties ?? {}) as Record<string, unknown>);
        const at = [...path, key];
        if (known.includes(`${key}-env`)) {
          push(
            {
              what: `${formatPath(at)}: a secret in clear text is not accepted`,
              expected: `\`${key}-env\`: the name of an environment variable that holds it`,
              fix: `remove \`${key}\`, export the value in an environment variable and write \`${key}-env: VARIABLE\``,
            },
            at,
            true,
          );
          break;
        }
        const guess = didYouMean(key, known);
        push(
          {
            what: `${formatPath(at)}: unknown key`,
            expected: `one of ${known.join(", ")}`,
            ...(guess ? { fix: `did you mean \`${guess}\`?` } : {}),
          },
          at,
          true,
        );
        break;
      }
      case "required": {
        const key = String(e.params.missingProperty);
        if (key === "type" && schema.discriminator) {
          const types = branchTypes(schema);
          push(
            {
              what: `${formatPath([...path, key])}: required key missing`,
              expected: `one of ${listOr(types)}`,
              fix: `add \`type:\` under ${formatPath(path)}`,
            },
            [...path, key],
          );
          break;
        }
        const props = (schema.properties ?? {}) as Record<string, unknown>;
        // `password:` instead of `password-env:` is reported once, as a clear-text secret.
        if (key.endsWith("-env") && data && typeof data === "object" && key.slice(0, -4) in data) break;
        const desc = descriptionOf(props[key]);
        push(
          {
            what: `${formatPath([...path, key])}: required key missing`,
            ...(desc ? { expected: desc } : {}),
            fix: `add \`${key}:\` under ${formatPath(path)}`,
          },
          [...path, key],
        );
        break;
      }
      case "discriminator": {
        const tag = String(e.params.tag);
        if (requiredAt.has(`${e.instancePath}/${tag}`)) break;
        const tagValue = (data as Record<string, unknown> | null)?.[tag];
        const types = branchTypes(schema);
        const guess = typeof tagValue === "string" ? didYouMean(tagValue, types) : null;
        push(
          {
            what: formatPath([...path, tag]),
            value: scalar(tagValue),
            expected: `one of ${listOr(types)}`,
            ...(guess ? { fix: `did you mean \`${guess}\`?` } : {}),
          },
          [...path, tag],
        );
        break;
      }
      case "type": {
        const types = String(e.params.type).split(",");
        push({
          what: where,
          value: scalar(data),
          expected: `${listOr(types.map((t) => TYPE_WORDS[t] ?? t))}, found ${describeFound(data)}`,
        });
        break;
      }
      case "enum":
      case "const": {
        const allowed = (
          e.keyword === "enum" ? e.params.allowedValues : [e.params.allowedValue]
        ) as unknown[];
        const guess = typeof data === "string" ? didYouMean(data, allowed.map(String)) : null;
        push({
          what: where,
          value: scalar(data),
          expected: `one of ${listOr(allowed.map(String))}`,
          ...(guess ? { fix: `did you mean \`${guess}\`?` } : {}),
        });
        break;
      }
      case "format": {
        const validate = FORMATS[String(e.params.format)];
        const problem = validate && typeof data === "string" ? validate(data) : null;
        if (e.params.format === "nfv-env") {
          // A bad variable name is often the secret itself, pasted in the wrong place: never echo it.
          push({
            what: `${where}: not an environment variable name (value not shown: it may be a secret)`,
            expected: problem ?? "an environment variable name",
            fix: "export the secret in an environment variable and write its name here",
          });
          break;
        }
        push({ what: where, value: scalar(data), expected: problem ?? String(e.params.format) });
        break;
      }
      case "anyOf": {
        push({ what: where, value: scalar(data), expected: descriptionOf(schema) ?? "another value" });
        break;
      }
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        const desc = descriptionOf(schema);
        push({
          what: where,
          value: scalar(data),
          expected: `${desc ? `${desc}: ` : ""}a value ${String(e.params.comparison)} ${String(e.params.limit)}`,
        });
        break;
      }
      case "minLength":
      case "maxLength":
      case "minItems":
      case "maxItems": {
        const unit = e.keyword.endsWith("Length") ? "characters" : "items";
        const bound = e.keyword.startsWith("min") ? "at least" : "at most";
        push({ what: where, value: scalar(data), expected: `${bound} ${String(e.params.limit)} ${unit}` });
        break;
      }
      case "uniqueItems": {
        push({
          what: where,
          expected: `each item once; items [${String(e.params.j)}] and [${String(e.params.i)}] are the same`,
        });
        break;
      }
      case "pattern": {
        push({
          what: where,
          value: scalar(data),
          expected: descriptionOf(schema) ?? `a value matching ${e.params.pattern}`,
        });
        break;
      }
      default:
        push({ what: where, value: scalar(data), expected: e.message ?? "another value" });
    }
  }
  return out;
}

function branchTypes(schema: Record<string, unknown>): string[] {
  const branches = (schema.oneOf ?? []) as { properties?: { type?: { const?: unknown } } }[];
  return branches.map((b) => String(b.properties?.type?.const));
}
