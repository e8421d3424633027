import { defineConfig } from "vitest/config";

/**
 * Fault suites (test/faults): they stop and restart the host's libvirtd, which would break every
 * other suite talking to it at that moment, so they run after the main `vitest run`, one file at
 * a time.
 */
export default defineConfig({
  test: {
    // The topology validator is generated, not committed (src/topology/schema-validate-gen.ts).
    globalSetup: ["test/support/generate.ts"],
    include: ["test/faults/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    // What the tests compare is plain text, whether or not the runner sits in a terminal.
    env: { NO_COLOR: "1" },
  },
});
