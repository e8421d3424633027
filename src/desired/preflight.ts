/**
 * What this host cannot do, found before anything is changed: no usable KVM, <locked/> memory
 * that libvirt will not be allowed to lock, no hugetlbfs mounted for a page size, IOMMU off for
 * VFs, kernel arguments that need a reboot. Fatal findings stop apply with nothing changed;
 * the rest become warnings or adjustments that are printed loudly.
 */
import type { HostFacts } from "../facts/types.js";
import type { Plan, VnfPlan } from "../plan/types.js";
import { NfvError } from "../util/errors.js";
import { run } from "../util/exec.js";
import { bootLoaderFor } from "../render/host/boot.js";

export interface PendingReboot {
  what: string;
  command: string;
  /** A command for the host itself (not run under --root), rather than the reboot. */
  onHost?: boolean;
}

export interface PreflightResult {
  fatal: NfvError[];
  warnings: string[];
  pending: PendingReboot[];
  /** Domain type per VNF: kvm, or qemu (TCG emulation, not for production). */
  domainType: Record<string, "kvm" | "qemu">;
  /** <locked/> is rendered only when the host allows it. */
  locked: Record<string, boolean>;
}

export interface PreflightOptions {
  accel?: "kvm" | "tcg";
  /** Topology-wide lab mode. */
  lab: boolean;
  /** Drop <locked/> when RLIMIT_MEMLOCK cannot be raised, even outside lab mode. */
  allowUnlocked: boolean;
  /** Result of probeMemlock(); null = not probed (no VNF asks for locked memory). */
  memlockRaisable: (bytes: number) => Promise<boolean>;
}

/**
 * libvirt raises qemu's RLIMIT_MEMLOCK to guest memory + 1 GiB for <locked/>. Whether that is
 * allowed is probed the same way: raise the limit of a child process (`prlimit ... true`).
 */
export async function memlockRaisable(bytes: number): Promise<boolean> {
  const r = await run("prlimit", [`--memlock=${bytes}:${bytes}`, "true"]);
  return r.code === 0;
}

/**
 * How the planned kernel arguments reach the boot command line on this host's boot loader (what
 * `nfvhost apply` does). Never with a reboot: that stays the operator's decision.
 */
export function kernelArgsCommand(facts: HostFacts, args: string, remove: readonly string[] = []): string {
  const loader = bootLoaderFor(facts.os);
  const rm = remove.join(" ");
  switch (loader.kind) {
    case "grubby":
      return [
        ...(args ? [`grubby --update-kernel=ALL --args="${args}"`] : []),
        ...(rm ? [`grubby --update-kernel=ALL --remove-args="${rm}"`] : []),
      ].join("; ");
    case "grub2-mkconfig":
      return `GRUB_CMDLINE_LINUX in /etc/default/grub${args ? ` with ${args}` : ""}${rm ? ` without ${rm}` : ""}, then grub2-mkconfig -o /boot/grub2/grub.cfg (UEFI boot: -o /boot/efi/EFI/${loader.efiDir}/grub.cfg)`;
    case "update-grub":
      return `/etc/default/grub.d/nfvhost.cfg${args ? ` setting ${args}` : ""}${rm ? ` without ${rm}` : ""}, then update-grub`;
    case "unknown":
      return `on ${loader.os}, put on the kernel command line by hand: ${args}${rm ? `; remove: ${rm}` : ""}`;
  }
}

/** The operator's step after apply wrote the boot configuration: nfvhost never reboots a host. */
export const REBOOT_ADVICE = "reboot when the host may go down (nfvhost never reboots it)";

function usesVf(v: VnfPlan): boolean {
  return v.interfaces.some((i) => i.type === "sriov-pool" || i.type === "sriov-hostdev");
}

export async function preflight(
  facts: HostFacts,
  plan: Plan,
  opts: PreflightOptions,
  wantsLocked: (vnf: VnfPlan) => boolean,
): Promise<PreflightResult> {
  const res: PreflightResult = { fatal: [], warnings: [], pending: [], domainType: {}, locked: {} };

  const kvmUsable = facts.devices.kvm !== false && facts.cpu.virtualization !== null;
  for (const v of plan.vnfs) {
    const emulated = opts.accel === "tcg" || opts.lab || v.lab;
    if (emulated) {
      res.domainType[v.name] = "qemu";
      res.warnings.push(
        `${v.name}: EMULATED (TCG) domain type='qemu' — NOT FOR PRODUCTION: no KVM acceleration, timings and throughput are meaningless`,
      );
    } else if (!kvmUsable) {
      res.fatal.push(
        new NfvError({
          what: `VNF ${v.name}: no usable KVM`,
          value: `/dev/kvm ${facts.devices.kvm === false ? "missing" : "present"}, CPU virtualization ${facts.cpu.virtualization ?? "not reported"}`,
          expected: "/dev/kvm and VT-x/AMD-V enabled in the BIOS",
          fix: "enable virtualization in the BIOS and load kvm_intel/kvm_amd; for a lab only: --accel tcg or `lab: true` (not for production)",
          exitCode: 1,
        }),
      );
      res.domainType[v.name] = "kvm";
    } else {
      res.domainType[v.name] = "kvm";
    }
  }

  // <locked/>: probe once with the largest guest.
  const lockers = plan.vnfs.filter(wantsLocked);
  const biggest = Math.max(0, ...lockers.map((v) => v.memory.KiB));
  const raisable = lockers.length > 0 ? await opts.memlockRaisable(biggest * 1024 + 1024 ** 3) : true;
  for (const v of plan.vnfs) {
    if (!wantsLocked(v)) {
      res.locked[v.name] = false;
      continue;
    }
    if (raisable) {
      res.locked[v.name] = true;
    } else if (res.domainType[v.name] === "qemu" || opts.allowUnlocked) {
      res.locked[v.name] = false;
      res.warnings.push(
        `${v.name}: <locked/> dropped: RLIMIT_MEMLOCK cannot be raised on this host (prlimit --memlock: Operation not permitted); guest memory may be swapped`,
      );
    } else {
      res.locked[v.name] = true;
      res.fatal.push(
        new NfvError({
          what: `VNF ${v.name}: <locked/> memory`,
          value: "RLIMIT_MEMLOCK cannot be raised (prlimit --memlock: Operation not permitted)",
          expected: `permission to lock ${v.memory.KiB} KiB + 1 GiB`,
          fix: "give libvirtd CAP_SYS_RESOURCE / LimitMEMLOCK=infinity (systemctl edit libvirtd), or pass --allow-unlocked",
          exitCode: 1,
        }),
      );
    }
  }

  // hugetlbfs for every page size a VNF uses.
  const sizes = new Set(plan.vnfs.filter((v) => v.memory.pageSizeKiB > 4).map((v) => v.memory.pageSizeKiB));
  for (const size of sizes) {
    const mounted = facts.hugetlbfsMounts.some(
      (m) => m.pageSizeKiB === size || (m.pageSizeKiB === null && facts.kernel.defaultHugepageKiB === size),
    );
    if (!mounted) {
      const label = size >= 1048576 ? `${size / 1048576}G` : `${size / 1024}M`;
      const users = plan.vnfs.filter((v) => v.memory.pageSizeKiB === size).map((v) => v.name);
      res.fatal.push(
        new NfvError({
          what: `hugetlbfs for ${label} pages (used by ${users.join(", ")})`,
          value: facts.hugetlbfsMounts.length
            ? facts.hugetlbfsMounts
                .map((m) => `${m.path} pagesize=${m.pageSizeKiB ?? "default"}KiB`)
                .join(", ")
            : "none mounted",
          expected: `a hugetlbfs mount with pagesize=${label}`,
          fix: `mkdir -p /dev/hugepages${label} && mount -t hugetlbfs -o pagesize=${label} none /dev/hugepages${label}, then restart libvirtd (it reads the mounts at start)`,
          exitCode: 1,
        }),
      );
    }
  }

  // IOMMU for VFs handed to a VM.
  const vfUsers = plan.vnfs.filter(usesVf);
  if (vfUsers.length > 0 && !facts.kernel.iommu.enabled) {
    const iommuArg = plan.host.kernelArgs.args.filter((a) => /iommu/.test(a.key));
    res.fatal.push(
      new NfvError({
        what: `IOMMU (needed by the VFs of ${vfUsers.map((v) => v.name).join(", ")})`,
        value: `off (${facts.kernel.iommu.evidence.join("; ") || "no evidence"})`,
        expected: "IOMMU on, so vfio-pci can hand a VF to a VM",
        fix: `enable VT-d/AMD-Vi in the BIOS and boot with ${iommuArg.map((a) => (a.value === null ? a.key : `${a.key}=${a.value}`)).join(" ") || "intel_iommu=on iommu=pt"}`,
        exitCode: 1,
      }),
    );
  }

  const ka = plan.host.kernelArgs;
  if (ka.needsReboot && ka.changes.length > 0) {
    const args = ka.changes
      .filter((c) => c.want !== null)
      .map((c) => (c.want === "" ? c.key : `${c.key}=${c.want}`))
      .join(" ");
    const remove = ka.changes.filter((c) => c.want === null).map((c) => c.key);
    res.pending.push({
      what: `kernel arguments need a reboot: ${ka.changes.map((c) => `${c.key} (now ${c.have ?? "absent"}, want ${c.want ?? "removed"})`).join(", ")}; ${opts.lab ? "lab mode: apply leaves the boot loader alone (to tune this host: " : "apply writes them to the boot loader ("}${kernelArgsCommand(facts, args, remove)})`,
      command: REBOOT_ADVICE,
    });
  }
  return res;
}
