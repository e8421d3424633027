/**
 * Writes schema/topology.schema.json from ./schema.ts, for editors (YAML language servers read it
 * through a `# yaml-language-server: $schema=...` line), and ./schema-validate.generated.ts, the
 * loader's validator compiled ahead of time. Run after any change to the schema or its formats:
 * npx tsx src/topology/write-schema.ts
 */
import { mkdir, writeFile } from "node:fs/promises";
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

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await mkdir(dirname(SCHEMA_FILE), { recursive: true });
  // Formatted as `npm test` checks it (prettier folds short arrays that JSON.stringify unfolds).
  const prettier = await import("prettier");
  const options = await prettier.resolveConfig(SCHEMA_FILE);
  await writeFile(
    SCHEMA_FILE,
    await prettier.format(schemaFileText(), { ...options, filepath: SCHEMA_FILE }),
  );
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
  // Imported here only: ajv is needed to generate the validator, never to run it.
  const { GENERATED_VALIDATOR_FILE, validatorModuleText } = await import("./schema-validate-gen.js");
  await writeFile(GENERATED_VALIDATOR_FILE, validatorModuleText());
  process.stdout.write(`wrote ${GENERATED_VALIDATOR_FILE}\n`);
}
