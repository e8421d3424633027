/**
 * The host settings of a plan, as data (src/host/settings.ts): what render writes into host/ and
 * apply converges, built once here so the two can never differ. Pure: the plan, the facts and the
 * boot firmware (read by the caller) in, settings out.
 */
import type { HostFacts } from "../../facts/types.js";
import type { Plan } from "../../plan/types.js";
import type { BootArg, HostCommand, HostSetting } from "../../host/settings.js";
import { argText } from "../../host/settings.js";
import { NfvError } from "../../util/errors.js";
import { sh, type ShellStep } from "../script.js";
import { bootLoaderFor, debianLike, type BootLoader } from "./boot.js";
import { thpStep } from "./hugepages.js";
import { APT_SOURCES, aptSources, localRepo, YUM_REPO } from "./local-repo.js";
import { BR_NETFILTER_FILE, brNetfilterFile, needsBrNetfilter, SYSCTL_FILE, sysctlFile } from "./sysctl.js";

export type BootFirmware = "efi" | "bios";

export interface HostSettingsContext {
  /** How the host boots (EL7 keeps a different grub.cfg for each). */
  firmware: BootFirmware;
  /** nfvhost's state directory: the boot loader's stamp lives there. */
  stateDir: string;
  /**
   * Lab mode (emulated VNFs on a machine that is not an NFV host, such as CI or a laptop): the
   * boot loader, SELinux and firewalld are left alone; the settings the file spells out (sysctl,
   * THP, repository, LANG) still apply.
   */
  lab?: boolean;
}

export const THP_PATH = "/sys/kernel/mm/transparent_hugepage/enabled";
export const THP_TMPFILES = "/etc/tmpfiles.d/nfvhost-thp.conf";
export const GRUB_DEFAULTS = "/etc/default/grub";
/** Debian/Ubuntu: sourced by update-grub after /etc/default/grub. */
export const GRUB_DROPIN = "/etc/default/grub.d/nfvhost.cfg";
export const SELINUX_CONFIG = "/etc/selinux/config";
/** CPU isolation the planner sets; any of them the plan does not set must go. */
const ISOLATION_KEYS = ["isolcpus", "nohz_full", "rcu_nocbs"];

/** LANG as locale.conf (systemd, EL) or /etc/default/locale (Debian) writes it. */
export function localeFile(facts: HostFacts): string {
  return debianLike(facts.os) ? "/etc/default/locale" : "/etc/locale.conf";
}

/** The kernel arguments to set and the keys to drop, for every boot loader. */
export function bootArgs(plan: Plan): { set: BootArg[]; remove: string[] } {
  const set = plan.host.kernelArgs.args.map((a) => ({ key: a.key, value: a.value }));
  return { set, remove: ISOLATION_KEYS.filter((k) => !set.some((a) => a.key === k)) };
}

/** The grub.cfg EL7's grub2-mkconfig must write: the EFI one when the host boots by UEFI. */
export function el7GrubCfg(
  loader: Extract<BootLoader, { kind: "grub2-mkconfig" }>,
  firmware: BootFirmware,
): string {
  return firmware === "efi" ? `/boot/efi/EFI/${loader.efiDir}/grub.cfg` : "/boot/grub2/grub.cfg";
}

/**
 * /etc/default/grub.d/nfvhost.cfg: update-grub sources it after /etc/default/grub, so it REPLACES
 * the arguments nfvhost manages instead of appending a second copy: every managed key is dropped
 * from both command-line variables, then the planned arguments are set once. Rewriting it, or
 * regenerating grub.cfg again, gives the same command line.
 */
export function grubDropIn(topology: string, set: readonly BootArg[], remove: readonly string[]): string {
  const keys = [...new Set([...set.map((a) => a.key), ...remove])];
  const pattern = keys.flatMap((k) => [k, `${k}=*`]).join("|");
  return [
    `# Kernel arguments of topology ${topology}, written by nfvhost (apply / render).`,
    "# Sourced by update-grub after /etc/default/grub: drops every argument nfvhost manages from",
    "# GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT, then sets the planned ones once.",
    "nfvhost_args() {",
    "  (",
    "    set -f",
    "    out=",
    "    for w in $1; do",
    '      case "$w" in',
    ...(keys.length > 0 ? [`        ${pattern}) ;;`] : []),
    '        *) out="${out:+$out }$w" ;;',
    "      esac",
    "    done",
    '    for w in $2; do out="${out:+$out }$w"; done',
    "    printf '%s' \"$out\"",
    "  )",
    "}",
    `GRUB_CMDLINE_LINUX="$(nfvhost_args "$GRUB_CMDLINE_LINUX" '${set.map(argText).join(" ")}')"`,
    `GRUB_CMDLINE_LINUX_DEFAULT="$(nfvhost_args "$GRUB_CMDLINE_LINUX_DEFAULT" '')"`,
    "unset -f nfvhost_args",
    "",
  ].join("\n");
}

/**
 * How this host's boot loader gets the plan's kernel arguments: the settings and the commands
 * they run. Null when nfvhost does not know the OS's boot loader (said as a warning by the caller).
 */
export function kernelArgSettings(
  plan: Plan,
  facts: HostFacts,
  ctx: HostSettingsContext,
): HostSetting[] | null {
  const { set, remove } = bootArgs(plan);
  const loader = bootLoaderFor(facts.os);
  const what = `kernel arguments ${set.map(argText).join(" ")}${remove.length ? ` (without ${remove.join(", ")})` : ""}`;
  const stamp = `${ctx.stateDir}/boot/grub-inputs.sha256`;
  switch (loader.kind) {
    case "grubby":
      return [
        {
          kind: "grubby",
          id: "kernel-args",
          what: `${what} on every boot entry (grubby)`,
          set,
          remove,
          reboot: true,
        },
      ];
    case "grub2-mkconfig": {
      const cfg = el7GrubCfg(loader, ctx.firmware);
      const commands: HostCommand[] = [{ command: "grub2-mkconfig", args: ["-o", cfg] }];
      return [
        {
          kind: "cmdline",
          id: "kernel-args",
          what: `${what} in GRUB_CMDLINE_LINUX`,
          path: GRUB_DEFAULTS,
          variable: "GRUB_CMDLINE_LINUX",
          set,
          remove,
          reboot: true,
        },
        {
          kind: "boot",
          id: "boot-loader",
          what: `${cfg} (${ctx.firmware.toUpperCase()} boot) regenerated`,
          inputs: [GRUB_DEFAULTS],
          commands,
          stamp,
          reboot: true,
        },
      ];
    }
    case "update-grub":
      return [
        {
          kind: "file",
          id: "kernel-args",
          what: `${what} (${GRUB_DROPIN})`,
          path: GRUB_DROPIN,
          content: grubDropIn(plan.topology, set, remove),
          mode: 0o644,
          reboot: true,
        },
        {
          kind: "boot",
          id: "boot-loader",
          what: "/boot/grub/grub.cfg regenerated (update-grub)",
          inputs: [GRUB_DEFAULTS, GRUB_DROPIN],
          commands: [{ command: "update-grub", args: [] }],
          stamp,
          reboot: true,
        },
      ];
    case "unknown":
      return null;
  }
}

/** Every host setting of the plan, in the guide's order. */
export function hostSettings(plan: Plan, facts: HostFacts, ctx: HostSettingsContext): HostSetting[] {
  const out: HostSetting[] = [];
  const h = plan.host;

  // Seed (2): SELinux and firewalld.
  if (h.selinux !== "keep" && !ctx.lab) {
    const mode = h.selinux;
    if (!["enforcing", "permissive", "disabled"].includes(mode))
      throw new NfvError({
        what: "host.selinux",
        value: mode,
        expected: "enforcing, permissive, disabled or keep",
      });
    // Only where SELinux is installed: a config file written on a host without it means nothing.
    if (facts.selinux.configured !== null || facts.selinux.current !== null) {
      const now = facts.selinux.configured;
      out.push({
        kind: "line",
        id: "selinux-config",
        what: `SELinux ${mode} at boot`,
        path: SELINUX_CONFIG,
        prefix: "SELINUX=",
        line: `SELINUX=${mode}`,
        mode: 0o644,
        reboot: (now === "disabled") !== (mode === "disabled"),
      });
      out.push({
        kind: "runtime",
        id: "selinux-enforce",
        what: `SELinux ${mode === "enforcing" ? "enforcing" : "permissive"} now (setenforce)`,
        path: "/sys/fs/selinux/enforce",
        value: mode === "enforcing" ? "1" : "0",
        ifPresent: true,
      });
    }
  }
  if (h.firewalld === "disabled") {
    if (facts.firewalld.installed !== false && !ctx.lab)
      out.push({
        kind: "service",
        id: "firewalld",
        what: "firewalld stopped and disabled",
        unit: "firewalld.service",
      });
  } else if (h.firewalld !== "keep") {
    throw new NfvError({ what: "host.firewalld", value: h.firewalld, expected: "disabled or keep" });
  }

  // Seed (2): sysctl, at boot (sysctl.d) and now (/proc/sys).
  if (Object.keys(h.sysctl).length > 0) {
    const bridge = needsBrNetfilter(plan);
    if (bridge)
      out.push({
        kind: "file",
        id: "br-netfilter",
        what: "br_netfilter loaded at boot",
        path: BR_NETFILTER_FILE,
        content: brNetfilterFile(),
        mode: 0o644,
      });
    out.push({
      kind: "file",
      id: "sysctl-file",
      what: "kernel parameters at boot",
      path: SYSCTL_FILE,
      content: sysctlFile(plan),
      mode: 0o644,
    });
    for (const [key, value] of Object.entries(h.sysctl)) {
      const path = `/proc/sys/${key.replace(/\./g, "/")}`;
      out.push({
        kind: "runtime",
        id: `sysctl:${key}`,
        what: `sysctl ${key} = ${value}`,
        path,
        value,
        ...(key.startsWith("net.bridge.") ? { load: { command: "modprobe", args: ["br_netfilter"] } } : {}),
      });
    }
  }

  // Seed (3): the local repository on the installation ISO.
  const repo = localRepo(plan, facts);
  if (repo && h.localRepo) {
    const { iso, mountpoint } = h.localRepo;
    if (debianLike(facts.os)) {
      out.push({
        kind: "file",
        id: "repo-file",
        what: `apt source on the ISO at ${mountpoint}`,
        path: APT_SOURCES,
        content: aptSources(mountpoint),
        mode: 0o644,
      });
    } else {
      out.push({
        kind: "move-aside",
        id: "repo-aside",
        what: "online CentOS repositories moved to /etc/yum.repos.d/bak",
        dir: "/etc/yum.repos.d",
        pattern: "^CentOS-.*\\.repo$",
        to: "/etc/yum.repos.d/bak",
      });
      out.push({
        kind: "file",
        id: "repo-file",
        what: `yum repository on the ISO at ${mountpoint}`,
        path: YUM_REPO,
        content: repo.files.find((f) => f.path.endsWith("local.repo"))!.content,
        mode: 0o644,
      });
    }
    out.push({
      kind: "line",
      id: "repo-fstab",
      what: `${iso} mounted at ${mountpoint} at boot`,
      path: "/etc/fstab",
      prefix: `${iso} ${mountpoint} `,
      line: `${iso} ${mountpoint} iso9660 loop 0 0`,
      mode: 0o644,
    });
    out.push({
      kind: "mount",
      id: "repo-mount",
      what: `${iso} mounted at ${mountpoint}`,
      source: iso,
      target: mountpoint,
      fstype: "iso9660",
      options: "loop",
    });
  }

  // Seed (1): LANG for the whole system (the guide sets it in .bash_profile).
  if (h.lang !== undefined) {
    out.push({
      kind: "line",
      id: "lang",
      what: `LANG=${h.lang}`,
      path: localeFile(facts),
      prefix: "LANG=",
      line: `LANG="${h.lang}"`,
      mode: 0o644,
    });
  }

  // Seed (2): kernel arguments, for the boot loader this host has.
  if (!ctx.lab) out.push(...(kernelArgSettings(plan, facts, ctx) ?? []));

  // Transparent hugepages, now and at every boot.
  const thp = thpStep(plan, facts);
  if (thp) {
    out.push({
      kind: "runtime",
      id: "thp",
      what: `transparent hugepages ${h.thp} now`,
      path: THP_PATH,
      value: h.thp,
      selected: true,
    });
    out.push({
      kind: "file",
      id: "thp-tmpfiles",
      what: `transparent hugepages ${h.thp} at boot`,
      path: THP_TMPFILES,
      content: thp.tmpfiles,
      mode: 0o644,
    });
  }
  return out;
}

/** render's step for LANG: the same line apply sets (`lang` setting above). */
export function langStep(plan: Plan, facts: HostFacts): ShellStep | null {
  const lang = plan.host.lang;
  if (lang === undefined) return null;
  if (!/^[A-Za-z0-9_.@-]+$/.test(lang))
    throw new NfvError({ what: "host.lang", value: lang, expected: "a locale name such as en_US.UTF-8" });
  const file = localeFile(facts);
  const line = `LANG="${lang}"`;
  return {
    id: "lang",
    title: "System locale (seed (1): LANG=en_US.UTF-8)",
    changes: [`${file}: ${line}`],
    lines: [
      sh("touch", file),
      `if grep -q '^LANG=' ${sh(file)}; then sed -i 's/^LANG=.*/${line}/' ${sh(file)}; else echo ${sh(line)} >>${sh(file)}; fi`,
      sh("grep", "^LANG=", file),
    ],
  };
}
