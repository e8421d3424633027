/**
 * How this host's OS takes kernel arguments: grubby on EL8+ and Fedora; on EL7 the seed's way
 * (GRUB_CMDLINE_LINUX in /etc/default/grub, then grub2-mkconfig for the BIOS and the EFI grub.cfg);
 * on Debian/Ubuntu /etc/default/grub and update-grub.
 */
import type { OsFact } from "../../facts/types.js";

export type BootLoader =
  | { kind: "grubby" }
  | { kind: "grub2-mkconfig"; efiDir: string }
  | { kind: "update-grub" }
  | { kind: "unknown"; os: string };

const EL_IDS = new Set([
  "rhel",
  "centos",
  "rocky",
  "almalinux",
  "ol",
  "scientific",
  "fedora",
  "eurolinux",
  "cloudlinux",
]);
/** Directory under /boot/efi/EFI that the vendor's shim and grub live in on EL7. */
const EFI_DIRS: Record<string, string> = {
  centos: "centos",
  rhel: "redhat",
  ol: "redhat",
  scientific: "redhat",
};

/** Debian, Ubuntu and their derivatives (apt, update-grub, /etc/default/locale). */
export function debianLike(os: OsFact): boolean {
  return [os.id ?? "", ...os.like].some((i) => /^(debian|ubuntu)$/i.test(i));
}

export function bootLoaderFor(os: OsFact): BootLoader {
  const ids = [os.id ?? "", ...os.like].map((s) => s.toLowerCase());
  if (ids.some((i) => i === "debian" || i === "ubuntu")) return { kind: "update-grub" };
  if (ids.some((i) => EL_IDS.has(i))) {
    const major = Number.parseInt(os.version ?? "", 10);
    if (os.id === "fedora" || (Number.isFinite(major) && major >= 8)) return { kind: "grubby" };
    if (major === 7 || major === 6)
      return { kind: "grub2-mkconfig", efiDir: EFI_DIRS[os.id ?? ""] ?? os.id ?? "centos" };
  }
  return { kind: "unknown", os: os.pretty ?? os.id ?? "unknown OS" };
}
