/**
 * A multi-host deployment (a fleet's hosts, each with its own facts and plan): one
 * PerformanceProfile and SR-IOV policy set per host shape, nodeSelectors and availability zones
 * per the host each VNF was planned on.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkKubevirtFiles, exportKubevirt, KUBEVIRT_DEFAULTS } from "../../src/export/kubevirt.js";
import { buildOpenstack, exportOpenstack, OPENSTACK_DEFAULTS } from "../../src/export/openstack.js";
import type { ExportHost, ExportInput } from "../../src/export/types.js";
import { exampleHost, EXPORT_ENV } from "./inputs.js";

/** The seed host again under another name, its VNF renamed: same tuning, same shape. */
async function seedTwin(host: string): Promise<ExportHost> {
  const h = await exampleHost("seed-csr1kv", host);
  h.plan = structuredClone(h.plan);
  h.plan.vnfs[0]!.name = `csr1kv-${host}`;
  return h;
}

async function fleet(): Promise<ExportInput> {
  return {
    name: "branch",
    hosts: [
      await seedTwin("edge-a"),
      await exampleHost("multi-vnf-sriov", "pop-1"),
      await seedTwin("edge-b"),
      await exampleHost("amd-epyc-routers", "dc-1"),
    ],
    env: EXPORT_ENV,
    saltSeed: "fleet",
  };
}

describe("multi-host KubeVirt export", () => {
  it("one PerformanceProfile and policy set per host shape, VMs select their shape and host", async () => {
    const input = await fleet();
    const r = exportKubevirt(input, { ...KUBEVIRT_DEFAULTS, pinHost: true });
    expect(checkKubevirtFiles(r.files).filter((c) => !c.ok)).toEqual([]);
    const profiles = r.files
      .filter((f) => f.path.endsWith("performanceprofile.yaml"))
      .map((f) => parse(f.content));
    expect(profiles.map((p) => p.metadata.name)).toEqual(["branch-shape1", "branch-shape2", "branch-shape3"]);
    expect(profiles[0].spec.nodeSelector).toEqual({ "nfvhost.io/shape": "branch-shape1" });
    const policies = r.files.filter((f) => f.path.includes("/sriov-policy-")).map((f) => f.path);
    expect(policies).toEqual([
      "node-tuning/branch-shape1/sriov-policy-eno2.yaml",
      "node-tuning/branch-shape2/sriov-policy-eno1.yaml",
      "node-tuning/branch-shape2/sriov-policy-eno2.yaml",
      "node-tuning/branch-shape3/sriov-policy-ens1f0.yaml",
      "node-tuning/branch-shape3/sriov-policy-ens5f0.yaml",
    ]);
    const labels = r.files.find((f) => f.path === "nodes/label-nodes.sh")!.content;
    expect(labels).toContain("kubectl label node edge-a nfvhost.io/shape=branch-shape1 --overwrite");
    expect(labels).toContain("kubectl label node edge-b nfvhost.io/shape=branch-shape1 --overwrite");
    expect(labels).toContain("kubectl label node dc-1 nfvhost.io/shape=branch-shape3 --overwrite");
    for (const host of input.hosts) {
      const shape = host.name.startsWith("edge")
        ? "branch-shape1"
        : host.name === "pop-1"
          ? "branch-shape2"
          : "branch-shape3";
      for (const vnf of host.plan.vnfs) {
        const vm = parse(r.files.find((f) => f.path === `vms/${vnf.name}.yaml`)!.content);
        expect(vm.spec.template.spec.nodeSelector, vnf.name).toEqual({
          "nfvhost.io/shape": shape,
          "kubernetes.io/hostname": host.name,
        });
      }
    }
  });

  it("without --pin-host the VMs select only their shape", async () => {
    const r = exportKubevirt(await fleet(), KUBEVIRT_DEFAULTS);
    const vm = parse(r.files.find((f) => f.path === "vms/csr1kv-edge-b.yaml")!.content);
    expect(vm.spec.template.spec.nodeSelector).toEqual({ "nfvhost.io/shape": "branch-shape1" });
  });
});

describe("multi-host OpenStack export", () => {
  it("nova.conf per compute host, servers in the availability zone of their host", async () => {
    const input = await fleet();
    const r = exportOpenstack(input, { ...OPENSTACK_DEFAULTS, pinHost: true });
    for (const h of ["edge-a", "edge-b", "pop-1", "dc-1"])
      expect(r.files.some((f) => f.path === `hosts/${h}/nova.conf`)).toBe(true);
    const t = buildOpenstack(input, { ...OPENSTACK_DEFAULTS, pinHost: true }).template;
    const zone = (id: string) => {
      const s = t.resources[`${id}_server`];
      return s?.type === "OS::Nova::Server" ? s.properties.availability_zone : undefined;
    };
    expect(zone("csr1kv_edge_b")).toBe("nova:edge-b");
    expect(zone("edge_1")).toBe("nova:dc-1");
    expect(zone("csr_a")).toBe("nova:pop-1");
  });
});

describe("input errors", () => {
  it("a VNF name on two hosts: NFV-EXPORT-DUPLICATE naming both hosts", async () => {
    const { exportDeployment } = await import("../../src/export/index.js");
    const a = await exampleHost("seed-csr1kv", "a");
    const b = await exampleHost("seed-csr1kv", "b");
    await expect(
      exportDeployment("kubevirt", { name: "x", hosts: [a, b], env: EXPORT_ENV }),
    ).rejects.toMatchObject({
      code: "NFV-EXPORT-DUPLICATE",
      message: expect.stringMatching(/vnfs\.csr1kv-1: "a and b"/),
    });
  });
});
