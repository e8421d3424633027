import { defineConfig } from "vitest/config";

// Fault suites stop and restart a libvirtd of their own: a plain `vitest run` leaves them out and
// `npm test` runs them afterwards, alone (vitest.faults.config.ts). Named on the command line
// (`vitest run test/faults`), they run here too; they take the apply suite's lock, so they never
// overlap test/apply.test.ts.
const faultsNamed = process.argv.some((a) => a.includes("test/faults"));

export default defineConfig({
  test: {
    // The topology validator is generated, not committed (src/topology/schema-validate-gen.ts).
    globalSetup: [
      "test/support/generate.ts",
      "test/support/machine-libvirtd.ts",
      "test/support/hugepages-restore.ts",
    ],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...(faultsNamed ? [] : ["test/faults/**"])],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share one libvirtd; files that touch it run one at a time via their own locks.
    pool: "forks",
    // What the tests compare is plain text, whether or not the runner sits in a terminal.
    env: { NO_COLOR: "1" },
  },
});
