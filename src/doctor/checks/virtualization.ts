/**
 * What libvirt's `virt-host-validate qemu` checks (hardware virtualization, /dev/kvm exists and is
 * accessible, /dev/vhost-net, /dev/net/tun, cgroup controllers, secure guests) plus /dev/vfio and
 * the libvirt/QEMU versions. IOMMU, its other check, lives in iommu.ts.
 */
import type { HostFacts } from "../../facts/types.js";
import { installFix, moduleFix } from "../fixes.js";
import { isLive } from "../facts-view.js";
import type { DoctorCheck } from "../types.js";

const NOT_VISIBLE =
  "not recorded: facts come from a snapshot without this entry in nfvhost-snapshot.json (hand-made, or taken before nfvhost recorded it)";

/**
 * Whether null for `field` means unknown rather than absent. Discovery says so in notRecorded;
 * facts without it (synthetic shapes) are unknown exactly when they are not from the live host.
 */
function notRecorded(facts: HostFacts, field: string): boolean {
  return facts.notRecorded ? facts.notRecorded.includes(field) : !isLive(facts);
}

function kvmModule(facts: HostFacts): string {
  return facts.cpu.virtualization === "svm" ? "kvm_amd" : "kvm_intel";
}

function cpuVirt(facts: HostFacts): DoctorCheck {
  const base = {
    id: "virt.cpu",
    area: "virtualization",
    title: "Hardware virtualization (VT-x / AMD-V)",
  } as const;
  const v = facts.cpu.virtualization;
  if (v) {
    return {
      ...base,
      status: "pass",
      evidence: `/proc/cpuinfo flags: ${v} (${v === "vmx" ? "Intel VT-x" : "AMD-V"})`,
    };
  }
  const amd = facts.cpu.vendor === "AuthenticAMD";
  return {
    ...base,
    status: "fail",
    evidence: "/proc/cpuinfo flags: neither vmx nor svm; only emulated CPUs (TCG), far too slow for a router",
    fix: amd
      ? "BIOS setup: SVM Mode = Enabled, then reboot (in a VM: give the guest host-passthrough CPU with nested virtualization)"
      : "BIOS setup: Intel VT = Enabled (seed BIOS table), then reboot (in a VM: give the guest host-passthrough CPU with nested virtualization)",
  };
}

function kvmDevice(facts: HostFacts): DoctorCheck[] {
  const base = { id: "virt.kvm-device", area: "virtualization", title: "/dev/kvm exists" } as const;
  const kvm = facts.devices.kvm;
  if (kvm === null) return [{ ...base, status: "info", evidence: NOT_VISIBLE }];
  if (!kvm) {
    return [
      {
        ...base,
        status: "fail",
        evidence: "/dev/kvm is missing: the kvm module is not loaded or the BIOS has virtualization off",
        fix: moduleFix(kvmModule(facts)),
      },
    ];
  }
  const out: DoctorCheck[] = [{ ...base, status: "pass", evidence: "/dev/kvm present" }];
  const access = { id: "virt.kvm-access", area: "virtualization", title: "/dev/kvm is accessible" } as const;
  const ok = facts.devices.kvmAccessible;
  if (ok === undefined || ok === null)
    out.push({ ...access, status: "info", evidence: "access not tested by discovery" });
  else if (ok) out.push({ ...access, status: "pass", evidence: "/dev/kvm opens read-write" });
  else {
    out.push({
      ...access,
      status: "fail",
      evidence: "/dev/kvm is not readable and writable by this user",
      fix: "run nfvhost as root, or: usermod -aG kvm <user> (then log in again); check /dev/kvm is mode 0660 group kvm",
    });
  }
  return out;
}

function deviceCheck(
  facts: HostFacts,
  id: string,
  title: string,
  present: boolean | null | undefined,
  path: string,
  missing: { status: "info" | "warn" | "fail"; why: string; module: string },
): DoctorCheck {
  const base = { id, area: "virtualization", title } as const;
  if (present === undefined || present === null) {
    return {
      ...base,
      status: "info",
      evidence: isLive(facts) ? `${path} not checked by discovery` : NOT_VISIBLE,
    };
  }
  if (present) return { ...base, status: "pass", evidence: `${path} present` };
  return {
    ...base,
    status: missing.status,
    evidence: `${path} is missing: ${missing.why}`,
    fix: moduleFix(missing.module),
  };
}

/** virt-host-validate asks for these six; cgroup v2 folds cpuacct into cpu and blkio into io. */
const CGROUP_CONTROLLERS = ["cpu", "cpuacct", "cpuset", "memory", "devices", "blkio"] as const;

function cgroupChecks(facts: HostFacts): DoctorCheck[] {
  const cg = facts.cgroups;
  return CGROUP_CONTROLLERS.map((name): DoctorCheck => {
    const base = {
      id: `virt.cgroup.${name}`,
      area: "virtualization",
      title: `cgroup '${name}' controller`,
    } as const;
    if (!cg) return { ...base, status: "info", evidence: "cgroup controllers not visible to discovery" };
    const have = new Set(cg.controllers);
    let provider: string = name;
    let present = have.has(name);
    if (cg.version === 2) {
      if (name === "cpuacct") provider = "cpu";
      if (name === "blkio") provider = "io";
      present = have.has(provider);
      if (name === "devices") {
        return {
          ...base,
          status: "pass",
          evidence: `cgroup v2: device access is enforced with BPF programs (no controller file); ${cg.evidence}`,
        };
      }
    }
    const via = provider === name ? "" : ` (v2 '${provider}' controller)`;
    if (present) return { ...base, status: "pass", evidence: `cgroup v${cg.version}${via}: ${cg.evidence}` };
    return {
      ...base,
      status: "warn",
      evidence: `cgroup v${cg.version}: '${provider}' not among [${cg.controllers.join(", ")}] (${cg.evidence}); libvirt cannot apply ${name} limits`,
      fix:
        cg.version === 2
          ? `enable CONFIG_CGROUP_${provider.toUpperCase()} in the kernel, or free the controller from any cgroup v1 mount; then: echo +${provider} > /sys/fs/cgroup/cgroup.subtree_control`
          : `mkdir -p /sys/fs/cgroup/${name} && mount -t cgroup -o ${name} cgroup /sys/fs/cgroup/${name} (or enable it in the kernel config)`,
    };
  });
}

function secureGuest(facts: HostFacts): DoctorCheck {
  const base = {
    id: "virt.secure-guest",
    area: "virtualization",
    title: "Secure guest support (SEV / TDX)",
  } as const;
  const sg = facts.secureGuest;
  if (!sg)
    return {
      ...base,
      status: "info",
      evidence: "not reported by discovery; routers do not need confidential guests",
    };
  const tech = sg.technology ?? "none";
  const state = sg.enabled === null ? "state unknown" : sg.enabled ? "enabled" : "disabled";
  return {
    ...base,
    status: "info",
    evidence: `${tech}: ${state} (${sg.evidence}); informational, routers do not need confidential guests`,
  };
}

function versionCheck(facts: HostFacts, which: "libvirt" | "qemu"): DoctorCheck {
  const v = facts[which];
  const base = {
    id: `virt.${which}`,
    area: "virtualization",
    title: which === "libvirt" ? "libvirt installed (version)" : "QEMU/KVM installed (version)",
  } as const;
  if (v) return { ...base, status: "pass", evidence: `${v.version} (${v.evidence})` };
  if (notRecorded(facts, which)) {
    return {
      ...base,
      status: "info",
      evidence: `not recorded in this snapshot (${facts.root}); run doctor on the host itself, or take the snapshot with \`nfvhost snapshot\``,
    };
  }
  return {
    ...base,
    status: "fail",
    evidence:
      which === "libvirt" ? "libvirtd/virsh not found" : "no qemu-kvm / qemu-system-x86_64 binary found",
    fix: installFix(facts, which),
  };
}

function vfioDevice(facts: HostFacts): DoctorCheck {
  const hasVfs = facts.nics.some((n) => (n.sriov?.numVfs ?? 0) > 0);
  return deviceCheck(
    facts,
    "virt.vfio",
    "/dev/vfio/vfio (VF passthrough)",
    facts.devices.vfio,
    "/dev/vfio/vfio",
    {
      status: hasVfs ? "warn" : "info",
      why: hasVfs
        ? "SR-IOV VFs exist but vfio is not loaded; libvirt loads vfio-pci on first hostdev start, but the IOMMU must be on"
        : "vfio-pci not loaded; needed to pass VFs to routers",
      module: "vfio-pci",
    },
  );
}

/** The seed's domain XML uses <memoryBacking><locked/>: libvirt must raise QEMU's RLIMIT_MEMLOCK for it. */
function memlock(facts: HostFacts): DoctorCheck {
  const base = {
    id: "virt.memlock",
    area: "virtualization",
    title: "Locked guest memory (<locked/>) possible",
  } as const;
  const m = facts.memlock;
  if (!m)
    return {
      ...base,
      status: "info",
      evidence: "RLIMIT_MEMLOCK / CAP_SYS_RESOURCE not reported by discovery",
    };
  const limit = m.hardKiB === null ? "unlimited" : `${m.hardKiB} KiB`;
  const cap = m.capSysResource === null ? "unknown" : m.capSysResource ? "present" : "absent";
  const evidence = `RLIMIT_MEMLOCK hard ${limit}, CAP_SYS_RESOURCE ${cap} (${m.evidence})`;
  if (m.hardKiB === null || m.capSysResource === true) return { ...base, status: "pass", evidence };
  if (m.capSysResource === null) return { ...base, status: "info", evidence };
  return {
    ...base,
    status: "warn",
    evidence: `${evidence}: libvirt cannot raise QEMU's locked-memory limit, so a domain with <memoryBacking><locked/> (the seed's XML) fails to start`,
    fix: [
      "run libvirtd with CAP_SYS_RESOURCE (not inside an unprivileged container), or raise its limit:",
      "mkdir -p /etc/systemd/system/libvirtd.service.d",
      "printf '[Service]\\nLimitMEMLOCK=infinity\\n' > /etc/systemd/system/libvirtd.service.d/memlock.conf",
      "systemctl daemon-reload && systemctl restart libvirtd",
      "# or leave <locked/> out of the domain XML on this host",
    ].join("\n"),
  };
}

export function virtualizationChecks(facts: HostFacts): DoctorCheck[] {
  return [
    cpuVirt(facts),
    ...kvmDevice(facts),
    deviceCheck(
      facts,
      "virt.vhost-net",
      "/dev/vhost-net (in-kernel virtio-net)",
      facts.devices.vhostNet,
      "/dev/vhost-net",
      {
        status: "warn",
        why: "virtio NICs fall back to QEMU userspace networking (slow)",
        module: "vhost_net",
      },
    ),
    deviceCheck(facts, "virt.tun", "/dev/net/tun (tap networking)", facts.devices.tun, "/dev/net/tun", {
      status: "fail",
      why: "QEMU guests cannot get tap/bridge/macvtap NICs",
      module: "tun",
    }),
    vfioDevice(facts),
    ...cgroupChecks(facts),
    secureGuest(facts),
    memlock(facts),
    versionCheck(facts, "libvirt"),
    versionCheck(facts, "qemu"),
  ];
}
