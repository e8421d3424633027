/**
 * Every file under test/fixtures/topologies/broken/ states the exact messages it must produce in
 * `# expect:` header lines; every example topology must load.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadTopology, parseTopology } from "../../src/topology/load.js";
import { NfvErrors } from "../../src/util/errors.js";

const BROKEN = "test/fixtures/topologies/broken";
const EXAMPLES = "examples/topologies";

const brokenFiles = readdirSync(BROKEN)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("broken topology files", () => {
  it("covers at least 15 cases", () => {
    expect(brokenFiles.length).toBeGreaterThanOrEqual(15);
  });

  it.each(brokenFiles)("%s is rejected with exactly its expected messages", (name) => {
    const file = `${BROKEN}/${name}`;
    const text = readFileSync(file, "utf8");
    const expected = text
      .split("\n")
      .filter((l) => l.startsWith("# expect: "))
      .map((l) => l.slice("# expect: ".length));
    expect(expected.length).toBeGreaterThan(0);
    let actual: string[] = [];
    try {
      parseTopology(text, file);
    } catch (err) {
      expect(err).toBeInstanceOf(NfvErrors);
      actual = (err as NfvErrors).errors.map((e) => e.message);
      for (const e of (err as NfvErrors).errors) expect(e.details.location?.line).toBeGreaterThan(0);
    }
    expect(actual).toEqual(expected);
  });

  it("reports several independent errors of one file together", () => {
    const text = readFileSync(`${BROKEN}/many-errors.yaml`, "utf8");
    expect(() => parseTopology(text, "many-errors.yaml")).toThrow(NfvErrors);
    try {
      parseTopology(text, "many-errors.yaml");
    } catch (err) {
      expect((err as NfvErrors).errors.length).toBeGreaterThanOrEqual(10);
    }
  });
});

describe("example topologies", () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml"));

  it("include the seed and the c8000v, SR-IOV and generic examples", () => {
    expect(examples.sort()).toEqual(
      expect.arrayContaining([
        "seed-csr1kv.yaml",
        "c8000v-autonomous.yaml",
        "multi-vnf-sriov.yaml",
        "generic-qcow2.yaml",
      ]),
    );
  });

  it.each(examples)("%s loads", async (name) => {
    const { topology } = await loadTopology(`${EXAMPLES}/${name}`);
    expect(topology.vnfs.length).toBeGreaterThan(0);
  });

  it("multi-vnf-sriov: explicit VFs by PF with VLAN/trust/spoofchk, pools, per-VNF policies", async () => {
    const { topology } = await loadTopology(`${EXAMPLES}/multi-vnf-sriov.yaml`);
    const byName = Object.fromEntries(topology.vnfs.map((v) => [v.name, v]));
    expect(byName["csr-a"]!.interfaces[2]).toEqual({
      type: "sriov",
      pf: "eno1",
      vlan: 100,
      trust: true,
      spoofchk: false,
    });
    expect(byName["csr-a"]!.interfaces[1]).toEqual({
      type: "sriov",
      network: "eno2-pool",
      mac: "52:54:00:a1:00:02",
      trunkVlans: [10, 20, 30],
    });
    expect(byName["csr-b"]!.threadPolicy).toBe("require");
    expect(byName["c8kv-edge"]).toMatchObject({ node: 0, autostart: false, memoryKiB: 16 * 1024 * 1024 });
    expect(byName["c8kv-edge"]!.day0!.onboarding).toEqual({
      uuid: "C8K-D9900516-21E0-9F83-1A8A-E53E5115EA4D",
      otpEnv: "C8KV_EDGE_OTP",
      rootCaEnv: "SDWAN_ROOT_CA",
    });
    expect(topology.host.sriov.map((s) => s.pf)).toEqual(["eno2", "eno1"]);
    expect(topology.host.cpus.housekeepingCoresPerNode).toBe(2);
  });

  it("generic-qcow2: 2M pages, NIC models, lab guest", async () => {
    const { topology } = await loadTopology(`${EXAMPLES}/generic-qcow2.yaml`);
    expect(topology.host.hugepages.sizeKiB).toBe(2048);
    expect(topology.vnfs[0]!.interfaces.map((i) => ("model" in i ? i.model : null))).toEqual([
      "e1000e",
      "virtio",
    ]);
    expect(topology.vnfs[1]).toMatchObject({
      name: "tiny-lab",
      lab: true,
      memoryKiB: 128 * 1024,
      boot: {
        kernel: "/var/lib/nfvhost/lab/vmlinuz",
        initrd: "/var/lib/nfvhost/lab/initrd.img",
        cmdline: "console=ttyS0 quiet",
      },
    });
    expect(topology.host).toMatchObject({ selinux: "keep", firewalld: "keep", thp: "never" });
  });

  it("c8000v-autonomous: day-0 with license, Gi2 written short", async () => {
    const { topology, locate } = await loadTopology(`${EXAMPLES}/c8000v-autonomous.yaml`);
    // normalised name, located where the file wrote "Gi2:"
    expect(locate(["vnfs", "c8kv-1", "day0", "interfaces", "GigabitEthernet2", "dhcp"])).toMatchObject({
      line: 47,
      column: 17,
    });
    const day0 = topology.vnfs[0]!.day0!;
    expect(day0.mode).toBe("autonomous");
    expect(Object.keys(day0.interfaces)).toEqual(["GigabitEthernet1", "GigabitEthernet2"]);
    expect(day0.license).toEqual({
      tokenEnv: "C8KV_SL_TOKEN",
      sourceInterface: "GigabitEthernet1",
      throughputLevel: "250",
    });
    expect(day0.enableSecretEnv).toBe("C8KV_ENABLE_SECRET");
    expect(topology.host.bridges).toEqual([{ name: "br-mgmt", ports: ["eno5"], stp: false }]);
  });
});
