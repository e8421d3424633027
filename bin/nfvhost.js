#!/usr/bin/env node
// The compiled CLI, bundled into one CommonJS file (scripts/bundle.mjs); `npm ci` builds it
// through the `prepare` script. It is compiled here with V8's code cache built beside it: Node 20
// caches no compiled code for ES modules, and compiling the CLI was the largest share of a short
// command's time (docs/bench.md).
import { readFileSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const file = fileURLToPath(new URL("../dist/bundle/nfvhost.cjs", import.meta.url));
const cacheFile = `${file}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache (a build that could not make one): compile without it.
}
const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), {
  filename: file,
  cachedData,
  // The bundle keeps a few real import() calls (packages loaded on demand): Node's own loader.
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const module = { exports: {} };
script.runInThisContext()(
  module.exports,
  createRequire(file),
  module,
  file,
  fileURLToPath(new URL("../dist/bundle/", import.meta.url)),
);

// The build's warm-up run (scripts/bundle.mjs) asks for the cache of what this run compiled.
const cacheOut = process.env.NFVHOST_CODE_CACHE_OUT;
if (cacheOut) process.on("exit", () => writeFileSync(cacheOut, script.createCachedData()));

await module.exports.runAsProcess(process.argv);
