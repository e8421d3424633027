/**
 * The kernel command line of the plan (seed (2): hugepagesz=1G hugepages=32 default_hugepagesz=1G
 * intel_iommu=on iommu=pt isolcpus=1-8,37-44) and the commands that make it persistent on this
 * host's OS. Every run gives the same result: an argument already present is replaced, not repeated.
 */
import type { HostFacts } from "../../facts/types.js";
import type { KernelArg, Plan } from "../../plan/types.js";
import { NfvError } from "../../util/errors.js";
import { sh, type ShellStep } from "../script.js";
import { bootLoaderFor } from "./boot.js";
import { bootArgs, GRUB_DROPIN } from "./settings.js";

const KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// No quote, backslash, '/', '&', '$' or space: the value goes into a sed expression and a "..." word.
const VALUE_RE = /^[A-Za-z0-9_.,:=+@%-]*$/;

function argText(arg: KernelArg): string {
  if (!KEY_RE.test(arg.key)) {
    throw new NfvError({
      what: "kernel argument name",
      value: arg.key,
      expected: "letters, digits, '_', '.', '-'",
    });
  }
  if (arg.value !== null && !VALUE_RE.test(arg.value)) {
    throw new NfvError({
      what: `value of kernel argument ${arg.key}`,
      value: arg.value,
      expected: "letters, digits and , . : = + - _ (no spaces or quotes)",
    });
  }
  return arg.value === null ? arg.key : `${arg.key}=${arg.value}`;
}

/**
 * The guide's vi edit of GRUB_CMDLINE_LINUX as two repeatable shell functions: drop every `key` or
 * `key=...` word (whole words: hugepages leaves hugepagesz alone), then append the wanted one.
 */
function grubSedLines(args: KernelArg[], remove: string[]): string[] {
  const lines = [
    'GRUB_DEFAULTS="${GRUB_DEFAULTS:-/etc/default/grub}"',
    'cp -p "$GRUB_DEFAULTS" "$GRUB_DEFAULTS.nfvhost-$(date +%Y%m%d%H%M%S)"',
    `grep -q '^GRUB_CMDLINE_LINUX=' "$GRUB_DEFAULTS" || echo 'GRUB_CMDLINE_LINUX=""' >>"$GRUB_DEFAULTS"`,
    "# Drops KEY and KEY=... from GRUB_CMDLINE_LINUX.",
    "remove_grub_arg() {",
    '  local key="${1//./[.]}"',
    "  sed -i -E -e '/^GRUB_CMDLINE_LINUX=/{' -e ':again' \\",
    '    -e "s/([\\" ])${key}(=[^\\" ]*)?([\\" ])/\\1\\3/" -e \'t again\' \\',
    "    -e 's/ +/ /g' -e 's/=\" /=\"/' -e 's/ \"$/\"/' -e '}' \"$GRUB_DEFAULTS\"",
    "}",
    "# Sets KEY=VALUE once, wherever KEY was before: the guide's vi edit, safe to repeat.",
    "set_grub_arg() {",
    '  remove_grub_arg "$1"',
    '  sed -i -E -e "/^GRUB_CMDLINE_LINUX=/ s/\\"\\$/ $2\\"/" -e \'s/=" /="/\' "$GRUB_DEFAULTS"',
    "}",
  ];
  for (const key of remove) lines.push(sh("remove_grub_arg", key));
  for (const arg of args) lines.push(sh("set_grub_arg", arg.key, argText(arg)));
  lines.push(`grep '^GRUB_CMDLINE_LINUX=' "$GRUB_DEFAULTS"`);
  return lines;
}

export function kernelArgsStep(plan: Plan, facts: HostFacts): ShellStep {
  const ka = plan.host.kernelArgs;
  const line = ka.args.map(argText).join(" ");
  const loader = bootLoaderFor(facts.os);
  // CPU isolation the plan does not set (e.g. isolcpus of a VNF removed): the same keys apply
  // drops (host/settings.ts), whatever the running kernel has, so a rerun after the reboot agrees.
  const { remove } = bootArgs(plan);
  for (const key of remove) argText({ key, value: null });
  const changes: string[] = [];
  if (ka.changes.length > 0) {
    const diff = ka.changes
      .map((c) => `${c.key}: ${c.have ?? "(absent)"} -> ${c.want ?? "(removed)"}`)
      .join(", ");
    changes.push(`kernel command line: ${diff} (takes effect after a reboot)`);
  } else if (ka.args.length > 0) {
    changes.push(`kernel command line: ${line} (already what the running kernel has)`);
  }
  const lines: string[] = [];
  if (ka.args.length === 0 && remove.length === 0) {
    lines.push("# The plan needs no kernel arguments.");
    return { id: "kernel-args", title: "Kernel arguments", changes, lines };
  }
  lines.push(`# Wanted on the kernel command line: ${line}`);
  if (ka.changes.length > 0)
    lines.push(`# Differs from /proc/cmdline now: ${ka.changes.map((c) => c.key).join(", ")}`);
  switch (loader.kind) {
    case "grubby":
      lines.push("# EL8+ and Fedora: grubby updates every installed kernel's boot entry.");
      if (ka.args.length > 0) lines.push(`grubby --update-kernel=ALL --args="${line}"`);
      if (remove.length > 0) lines.push(`grubby --update-kernel=ALL --remove-args="${remove.join(" ")}"`);
      lines.push(sh("grubby", "--info=DEFAULT"));
      break;
    case "grub2-mkconfig":
      lines.push(
        "# EL7, as the seed does it: edit GRUB_CMDLINE_LINUX, then regenerate grub.cfg for BIOS and UEFI boot.",
      );
      lines.push(...grubSedLines(ka.args, remove));
      lines.push(sh("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"));
      lines.push(`if [ -d /boot/efi/EFI/${loader.efiDir} ]; then`);
      lines.push(`  ${sh("grub2-mkconfig", "-o", `/boot/efi/EFI/${loader.efiDir}/grub.cfg`)}`);
      lines.push("fi");
      break;
    case "update-grub":
      lines.push(
        `# Debian/Ubuntu: update-grub reads ${GRUB_DROPIN} after /etc/default/grub; it replaces the`,
        "# arguments nfvhost manages (never a second copy), then update-grub regenerates /boot/grub/grub.cfg.",
        `GRUB_DROPIN="\${GRUB_DROPIN:-${GRUB_DROPIN}}"`,
        'install -D -m 0644 host/grub.d/nfvhost.cfg "$GRUB_DROPIN"',
        sh("update-grub"),
      );
      break;
    case "unknown":
      lines.push(
        `echo ${sh(`nfvhost does not know how ${loader.os} sets kernel arguments; add by hand: ${line}${remove.length > 0 ? `; remove: ${remove.join(" ")}` : ""}`)} >&2`,
      );
      lines.push("exit 1");
      break;
  }
  if (ka.needsReboot || ka.changes.length > 0) {
    lines.push(
      'echo "Kernel arguments changed: reboot for them to take effect (then check: cat /proc/cmdline)."',
    );
  }
  return {
    id: "kernel-args",
    title: "Kernel arguments (seed (2))",
    changes,
    lines,
    ...(ka.changes.length > 0
      ? { reboot: `kernel command line (${ka.changes.map((c) => c.key).join(", ")})` }
      : {}),
  };
}
