/**
 * The OpenStack check can fail: broken copies of the seed's template, each with one mistake, go
 * through the same Nova and Heat code the export uses, and each mistake is named.
 */
import { expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { checkOpenstackTemplates } from "../../src/export/openstack-check.js";
import {
  exportOpenstack,
  heatTemplateText,
  OPENSTACK_DEFAULTS,
  templateFiles,
} from "../../src/export/openstack.js";
import { exampleInput } from "./inputs.js";

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

it("names each mistake: extra-spec typo, topology, page multiple, Heat property, reference, version", async () => {
  const input = await exampleInput("seed-csr1kv");
  const files = templateFiles(exportOpenstack(input, OPENSTACK_DEFAULTS).files);
  const good = parse(heatTemplateText(input, OPENSTACK_DEFAULTS)) as Any;
  const broken: [string, (t: Any) => void][] = [
    ["typo", (t) => (t.resources.csr1kv_1_flavor.properties.extra_specs["hw:cpu_polcy"] = "dedicated")],
    [
      "value",
      (t) => (t.resources.csr1kv_1_flavor.properties.extra_specs["hw:cpu_thread_policy"] = "isolated"),
    ],
    ["topology", (t) => (t.resources.csr1kv_1_flavor.properties.extra_specs["hw:cpu_cores"] = "3")],
    ["pages", (t) => (t.resources.csr1kv_1_flavor.properties.ram = 8000)],
    ["property", (t) => (t.resources.csr1kv_1_port2.properties.mac_adress = "52:54:00:00:00:01")],
    ["vnic", (t) => (t.resources.csr1kv_1_port2.properties["binding:vnic_type"] = "sriov")],
    ["mac", (t) => (t.resources.csr1kv_1_port2.properties.mac_address = "52:54:00:2d:87")],
    ["ref", (t) => (t.resources.csr1kv_1_server.properties.flavor = { get_resource: "nope" })],
    [
      "file",
      (t) =>
        (t.resources.csr1kv_1_server.properties.personality = {
          "iosxe_config.txt": { get_file: "day0/x.txt" },
        }),
    ],
    ["version", (t) => (t.heat_template_version = "2030-01-01")],
    ["section", (t) => (t.paramters = {})],
  ];
  const templates = [{ template: stringify(good), file: "good", files }];
  for (const [name, change] of broken) {
    const t = structuredClone(good);
    change(t);
    templates.push({ template: stringify(t), file: name, files });
  }
  const r = await checkOpenstackTemplates(templates);
  if (!r.ok) throw new Error(r.reason);
  const problems = (file: string) =>
    r.report.checks
      .filter((c) => c.file === file || c.file.startsWith(`${file}: `))
      .flatMap((c) => c.problems);
  expect(problems("good")).toEqual([]);
  expect(problems("typo").join("\n")).toMatch(
    /hw:cpu_polcy=dedicated: .*does not appear to be a valid extra spec/,
  );
  expect(problems("value").join("\n")).toMatch(/'isolated' is not one of/);
  expect(problems("topology").join("\n")).toMatch(/Nova gives the guest 1x8x1 .* the flavor asks 1x3x1/);
  expect(problems("pages").join("\n")).toMatch(/ram 8000 MiB is not a multiple of the 1048576 KiB page size/);
  expect(problems("property").join("\n")).toMatch(/Unknown Property mac_adress/);
  expect(problems("vnic").join("\n")).toMatch(/"sriov" is not an allowed value/);
  expect(problems("mac").join("\n")).toMatch(/mac_address/);
  expect(problems("ref").join("\n")).toMatch(/get_resource nope: no such resource/);
  expect(problems("file").join("\n")).toMatch(/get_file day0\/x.txt: the file is not in the export/);
  expect(problems("version").join("\n")).toMatch(
    /heat_template_version 2030-01-01 is not one this Heat knows/,
  );
}, 600_000);
