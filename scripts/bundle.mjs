/**
 * Bundles the compiled CLI (dist/) into dist/bundle/: one file per command (loaded on demand, as
 * the command modules are) plus shared chunks. A run then reads ~80 files instead of ~200 compiled
 * modules and their packages' files: Node's module loading was the largest share of a short
 * command's time (`plan` and `render` of the seed; docs/bench.md).
 *
 * The chunks sit two levels under the repository, as dist/<layer>/<file>.js do, so the
 * `new URL("../../schema/...", import.meta.url)` paths of the compiled code hold unchanged.
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";

// Chunk names carry content hashes: start empty so no stale chunk is left beside the new ones.
rmSync("dist/bundle", { recursive: true, force: true });

await build({
  entryPoints: {
    nfvhost: "dist/cli/process.js",
    // The dashboard plans previews in a worker started from this file, next to the server's chunk.
    "preview-worker": "dist/ui/preview-worker.js",
  },
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: "dist/bundle",
  // HiGHS (WebAssembly) is loaded by path in its own worker thread.
  external: ["highs"],
  // Bundled CommonJS packages call require(): give every chunk one, as Node gives a CJS module.
  banner: {
    js: "import { createRequire as __nfvhostRequire } from 'node:module'; const require = __nfvhostRequire(import.meta.url);",
  },
  logLevel: "warning",
});
