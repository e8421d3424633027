import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseCpusAllowed,
  parseIpLinkJson,
  parseNumaMaps,
  parseTaskStat,
  summarizeNumaMaps,
  vcpuOfThread,
} from "./evidence.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/apply/${name}`, import.meta.url), "utf8");

describe("kernel evidence parsers", () => {
  it("numa_maps: guest RAM in 2 MiB pages on node 0, the rest in 4 KiB pages", () => {
    const maps = parseNumaMaps(fixture("numa_maps.txt"));
    expect(maps).toHaveLength(5);
    const ram = maps.find((m) => m.huge)!;
    expect(ram).toMatchObject({ policy: "bind:0", pageSizeKiB: 2048, nodes: { 0: 2048 } });
    const u = summarizeNumaMaps(maps);
    expect(u.hugeBySize).toEqual({ 2048: { 0: 4194304 } });
    expect(u.hugeKiB).toEqual({ 0: 4194304 });
    expect(u.otherKiB[0]).toBe((1420 + 9010 + 12 + 33) * 4);
  });

  it("numa_maps of a 1 GiB-backed guest split over two nodes (the seed's numastat case)", () => {
    const u = summarizeNumaMaps(
      parseNumaMaps(
        "7f0000000000 bind:0 file=/dev/hugepages1G/libvirt/qemu/6-csr1kv-1/x huge dirty=8 N0=6 N1=2 kernelpagesize_kB=1048576\n",
      ),
    );
    expect(u.hugeBySize[1048576]).toEqual({ 0: 6291456, 1: 2097152 });
  });

  it("task stat: field 39 is the CPU the thread last ran on, even with spaces in comm", () => {
    const stat =
      "5768 (CPU 0/TCG) S 1 5660 5660 0 -1 4194368 1 0 0 0 2450 17 0 0 20 0 6 0 123456 4915200000 3000 18446744073709551615 1 1 0 0 0 0 0 4096 16963 0 0 0 -1 1 0 0 0 0 0";
    expect(parseTaskStat(stat)).toEqual({ comm: "CPU 0/TCG", state: "S", lastCpu: 1 });
    expect(parseTaskStat("garbage")).toBeNull();
    expect(parseCpusAllowed("Name:\tCPU 0/TCG\nCpus_allowed:\t2\nCpus_allowed_list:\t1\n")).toBe("1");
    expect(vcpuOfThread("CPU 3/KVM")).toBe(3);
    expect(vcpuOfThread("CPU 0/TCG")).toBe(0);
    expect(vcpuOfThread("qemu-system-x86")).toBeNull();
  });

  it("ip -d -j link: PF MTU and per-VF MAC, VLAN, trust and spoofchk (the seed's eno2)", () => {
    const [l] = parseIpLinkJson(fixture("ip-link-eno2.json"));
    expect(l).toMatchObject({ ifname: "eno2", mtu: 9216, operstate: "UP" });
    expect(l!.vfs).toEqual([
      { vf: 0, mac: "8e:df:08:c1:d1:de", vlan: null, spoofchk: true, trust: true },
      { vf: 1, mac: "5a:b9:2f:99:a6:ce", vlan: null, spoofchk: true, trust: true },
      { vf: 2, mac: "46:78:69:e3:71:3d", vlan: 100, spoofchk: false, trust: true },
      { vf: 3, mac: "7e:a7:db:3b:1b:b3", vlan: null, spoofchk: true, trust: false },
    ]);
  });
});
