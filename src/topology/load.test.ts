import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { NfvError, NfvErrors } from "../util/errors.js";
import { loadTopology, parseTopology } from "./load.js";
import { SCHEMA_FILE } from "./write-schema.js";
import { topologySchema } from "./schema.js";
import { SEED_TOPOLOGY } from "../../test/fixtures/topology/seed.js";
import type { Topology } from "./types.js";

const SEED = "examples/topologies/seed-csr1kv.yaml";

function errorsOf(text: string): string[] {
  try {
    parseTopology(text, "t.yaml");
  } catch (err) {
    if (err instanceof NfvErrors) return err.errors.map((e) => e.message);
    throw err;
  }
  throw new Error("expected the topology to be rejected");
}

const MINIMAL = `name: t
vnfs:
  r1:
    kind: generic
    image: /var/lib/libvirt/images/r1.qcow2
    vcpus: 1
    memory: 1G
`;

describe("parseTopology on the seed", () => {
  it("accepts the seed file as it is and yields the seed's deployment", async () => {
    const parsed = await loadTopology(SEED);
    expect(parsed.topology).toStrictEqual(SEED_TOPOLOGY);
    expect(parsed.file).toBe(SEED);
  });

  it("locates values, camelCase fields, VNFs by index and missing paths", async () => {
    const { locate } = await loadTopology(SEED);
    expect(locate(["vnfs", "csr1kv-1", "vcpus"])).toEqual({ file: SEED, line: 44, column: 12 });
    expect(locate(["vnfs", "csr1kv-1", "memoryKiB"])).toEqual({ file: SEED, line: 45, column: 13 });
    expect(locate(["vnfs", 0, "interfaces", 1, "mac"])).toEqual({ file: SEED, line: 53, column: 14 });
    expect(locate(["host", "hugepages", "sizeKiB"])).toEqual({ file: SEED, line: 14, column: 11 });
    expect(locate(["vnfs", "csr1kv-1", "day0", "system", "systemIp"])).toEqual({
      file: SEED,
      line: 58,
      column: 20,
    });
    // absent: the nearest parent's key
    expect(locate(["vnfs", "csr1kv-1", "node"])).toEqual({ file: SEED, line: 41, column: 3 });
    expect(locate(["networks", "nope", "pf"])).toEqual({ file: SEED, line: 32, column: 1 });
    // a list points at its key
    expect(locate(["host", "sriov"])).toEqual({ file: SEED, line: 21, column: 3 });
  });
});

describe("defaults and normalisation", () => {
  it("fills every default on a minimal file", () => {
    const t = parseTopology(MINIMAL, "t.yaml").topology;
    expect(t).toStrictEqual({
      name: "t",
      lab: false,
      host: {
        cpus: { isolate: "auto", nohzFull: false, housekeepingCoresPerNode: 1 },
        hugepages: { sizeKiB: 1048576 },
        sysctl: {},
        sriov: [],
        bridges: [],
        selinux: "disabled",
        firewalld: "disabled",
        thp: "keep",
      },
      networks: [],
      vnfs: [
        {
          name: "r1",
          kind: "generic",
          image: "/var/lib/libvirt/images/r1.qcow2",
          vcpus: 1,
          memoryKiB: 1048576,
          threadPolicy: "isolate",
          interfaces: [],
          lab: false,
          autostart: true,
        },
      ],
    } satisfies Topology);
  });

  it("normalises MACs, PCI addresses, CPU lists, sizes and day-0 interface names", () => {
    const t = parseTopology(
      `name: n
lab: true
host:
  cpus: { isolate: "8-9,1-2", nohz-full: true }
  hugepages: { size: 1048576KiB }
  sysctl: { vm.swappiness: 10, net.ipv4.ip_forward: true }
  sriov:
    - { pf: 3B:00.1, vfs: 2, macs: ["8E-DF-08-C1-D1-DE"] }
networks:
  p: { type: sriov-pool, pf: 0000:3b:00.1 }
vnfs:
  r1:
    kind: csr1000v
    image: /i/r1.qcow2
    version: 17.3.8a
    vcpus: 2
    memory: 4 GiB
    lab: false
    interfaces:
      - { type: macvtap, dev: eno1, mac: 5254.00AB.CDEF }
      - { type: sriov, pf: 3b:00.1, vlan: 100 }
    day0:
      mode: autonomous
      users: { admin: { password-env: ADMIN_PW } }
      interfaces: { gi2: { dhcp: true } }
      license: { token-env: TOK, source-interface: Gi1, throughput-level: 250 }
  r2:
    kind: generic
    image: /i/r2.qcow2
    vcpus: 1
    memory: 2048
`,
      "n.yaml",
    ).topology;
    expect(t.host.cpus).toEqual({ isolate: [1, 2, 8, 9], nohzFull: true, housekeepingCoresPerNode: 1 });
    expect(t.host.hugepages.sizeKiB).toBe(1048576);
    expect(t.host.sysctl).toEqual({ "vm.swappiness": "10", "net.ipv4.ip_forward": "1" });
    expect(t.host.sriov[0]).toEqual({ pf: "0000:3b:00.1", vfs: 2, macs: ["8e:df:08:c1:d1:de"] });
    expect(t.networks[0]).toEqual({ name: "p", type: "sriov-pool", pf: "0000:3b:00.1" });
    const [r1, r2] = t.vnfs;
    expect(r1!.memoryKiB).toBe(4 * 1024 * 1024);
    expect(r1!.lab).toBe(false);
    expect(r2!.lab).toBe(true);
    expect(r2!.memoryKiB).toBe(2048 * 1024);
    expect(r1!.interfaces).toEqual([
      { type: "macvtap", dev: "eno1", mode: "bridge", mac: "52:54:00:ab:cd:ef", model: "virtio" },
      { type: "sriov", pf: "0000:3b:00.1", vlan: 100 },
    ]);
    expect(r1!.day0!.hostname).toBe("r1");
    expect(r1!.day0!.users).toEqual({ admin: { privilege: 15, passwordEnv: "ADMIN_PW" } });
    expect(Object.keys(r1!.day0!.interfaces)).toEqual(["GigabitEthernet2"]);
    expect(r1!.day0!.license).toEqual({
      tokenEnv: "TOK",
      sourceInterface: "GigabitEthernet1",
      throughputLevel: "250",
    });
  });
});

describe("lab stand-ins", () => {
  const labCsr = (lab: string) => `name: l
${lab}
vnfs:
  r1:
    kind: csr1000v
    image: /i/r1.qcow2
    vcpus: 1
    memory: 4GiB
    boot: { kernel: /k/vmlinuz, initrd: /k/initrd.img, cmdline: "console=ttyS0" }
    interfaces: [{ type: macvtap, dev: veth0 }]
`;
  it("lets a lab csr1000v boot a test kernel, and refuses it outside lab mode", () => {
    const vnf = parseTopology(labCsr("lab: true"), "l.yaml").topology.vnfs[0]!;
    expect(vnf.lab).toBe(true);
    expect(vnf.boot).toEqual({ kernel: "/k/vmlinuz", initrd: "/k/initrd.img", cmdline: "console=ttyS0" });
    expect(errorsOf(labCsr("lab: false"))).toEqual([
      "t.yaml:9:5: vnfs.r1.boot; expected no direct kernel boot for kind csr1000v outside lab mode: it boots IOS-XE from its disk image; fix: remove boot, use kind: generic, or mark the VNF lab: true (an emulated stand-in for tests)",
    ]);
  });
});

describe("errors", () => {
  it("reports every problem at once, sorted by position, as NfvErrors with locations", () => {
    const text = MINIMAL.replace("vcpus: 1", "vcpus: 0").replace(
      "memory: 1G",
      "memory: lots\n    colour: red",
    );
    try {
      parseTopology(text, "t.yaml");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NfvErrors);
      const errors = (err as NfvErrors).errors;
      expect(errors.map((e) => e.details.location)).toEqual([
        { file: "t.yaml", line: 6, column: 12 },
        { file: "t.yaml", line: 7, column: 13 },
        { file: "t.yaml", line: 8, column: 5 },
      ]);
      expect(errors.every((e) => e instanceof NfvError && e.exitCode === 2)).toBe(true);
    }
  });

  it("suggests the closest key, and lists the known ones when none is close", () => {
    expect(errorsOf(MINIMAL.replace("vcpus:", "vpcus:"))[1]).toContain("fix: did you mean `vcpus`?");
    const far = errorsOf(`${MINIMAL}    zzzzzz: 1\n`);
    expect(far).toEqual([
      "t.yaml:8:5: vnfs.r1.zzzzzz: unknown key; expected one of kind, image, vcpus, memory, thread-policy, node, priority, lab, autostart, interfaces, day0, boot, cpu-mode, cpu-model, version; fix: change it to one of kind, image, vcpus, memory, thread-policy, node, priority, lab, autostart, interfaces, day0, boot, cpu-mode, cpu-model, version",
    ]);
  });

  it("points YAML syntax errors at their line and column", () => {
    expect(errorsOf("name: x\nvnfs:\n  r1: {kind: generic\n")[0]).toMatch(
      /^t\.yaml:\d+:\d+: YAML syntax error; expected valid YAML: /,
    );
    expect(errorsOf("name: x\nvnfs:\n\tr1: 1\n")).toEqual([
      "t.yaml:3:1: YAML syntax error; expected valid YAML: Tabs are not allowed as indentation; fix: indent with spaces",
    ]);
    expect(errorsOf("name: x\nvnfs: *nope\n")[0]).toMatch(
      /^t\.yaml:1:1: YAML aliases; expected resolvable aliases/,
    );
  });

  it("refuses a generic VNF with more NICs than one PCI bus takes, and a multicast MAC", () => {
    const nics = Array.from({ length: 29 }, () => "      - {type: bridge, bridge: br1}").join("\n");
    expect(errorsOf(`${MINIMAL}    interfaces:\n${nics}\n`)).toEqual([
      "t.yaml:8:5: vnfs.r1.interfaces; expected 0 to 28 vNICs for kind generic, found 29; fix: remove 1 interface(s), or use VLANs/subinterfaces on fewer vNICs",
    ]);
  });

  it("loadTopology names a missing file", async () => {
    await expect(loadTopology("/nonexistent/t.yaml")).rejects.toThrow(
      '/nonexistent/t.yaml: topology file: "/nonexistent/t.yaml"; expected an existing file; fix: check the path',
    );
  });
});

describe("schema/topology.schema.json", () => {
  it("is the schema the loader uses (regenerate with npx tsx src/topology/write-schema.ts)", async () => {
    expect(JSON.parse(await readFile(SCHEMA_FILE, "utf8"))).toEqual(topologySchema);
  });
});
