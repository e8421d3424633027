import { defineConfig } from "vitest/config";

/**
 * Fault suites (test/faults): they stop, SIGKILL and restart a libvirtd of their own in a private
 * mount namespace (never the machine's), one file at a time; they run after the main `vitest run`
 * because their guests want the CPU and hugepages the lab suites use.
 */
export default defineConfig({
  test: {
    // The topology validator is generated, not committed (src/topology/schema-validate-gen.ts).
    globalSetup: [
      "test/support/generate.ts",
      "test/support/machine-libvirtd.ts",
      "test/support/hugepages-restore.ts",
    ],
    include: ["test/faults/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    // What the tests compare is plain text, whether or not the runner sits in a terminal.
    env: { NO_COLOR: "1" },
  },
});
