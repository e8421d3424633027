import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KINDS, SCHEMA_DIR, validateK8sObject } from "./k8s-schemas.js";

const GOLDEN = new URL("../../test/golden/export/seed-csr1kv.kubevirt.txt", import.meta.url);

/** The seed's exported objects, from the reviewed golden file. */
function seedObjects(): Record<string, Record<string, unknown>> {
  const text = readFileSync(GOLDEN, "utf8");
  const out: Record<string, Record<string, unknown>> = {};
  for (const part of text.split(/^=== /m).slice(1)) {
    const [head, ...body] = part.split("\n");
    const path = head!.replace(/ \(\d+\)$/, "");
    if (path.endsWith(".yaml"))
      out[path] = parse(body.join("\n"), { version: "1.1" }) as Record<string, unknown>;
  }
  return out;
}

const clone = <T>(x: T): T => structuredClone(x);

describe("pinned schemas", () => {
  it("are the files PROVENANCE.md lists, byte for byte (sha256)", () => {
    const provenance = readFileSync(new URL("PROVENANCE.md", SCHEMA_DIR), "utf8");
    for (const k of KINDS.filter((k) => k.file)) {
      const sum = createHash("sha256")
        .update(readFileSync(new URL(k.file!, SCHEMA_DIR)))
        .digest("hex");
      expect(provenance).toContain(`${sum}  ${k.file}`);
    }
  });

  it("accept every object the seed exports", () => {
    const objs = seedObjects();
    const checked = Object.entries(objs).filter(([, o]) => o.kind !== "KubeletConfiguration");
    expect(checked.length).toBeGreaterThanOrEqual(6);
    for (const [path, o] of checked) expect(validateK8sObject(o), path).toEqual([]);
  });
});

describe("unknown or misspelled fields fail", () => {
  const objs = seedObjects();
  const vm = objs["vms/csr1kv-1.yaml"]!;
  type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("deep in a VirtualMachine (isolateEmulatorThred)", () => {
    const bad = clone(vm) as Any;
    bad.spec.template.spec.domain.cpu.isolateEmulatorThred = true;
    expect(validateK8sObject(bad)).toEqual([
      "spec.template.spec.domain.cpu.isolateEmulatorThred: unknown field (the schema has no such field; the API server would drop it)",
    ]);
  });

  it("at the root and in metadata, which the pinned files leave open (the structural-schema rule)", () => {
    const bad = clone(vm) as Any;
    bad.sepc = {};
    bad.metadata.lables = { a: "b" };
    const problems = validateK8sObject(bad);
    expect(problems.some((p) => p.startsWith("(root).sepc: unknown field"))).toBe(true);
    expect(problems.some((p) => p.startsWith("metadata.lables: unknown field"))).toBe(true);
  });

  it("but not below x-kubernetes-preserve-unknown-fields (template metadata)", () => {
    const ok = clone(vm) as Any;
    ok.spec.template.metadata.creationTimestamp = null;
    expect(validateK8sObject(ok)).toEqual([]);
  });

  it("in a PerformanceProfile, a SriovNetworkNodePolicy, a SriovNetwork and a NetworkAttachmentDefinition", () => {
    const pp = clone(objs["node-tuning/seed-csr1kv/performanceprofile.yaml"]!) as Any;
    pp.spec.hugepages.pages[0].nodes = 0;
    expect(validateK8sObject(pp)[0]).toMatch(/^spec\.hugepages\.pages\.0\.nodes: unknown field/);
    const pol = clone(objs["node-tuning/seed-csr1kv/sriov-policy-eno2.yaml"]!) as Any;
    pol.spec.nicSelector.pfName = ["eno2"];
    expect(validateK8sObject(pol)[0]).toMatch(/^spec\.nicSelector\.pfName: unknown field/);
    const net = clone(objs["networks/nfvhost-eno2-vlan0-trust-on-spoof-on.yaml"]!) as Any;
    net.spec.spoofchk = "on";
    expect(validateK8sObject(net)[0]).toMatch(/^spec\.spoofchk: unknown field/);
    const nad = clone(objs["networks/nfvhost-macvtap-eno1-bridge.yaml"]!) as Any;
    nad.spec.configs = "{}";
    expect(validateK8sObject(nad)[0]).toMatch(/^spec\.configs: unknown field/);
  });

  it("wrong types and values fail too: trust as a YAML boolean, deviceType, kind", () => {
    const net = clone(objs["networks/nfvhost-eno2-vlan0-trust-on-spoof-on.yaml"]!) as Any;
    net.spec.trust = true; // what a bare `on` becomes in YAML 1.1
    expect(validateK8sObject(net)).toContain("spec.trust: must be string");
    const pol = clone(objs["node-tuning/seed-csr1kv/sriov-policy-eno2.yaml"]!) as Any;
    pol.spec.deviceType = "vfio";
    expect(validateK8sObject(pol)[0]).toMatch(
      /^spec\.deviceType: must be equal to one of the allowed values \(netdevice, vfio-pci\)$/,
    );
    const wrongKind = clone(vm) as Any;
    wrongKind.kind = "VirtualMachineInstance";
    expect(validateK8sObject(wrongKind)[0]).toMatch(
      /no pinned schema for kubevirt.io\/v1\/VirtualMachineInstance/,
    );
  });
});
