/**
 * Fix commands that depend on the host's distribution: how kernel arguments become persistent,
 * how packages and modules are installed. Pure: they only read HostFacts.os.
 */
import type { HostFacts } from "../facts/types.js";
import { formatCpuList } from "../util/cpulist.js";

export type OsFamily =
  | { kind: "el"; major: number; efiDir: string }
  | { kind: "fedora" }
  | { kind: "debian" }
  | { kind: "suse" }
  | { kind: "unknown" };

const EL_IDS = new Set(["rhel", "centos", "rocky", "almalinux", "ol", "scientific", "eurolinux", "circle"]);

export function osFamily(os: HostFacts["os"]): OsFamily {
  const id = (os.id ?? "").toLowerCase();
  const like = os.like.map((l) => l.toLowerCase());
  if (id === "fedora") return { kind: "fedora" };
  if (EL_IDS.has(id) || like.includes("rhel")) {
    const major = Number.parseInt(os.version ?? "", 10);
    // The EFI directory grub2-mkconfig writes to is named after the vendor, as the seed's centos path shows.
    const efiDir =
      id === "centos" ? "centos" : id === "rocky" ? "rocky" : id === "almalinux" ? "almalinux" : "redhat";
    return { kind: "el", major: Number.isFinite(major) ? major : 0, efiDir };
  }
  if (id === "debian" || id === "ubuntu" || like.includes("debian") || like.includes("ubuntu"))
    return { kind: "debian" };
  if (id.startsWith("sles") || id.startsWith("opensuse") || like.includes("suse")) return { kind: "suse" };
  return { kind: "unknown" };
}

function argKey(arg: string): string {
  const eq = arg.indexOf("=");
  return eq < 0 ? arg : arg.slice(0, eq);
}

function escapeSedRegex(s: string): string {
  return s.replace(/[.[\]*^$\\/]/g, "\\$&");
}

// A key is a whole token: preceded by the opening quote or a space and followed by a space or the closing quote.
function sedDrop(key: string): string {
  return `-e '/^GRUB_CMDLINE_LINUX=/s/\\([" ]\\)${escapeSedRegex(key)}\\(=[^" ]*\\)\\?\\([" ]\\)/\\1\\3/g'`;
}

/**
 * A sed edit of /etc/default/grub that drops any earlier value of each argument's key and appends
 * the new arguments inside GRUB_CMDLINE_LINUX="...", so re-running it never duplicates a key.
 */
function grubDefaultEdit(args: readonly string[], remove: readonly string[] = []): string {
  const drops = [...args.map(argKey), ...remove].map(sedDrop);
  const append = args.length
    ? ` -e 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 ${args.join(" ").replace(/\//g, "\\/")}"/'`
    : "";
  return `sed -i ${drops.join(" ")}${append} /etc/default/grub`;
}

function bootFix(facts: HostFacts, args: readonly string[], remove: readonly string[]): string {
  const family = osFamily(facts.os);
  if ((family.kind === "el" && family.major >= 8) || family.kind === "fedora") {
    const grubby = ["grubby --update-kernel=ALL"];
    if (remove.length) grubby.push(`--remove-args="${remove.join(" ")}"`);
    if (args.length) grubby.push(`--args="${args.join(" ")}"`);
    return [grubby.join(" "), "reboot"].join("\n");
  }
  const edit = grubDefaultEdit(args, remove);
  if (family.kind === "el") {
    // EL7 as in the seed guide: regenerate both the BIOS and the UEFI grub.cfg.
    return [
      edit,
      "grub2-mkconfig -o /boot/grub2/grub.cfg",
      `grub2-mkconfig -o /boot/efi/EFI/${family.efiDir}/grub.cfg`,
      "reboot",
    ].join("\n");
  }
  if (family.kind === "debian") return [edit, "update-grub", "reboot"].join("\n");
  if (family.kind === "suse") return [edit, "grub2-mkconfig -o /boot/grub2/grub.cfg", "reboot"].join("\n");
  return [
    edit,
    "regenerate the boot loader configuration (grub2-mkconfig -o <your grub.cfg>)",
    "reboot",
  ].join("\n");
}

/** Makes kernel arguments persistent the way this distribution does it, then reboots. */
export function kernelArgsFix(facts: HostFacts, args: readonly string[]): string {
  return bootFix(facts, args, []);
}

/** Removes kernel arguments (by key, e.g. "isolcpus") persistently, then reboots. */
export function removeKernelArgsFix(facts: HostFacts, keys: readonly string[]): string {
  return bootFix(facts, [], keys);
}

/** Installs packages with the distribution's package manager. */
export function installFix(facts: HostFacts, what: "libvirt" | "qemu" | "cpupower"): string {
  const family = osFamily(facts.os);
  const el = family.kind === "el" || family.kind === "fedora";
  const tool = family.kind === "el" && family.major < 8 ? "yum" : family.kind === "suse" ? "zypper" : "dnf";
  const packages: Record<typeof what, { el: string; debian: string; suse: string }> = {
    libvirt: {
      el: "libvirt virt-install",
      debian: "libvirt-daemon-system libvirt-clients virtinst",
      suse: "libvirt",
    },
    qemu: { el: "qemu-kvm", debian: "qemu-system-x86 qemu-utils", suse: "qemu-kvm" },
    cpupower: { el: "kernel-tools", debian: "linux-cpupower", suse: "cpupower" },
  };
  if (el) return `${tool} install -y ${packages[what].el}`;
  if (family.kind === "debian") return `apt-get install -y ${packages[what].debian}`;
  if (family.kind === "suse") return `zypper install -y ${packages[what].suse}`;
  return `install ${packages[what].el} (or your distribution's equivalent)`;
}

/** Loads a kernel module now and at every boot. */
export function moduleFix(module: string): string {
  return [`modprobe ${module}`, `echo ${module} > /etc/modules-load.d/${module}.conf`].join("\n");
}

/** Restarts libvirt so it picks up new hugetlbfs mounts and devices. */
export function restartLibvirtFix(facts: HostFacts): string {
  const family = osFamily(facts.os);
  // EL9 and recent Fedora split libvirtd into modular daemons; virtqemud owns QEMU domains there.
  if ((family.kind === "el" && family.major >= 9) || family.kind === "fedora")
    return "systemctl restart virtqemud";
  return "systemctl restart libvirtd";
}

/** isolcpus= for a CPU set, keeping the flags (managed_irq, domain, nohz) the host already uses. */
export function isolcpusArg(facts: HostFacts, cpus: Iterable<number>): string {
  const flags = facts.kernel.isolcpusFlags.length ? `${facts.kernel.isolcpusFlags.join(",")},` : "";
  return `isolcpus=${flags}${formatCpuList(cpus)}`;
}
