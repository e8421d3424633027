/**
 * Every example topology (the seed among them) exports to both engines: the files match their
 * reviewed golden copies, the KubeVirt objects pass the pinned CRD schemas and the admission
 * rules, and the OpenStack template passes Nova's extra-spec validators, numa_get_constraints and
 * Heat's property schemas (python3-nova, python3-heat: the engines' own code).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { degradationReport } from "../../src/export/index.js";
import { checkKubevirtFiles, exportKubevirt, KUBEVIRT_DEFAULTS } from "../../src/export/kubevirt.js";
import { checkOpenstackTemplates } from "../../src/export/openstack-check.js";
import {
  cliScript,
  buildOpenstack,
  exportOpenstack,
  heatTemplateText,
  OPENSTACK_DEFAULTS,
  templateFiles,
} from "../../src/export/openstack.js";
import type { RenderedFile } from "../../src/render/types.js";
import { expectGolden } from "../support/golden.js";
import { REPO } from "../render/seed.js";
import { EXAMPLES, exampleInput } from "./inputs.js";

const GOLDEN = join(REPO, "test/golden/export");

/** All files of an export as one reviewable text: path, mode, content. */
function tree(files: RenderedFile[], report: string): string {
  const parts = files.map((f) => `=== ${f.path} (${f.mode.toString(8).padStart(4, "0")})\n${f.content}`);
  return `${parts.join("\n")}\n=== degradation report\n${report}`;
}

describe.each(EXAMPLES)("export %s", (name) => {
  it("KubeVirt: golden files; every object passes its pinned schema and the admission rules", async () => {
    const input = await exampleInput(name);
    const r = exportKubevirt(input, { ...KUBEVIRT_DEFAULTS, pinHost: true });
    const checks = checkKubevirtFiles(r.files);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    // One check per object plus the admission rules: nothing went unchecked.
    const objects = r.files.filter(
      (f) => f.path.endsWith(".yaml") && !f.path.endsWith("kubelet-config.yaml"),
    );
    expect(checks.length).toBe(objects.length + 1);
    expect(r.files.filter((f) => f.path.startsWith("vms/") && !f.path.includes("day0")).length).toBe(
      input.hosts[0]!.plan.vnfs.length,
    );
    await expectGolden(
      join(GOLDEN, `${name}.kubevirt.txt`),
      tree(r.files, degradationReport(r.degradations)),
    );
  });

  it("OpenStack: golden files, Heat template and CLI commands from the same resources", async () => {
    const input = await exampleInput(name);
    const heat = exportOpenstack(input, { ...OPENSTACK_DEFAULTS, pinHost: true });
    const cli = exportOpenstack(input, { ...OPENSTACK_DEFAULTS, format: "cli" });
    expect(cli.files.find((f) => f.path === "openstack/deploy.sh")?.content).toBe(
      cliScript(buildOpenstack(input, { ...OPENSTACK_DEFAULTS, format: "cli" })),
    );
    await expectGolden(
      join(GOLDEN, `${name}.openstack.txt`),
      tree(heat.files, degradationReport(heat.degradations)),
    );
    await expectGolden(
      join(GOLDEN, `${name}.openstack-cli.sh`),
      cli.files.find((f) => f.path === "openstack/deploy.sh")!.content,
    );
  });
});

it("OpenStack: every example passes Nova's validators and numa_get_constraints and Heat's property schemas", async () => {
  const templates = [];
  for (const name of EXAMPLES) {
    const input = await exampleInput(name);
    for (const pinHost of [false, true]) {
      const opts = { ...OPENSTACK_DEFAULTS, pinHost };
      const r = exportOpenstack(input, opts);
      templates.push({
        template: heatTemplateText(input, opts),
        file: `${name}${pinHost ? " --pin-host" : ""}`,
        files: templateFiles(r.files),
      });
    }
  }
  const r = await checkOpenstackTemplates(templates);
  if (!r.ok) throw new Error(r.reason);
  expect(r.report.versions.nova).toMatch(/^\d+\./);
  expect(r.report.checks.filter((c) => !c.ok)).toEqual([]);
  const kinds = new Set(r.report.checks.map((c) => c.name));
  expect([...kinds].sort()).toEqual([
    "heat properties_schema OS::Neutron::Port",
    "heat properties_schema OS::Nova::Flavor",
    "heat properties_schema OS::Nova::Server",
    "heat template",
    "nova extra-spec validators + numa_get_constraints",
  ]);
  // Every flavor and server of every example was checked.
  const vnfs = (
    await Promise.all(EXAMPLES.map(async (n) => (await exampleInput(n)).hosts[0]!.plan.vnfs.length))
  ).reduce((a, b) => a + b);
  expect(r.report.checks.filter((c) => c.name.startsWith("nova")).length).toBe(2 * vnfs);
  expect(r.report.checks.filter((c) => c.name.endsWith("OS::Nova::Server")).length).toBe(2 * vnfs);
  // Only the cloud knows whether images and networks exist: said, not passed.
  expect(r.report.needsCloud.some((n) => n.startsWith("glance.image="))).toBe(true);
}, 600_000);
