/**
 * vitest globalSetup: writes src/generated/topology-validator.ts from the current schema before any
 * test imports it (the file is generated, not committed), so a schema change is tested as it is.
 */
import { writeValidator } from "../../src/topology/write-schema.js";

export default async function setup(): Promise<void> {
  await writeValidator();
}
