/**
 * The host-step executor: where apply's host settings act. On this machine (`root` "/") files are
 * written in place and commands (systemctl, modprobe, mount, the boot loader) run through the
 * process runner. Under a snapshot root (`--root DIR`) files are written under DIR, and commands
 * are not run: they would change THIS machine's services and boot loader, not the snapshot's.
 * Apply reports them instead ("run on the host"). Tests inject a runner and let them run, so the
 * exact commands are recorded.
 */
import { readdir, stat } from "node:fs/promises";
import { resolveInRoot } from "./files.js";

export interface HostExecutor {
  root: string;
  /** The machine nfvhost runs on (root "/"): services and mounts are read and changed for real. */
  live: boolean;
  /** Commands run (through the injectable runner); false under a snapshot root. */
  commands: boolean;
}

export function hostExecutor(root: string, opts: { commands?: boolean } = {}): HostExecutor {
  const live = root === "/";
  return { root, live, commands: opts.commands ?? live };
}

/**
 * How the host under `root` boots: UEFI when the kernel shows /sys/firmware/efi; a snapshot that
 * did not keep /sys/firmware tells by the EFI grub.cfg an EL7 EFI install has.
 */
export async function bootFirmware(root: string): Promise<"efi" | "bios"> {
  // Links resolved inside the root: a snapshot's link out of it must not decide this.
  const under = (p: string) => resolveInRoot(root, p).catch(() => null);
  const isDir = async (p: string) => {
    const full = await under(p);
    return full !== null && ((await stat(full).catch(() => null))?.isDirectory() ?? false);
  };
  if (await isDir("/sys/firmware/efi")) return "efi";
  if (await isDir("/sys/firmware")) return "bios";
  const efiDir = await under("/boot/efi/EFI");
  const vendors = efiDir === null ? [] : await readdir(efiDir).catch(() => [] as string[]);
  for (const v of vendors) {
    const cfg = await under(`/boot/efi/EFI/${v}/grub.cfg`);
    if (cfg !== null && (await stat(cfg).catch(() => null))) return "efi";
  }
  return "bios";
}
