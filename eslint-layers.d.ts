import type { Linter } from "eslint";

/** Folder under src/ -> layer number, from the table in ARCHITECTURE.md. */
export function readLayers(markdown?: string): Map<string, number>;
/** One no-restricted-imports config block per folder and file depth. */
export function layerRules(layers?: Map<string, number>): Linter.Config[];
