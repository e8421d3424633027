/**
 * The ApplyOptions every lab test passes (real host root, no dry run, silent renderer): one place,
 * shared by the suites and by the helper scripts they run as separate processes, which is why this
 * module imports nothing but types.
 */
import type { ApplyOptions } from "../../src/apply/index.js";

export const LAB_URI = "qemu:///system";

export function labApplyOptions(
  topologyFile: string,
  stateDir: string,
  env: ApplyOptions["env"],
  over: Partial<ApplyOptions> = {},
): ApplyOptions {
  return {
    topologyFile,
    connect: LAB_URI,
    stateDir,
    root: "/",
    dryRun: false,
    yes: [],
    adopt: false,
    allowUnlocked: false,
    stopTimeoutMs: 0,
    env,
    renderer: "silent",
    ...over,
  };
}
