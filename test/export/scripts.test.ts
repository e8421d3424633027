/** The exported shell scripts pass `sh -n` and shellcheck, for every example. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { exportKubevirt, KUBEVIRT_DEFAULTS } from "../../src/export/kubevirt.js";
import { exportOpenstack, OPENSTACK_DEFAULTS } from "../../src/export/openstack.js";
import { run } from "../../src/util/exec.js";
import { EXAMPLES, exampleInput } from "./inputs.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvhost-export-sh-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("label-nodes.sh and deploy.sh are valid sh and shellcheck-clean", async () => {
  const scripts: string[] = [];
  for (const name of EXAMPLES) {
    const input = await exampleInput(name);
    const files = [
      ...exportKubevirt(input, KUBEVIRT_DEFAULTS).files,
      ...exportOpenstack(input, { ...OPENSTACK_DEFAULTS, format: "cli" }).files,
    ].filter((f) => f.path.endsWith(".sh"));
    expect(files.map((f) => f.path)).toEqual(["nodes/label-nodes.sh", "openstack/deploy.sh"]);
    for (const f of files) {
      const path = join(dir, `${name}-${f.path.replace(/\//g, "-")}`);
      await writeFile(path, f.content);
      scripts.push(path);
    }
  }
  for (const s of scripts) expect((await run("sh", ["-n", s])).code, s).toBe(0);
  const sc = await run("shellcheck", ["-s", "sh", ...scripts]);
  expect(sc.stdout + sc.stderr).toBe("");
  expect(sc.code).toBe(0);
});
