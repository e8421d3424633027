import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import { layerRules } from "./eslint-layers.js";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "coverage/",
      "out/",
      ".cache/",
      ".tmp-*/",
      "bench/results/",
      "test/golden/",
      "test/fixtures/",
      // ajv's standalone output, written by `npm run generate` (src/topology/schema-validate-gen.ts).
      "src/topology/generated/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // Layers of ARCHITECTURE.md: a folder imports only lower layers.
  ...layerRules(),
  {
    files: ["ui/**/*.js"],
    languageOptions: { globals: { ...globals.browser }, sourceType: "script" },
  },
);
