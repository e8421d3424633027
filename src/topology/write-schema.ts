/**
 * Writes schema/topology.schema.json from ./schema.ts, for editors (YAML language servers read it
 * through a `# yaml-language-server: $schema=...` line; committed), and
 * src/topology/generated/topology-validator.ts, the loader's validator compiled ahead of time (not
 * committed). After a change to the schema or its formats: npx tsx src/topology/write-schema.ts;
 * `--validator-only` (npm run generate, run by build, typecheck and the test setup) writes only
 * the validator, and only when its text changed.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { topologySchema } from "./schema.js";

export const SCHEMA_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../../schema/topology.schema.json",
);

export function schemaFileText(): string {
  return `${JSON.stringify(topologySchema, null, 2)}\n`;
}

/** Writes the validator module when its text differs from what is on disk; true when written. */
export async function writeValidator(): Promise<boolean> {
  const { GENERATED_VALIDATOR_FILE, validatorModuleText } = await import("./schema-validate-gen.js");
  const text = validatorModuleText();
  const now = await readFile(GENERATED_VALIDATOR_FILE, "utf8").catch(() => null);
  if (now === text) return false;
  await mkdir(dirname(GENERATED_VALIDATOR_FILE), { recursive: true });
  await writeFile(GENERATED_VALIDATOR_FILE, text);
  return true;
}

const main = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (main && process.argv.includes("--validator-only")) {
  await writeValidator();
} else if (main) {
  await mkdir(dirname(SCHEMA_FILE), { recursive: true });
  // Formatted as `npm test` checks it (prettier folds short arrays that JSON.stringify unfolds).
  const prettier = await import("prettier");
  const options = await prettier.resolveConfig(SCHEMA_FILE);
  await writeFile(
    SCHEMA_FILE,
    await prettier.format(schemaFileText(), { ...options, filepath: SCHEMA_FILE }),
  );
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  // Imported only here: ajv is needed to generate the validator, never to run it.
  await writeValidator();
  process.stdout.write("wrote src/topology/generated/topology-validator.ts\n");
}
