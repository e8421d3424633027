/** The CLI benchmark's "same domain" check: tuning facts compared across XML spellings. */
import { describe, expect, it } from "vitest";
import { compareDomains, domainFacts } from "../bench/domain-compare.js";
import { virtInstallArgs } from "../bench/cli.js";

const NFV = `<domain type="kvm"><name>a</name><memory unit="KiB">8388608</memory>
<memoryBacking><hugepages><page size="1048576" unit="KiB"/></hugepages><locked/><nosharepages/></memoryBacking>
<vcpu placement="static">2</vcpu><cputune><vcpupin vcpu="1" cpuset="2"/><vcpupin vcpu="0" cpuset="1"/>
<emulatorpin cpuset="37-38"/></cputune><numatune><memory mode="strict" nodeset="0"/></numatune>
<cpu mode="host-passthrough"/><devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/>
<target dev="vda" bus="virtio"/></disk><interface type="direct"><mac address="52:54:00:00:00:01"/></interface>
</devices></domain>`;

// The same domain as virt-install spells it: memory without unit, page size in G, other order.
const VIRT = `<domain type="kvm"><name>b</name><memory>8388608</memory><memoryBacking><nosharepages/><locked/>
<hugepages><page size="1" unit="G"/></hugepages></memoryBacking><vcpu placement="static">2</vcpu>
<numatune><memory mode="strict" nodeset="0"/></numatune><cpu mode="host-passthrough" check="none"/>
<devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/><target dev="vda" bus="virtio"/></disk>
<interface type="direct"><mac address="52:54:00:00:00:01"/></interface></devices>
<cputune><vcpupin vcpu="0" cpuset="1"/><vcpupin vcpu="1" cpuset="2"/><emulatorpin cpuset="37-38"/></cputune></domain>`;

describe("domain comparison", () => {
  it("normalises units and order", () => {
    expect(domainFacts(VIRT)).toEqual(domainFacts(NFV));
    expect(domainFacts(NFV).hugepageKiB).toBe("1048576");
    expect(domainFacts(NFV).vcpupin).toBe("0:1 1:2");
    expect(compareDomains(NFV, VIRT)).toEqual({ fields: 11, differences: [] });
  });

  it("names every field that differs", () => {
    const other = VIRT.replace('emulatorpin cpuset="37-38"', 'emulatorpin cpuset="0"').replace(
      "<locked/>",
      "",
    );
    expect(compareDomains(NFV, other).differences).toEqual([
      'emulatorpin: "37-38" != "0"',
      'locked: "true" != "false"',
    ]);
  });

  it("asks virt-install for the seed's pins and NICs", () => {
    const args = virtInstallArgs("/tmp/x.qcow2", "test:///default").join(" ");
    expect(args).toContain("vcpupin0.vcpu=0,vcpupin0.cpuset=1");
    expect(args).toContain("vcpupin7.vcpu=7,vcpupin7.cpuset=8,emulatorpin.cpuset=37-44");
    expect(args).toContain("mac=52:54:00:36:95:f0");
    expect(args).toContain("network=eno2_sriov_pool,mac=52:54:00:2d:87:99");
  });
});
