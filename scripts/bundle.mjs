/**
 * Bundles the compiled CLI (dist/) into dist/bundle/ and builds V8's code cache for it.
 *
 * - dist/bundle/nfvhost.cjs: the whole CLI as one CommonJS file. Node 20 keeps no compiled code
 *   between runs of ES modules; a CommonJS script can be compiled with cached data, so bin/nfvhost.js
 *   loads this file through node:vm with the cache below. Commands stay lazily evaluated: esbuild
 *   turns each `await import("./commands/x.js")` into a deferred initialiser in the same file.
 * - dist/bundle/nfvhost.cjs.cache: V8's code cache of that file, taken after one real run of the
 *   CLI (`plan` of the embedded reference host), so it holds the functions a command actually runs,
 *   not only the top level. A cache V8 rejects (another Node build or other flags) costs nothing
 *   but the compile it would have saved: bin/nfvhost.js then compiles the source as usual.
 * - dist/bundle/preview-worker.js: the dashboard's preview worker (an ES module of its own).
 *
 * The files sit two levels under the repository, as dist/<layer>/<file>.js do, so the
 * `new URL("../../schema/...", import.meta.url)` paths of the compiled code hold unchanged.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

// Start empty so no stale file (an older chunk or a cache of another source) is left behind.
rmSync("dist/bundle", { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  // HiGHS (WebAssembly) is loaded by path in its own worker thread.
  external: ["highs"],
  logLevel: "warning",
};

await build({
  ...common,
  entryPoints: { nfvhost: "dist/cli/process.js" },
  format: "cjs",
  outdir: "dist/bundle",
  outExtension: { ".js": ".cjs" },
  // A CommonJS file has no import.meta: the compiled code's import.meta.url is this file's URL.
  define: { "import.meta.url": "__nfvhostModuleUrl" },
  banner: { js: "const __nfvhostModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

await build({
  ...common,
  entryPoints: { "preview-worker": "dist/ui/preview-worker.js" },
  format: "esm",
  outdir: "dist/bundle",
  // Bundled CommonJS packages call require(): give the module one, as Node gives a CJS module.
  banner: {
    js: "import { createRequire as __nfvhostRequire } from 'node:module'; const require = __nfvhostRequire(import.meta.url);",
  },
});

// The cache: one run of the shipped entry point, `render` of the embedded reference host (plan,
// desired state, day-0, files: what the short commands run), asked to leave V8's cache of what it
// compiled (bin/nfvhost.js). No daemon is asked; the day-0 password is a throwaway of this build and
// the output directory is removed. A run that stops early (no xorriso for the day-0 image on this
// machine yet) still leaves the cache of everything before.
const cache = "dist/bundle/nfvhost.cjs.cache";
const scratch = mkdtempSync(join(tmpdir(), "nfvhost-build-"));
try {
  const warmup = spawnSync(
    process.execPath,
    [
      "bin/nfvhost.js",
      "render",
      "examples/topologies/seed-csr1kv.yaml",
      "--root",
      "examples/hosts/seed-c240m5",
      "--out",
      join(scratch, "out"),
    ],
    {
      env: {
        ...process.env,
        NFVHOST_CODE_CACHE_OUT: cache,
        NO_COLOR: "1",
        CSR_ADMIN_PASSWORD: randomBytes(12).toString("base64url"),
      },
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  if (!existsSync(cache)) {
    // The CLI works without it, only slower to start: say so, do not fail the build.
    process.stderr.write(
      `bundle: no code cache (the warm-up run exited ${warmup.status}: ${lastLine(warmup.stderr)})\n`,
    );
  } else if (warmup.status !== 0) {
    process.stderr.write(
      `bundle: code cache of a partial warm-up (exit ${warmup.status}: ${lastLine(warmup.stderr)})\n`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function lastLine(text) {
  return (text || "").trim().split("\n").pop();
}
