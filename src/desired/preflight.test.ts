import { describe, expect, it } from "vitest";
import { buildHostFacts, SEED_C240M5, SINGLE_NODE_NO_1G } from "../facts/shapes.js";
import type { HostFacts } from "../facts/types.js";
import type { Plan, VnfPlan } from "../plan/types.js";
import { kernelArgsCommand, preflight } from "./preflight.js";

function vnf(over: Partial<VnfPlan> = {}): VnfPlan {
  return {
    name: "r1",
    kind: "csr1000v",
    image: "/img/r1.qcow2",
    node: 0,
    vcpus: 1,
    threadPolicy: "isolate",
    vcpuPins: [1],
    emulatorCpus: [37],
    memory: { KiB: 4194304, pageSizeKiB: 1048576, pages: 4, node: 0, mode: "strict" },
    interfaces: [],
    lab: false,
    autostart: true,
    existing: false,
    ...over,
  };
}

function plan(vnfs: VnfPlan[], changes: Plan["host"]["kernelArgs"]["changes"] = []): Plan {
  return {
    schema: 1,
    topology: "t",
    host: {
      kernelArgs: {
        args: [{ key: "intel_iommu", value: "on" }],
        line: "intel_iommu=on",
        changes,
        needsReboot: changes.length > 0,
      },
    } as unknown as Plan["host"],
    networks: [],
    vnfs,
    warnings: [],
  };
}

/** The seed server as discover sees it: CentOS 7, 1G hugetlbfs mounted, KVM present. */
function seed(): HostFacts {
  const f = buildHostFacts(SEED_C240M5);
  Object.assign(f.os, { id: "centos", version: "7", like: ["rhel", "fedora"] });
  f.hugetlbfsMounts = [{ path: "/dev/hugepages1G", pageSizeKiB: 1048576 }];
  return f;
}

function facts(over: (f: HostFacts) => void): HostFacts {
  const f = seed();
  over(f);
  return f;
}

const base = { lab: false, allowUnlocked: false, memlockRaisable: async () => true };

describe("preflight", () => {
  it("says how the boot loader this host has gets the arguments, adds and removes, and never chains a reboot", () => {
    expect(kernelArgsCommand(seed(), "isolcpus=1-8", ["nohz_full"])).toBe(
      "GRUB_CMDLINE_LINUX in /etc/default/grub with isolcpus=1-8 without nohz_full, then grub2-mkconfig -o /boot/grub2/grub.cfg (UEFI boot: -o /boot/efi/EFI/centos/grub.cfg)",
    );
    const el8 = facts((f) => Object.assign(f.os, { id: "rocky", version: "8.9", like: ["rhel"] }));
    expect(kernelArgsCommand(el8, "isolcpus=1-8", ["nohz_full"])).toBe(
      'grubby --update-kernel=ALL --args="isolcpus=1-8"; grubby --update-kernel=ALL --remove-args="nohz_full"',
    );
    const deb = facts((f) => Object.assign(f.os, { id: "debian", like: [] }));
    expect(kernelArgsCommand(deb, "isolcpus=1")).toBe(
      "/etc/default/grub.d/nfvhost.cfg setting isolcpus=1, then update-grub",
    );
    for (const f of [seed(), el8, deb]) expect(kernelArgsCommand(f, "a=1", ["b"])).not.toMatch(/reboot/);
  });

  it("refuses KVM without /dev/kvm unless the VNF is emulated, which is loudly not for production", async () => {
    const noKvm = facts((f) => Object.assign(f.devices, { kvm: false }));
    const r = await preflight(noKvm, plan([vnf()]), base, () => false);
    expect(r.fatal.map((e) => e.message)).toEqual([expect.stringContaining("no usable KVM")]);
    const tcg = await preflight(noKvm, plan([vnf()]), { ...base, accel: "tcg" }, () => false);
    expect(tcg.fatal).toEqual([]);
    expect(tcg.domainType.r1).toBe("qemu");
    expect(tcg.warnings[0]).toMatch(/NOT FOR PRODUCTION/);
  });

  it("drops <locked/> only in lab mode or with --allow-unlocked when RLIMIT_MEMLOCK cannot be raised", async () => {
    const f = seed();
    const deny = { ...base, memlockRaisable: async () => false };
    const prod = await preflight(f, plan([vnf()]), deny, () => true);
    expect(prod.fatal[0]!.message).toMatch(/RLIMIT_MEMLOCK cannot be raised.*LimitMEMLOCK=infinity/);
    const lab = await preflight(f, plan([vnf({ lab: true })]), deny, () => true);
    expect(lab.fatal).toEqual([]);
    expect(lab.locked.r1).toBe(false);
    const allowed = await preflight(f, plan([vnf()]), { ...deny, allowUnlocked: true }, () => true);
    expect(allowed.locked.r1).toBe(false);
    const ok = await preflight(f, plan([vnf()]), base, () => true);
    expect(ok.locked.r1).toBe(true);
  });

  it("says how to mount hugetlbfs when none is mounted for the page size", async () => {
    const f = facts((x) => (x.hugetlbfsMounts = [{ path: "/dev/hugepages", pageSizeKiB: 2048 }]));
    const r = await preflight(f, plan([vnf()]), base, () => false);
    expect(r.fatal[0]!.message).toContain("mount -t hugetlbfs -o pagesize=1G none /dev/hugepages1G");
    expect(r.fatal[0]!.message).toContain("restart libvirtd");
  });

  it("refuses VFs for a VM while the IOMMU is off, and reports kernel arguments as pending", async () => {
    const f = facts((x) => (x.kernel.iommu = { enabled: false, passthrough: false, evidence: [] }));
    const withVf = vnf({
      interfaces: [
        {
          index: 0,
          guestName: "GigabitEthernet1",
          mac: "52:54:00:00:00:01",
          model: "virtio",
          type: "sriov-pool",
          network: "pool",
          vf: {} as never,
        },
      ],
    });
    const r = await preflight(
      f,
      plan([withVf], [{ key: "intel_iommu", want: "on", have: null }]),
      base,
      () => false,
    );
    expect(r.fatal[0]!.message).toMatch(/IOMMU.*off.*intel_iommu=on/);
    expect(r.pending[0]!.what).toContain("GRUB_CMDLINE_LINUX in /etc/default/grub with intel_iommu=on");
    // The reboot is the operator's: said, never chained to a command.
    expect(r.pending[0]!.command).toBe("reboot when the host may go down (nfvhost never reboots it)");
    const single = buildHostFacts(SINGLE_NODE_NO_1G);
    expect(
      (
        await preflight(
          single,
          plan([vnf({ memory: { KiB: 131072, pageSizeKiB: 4, pages: 32768, node: 0, mode: "strict" } })]),
          base,
          () => false,
        )
      ).fatal,
    ).toEqual([]);
  });
});
