import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildHostFacts, SEED_C240M5 } from "../facts/shapes.js";
import type { HostFacts, OsFact } from "../facts/types.js";
import { run } from "../util/exec.js";
import { installFix, kernelArgsFix, osFamily, removeKernelArgsFix } from "./fixes.js";

function on(os: OsFact): HostFacts {
  const facts = buildHostFacts(SEED_C240M5);
  facts.os = os;
  return facts;
}

const CENTOS7: OsFact = {
  id: "centos",
  version: "7",
  pretty: "CentOS Linux 7 (Core)",
  like: ["rhel", "fedora"],
};
const ROCKY8: OsFact = { id: "rocky", version: "8.9", pretty: null, like: ["rhel", "centos", "fedora"] };
const UBUNTU: OsFact = { id: "ubuntu", version: "22.04", pretty: null, like: ["debian"] };

describe("osFamily", () => {
  it("tells EL7, EL8+, Debian-like and unknown apart", () => {
    expect(osFamily(CENTOS7)).toEqual({ kind: "el", major: 7, efiDir: "centos" });
    expect(osFamily(ROCKY8)).toMatchObject({ kind: "el", major: 8 });
    expect(osFamily({ id: "rhel", version: "9.4", pretty: null, like: ["fedora"] })).toEqual({
      kind: "el",
      major: 9,
      efiDir: "redhat",
    });
    expect(osFamily(UBUNTU)).toEqual({ kind: "debian" });
    expect(osFamily({ id: "arch", version: null, pretty: null, like: [] })).toEqual({ kind: "unknown" });
  });
});

describe("kernelArgsFix", () => {
  it("EL7 edits /etc/default/grub and runs grub2-mkconfig for BIOS and EFI as the seed does", () => {
    const fix = kernelArgsFix(on(CENTOS7), ["intel_iommu=on", "iommu=pt"]).split("\n");
    expect(fix[0]).toMatch(/^sed -i .* \/etc\/default\/grub$/);
    expect(fix.slice(1)).toEqual([
      "grub2-mkconfig -o /boot/grub2/grub.cfg",
      "grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg",
      "reboot",
    ]);
  });

  it("EL8+ uses grubby", () => {
    expect(kernelArgsFix(on(ROCKY8), ["intel_iommu=on", "iommu=pt"])).toBe(
      'grubby --update-kernel=ALL --args="intel_iommu=on iommu=pt"\nreboot',
    );
  });

  it("Debian/Ubuntu uses update-grub", () => {
    expect(kernelArgsFix(on(UBUNTU), ["iommu=pt"]).split("\n").slice(1)).toEqual(["update-grub", "reboot"]);
  });

  it("the sed edit really replaces old values of the same keys and keeps other arguments", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "nfvdoc-grub-"));
    try {
      const grub = path.join(dir, "grub");
      writeFileSync(
        grub,
        'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="iommu=soft crashkernel=auto intel_iommu=on isolcpus=0-3 rhgb quiet"\n',
      );
      const sed = kernelArgsFix(on(UBUNTU), ["iommu=pt", "isolcpus=1-8,37-44"]).split("\n")[0]!;
      // Run the exact printed command, pointed at the temp file (sh only splits the quoted words).
      const r = await run("sh", ["-c", sed.replace("/etc/default/grub", grub)]);
      expect(r.code, r.stderr).toBe(0);
      const line = readFileSync(grub, "utf8").split("\n")[1]!;
      const args = line.slice('GRUB_CMDLINE_LINUX="'.length, -1).split(/\s+/).filter(Boolean);
      expect(args).toEqual([
        "crashkernel=auto",
        "intel_iommu=on",
        "rhgb",
        "quiet",
        "iommu=pt",
        "isolcpus=1-8,37-44",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("installFix", () => {
  it("uses yum on EL7, dnf on EL8+, apt-get on Debian", () => {
    expect(installFix(on(CENTOS7), "libvirt")).toBe("yum install -y libvirt virt-install");
    expect(installFix(on(ROCKY8), "qemu")).toBe("dnf install -y qemu-kvm");
    expect(installFix(on(UBUNTU), "qemu")).toBe("apt-get install -y qemu-system-x86 qemu-utils");
  });
});

describe("removeKernelArgsFix", () => {
  it("removes with grubby on EL8+ and with the sed drop elsewhere", async () => {
    expect(removeKernelArgsFix(on(ROCKY8), ["isolcpus"])).toBe(
      'grubby --update-kernel=ALL --remove-args="isolcpus"\nreboot',
    );
    const dir = mkdtempSync(path.join(tmpdir(), "nfvdoc-grub-"));
    try {
      const grub = path.join(dir, "grub");
      writeFileSync(grub, 'GRUB_CMDLINE_LINUX="quiet isolcpus=0 iommu=pt"\n');
      const sed = removeKernelArgsFix(on(CENTOS7), ["isolcpus"]).split("\n")[0]!;
      const r = await run("sh", ["-c", sed.replace("/etc/default/grub", grub)]);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(grub, "utf8").replace(/\s+/g, " ").trim()).toBe(
        'GRUB_CMDLINE_LINUX="quiet iommu=pt"',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
