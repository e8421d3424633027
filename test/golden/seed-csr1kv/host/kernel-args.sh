#!/bin/bash
set -euo pipefail
# Kernel arguments (seed (2))
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - kernel command line: hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44 (already what the running kernel has)
cd "$(dirname "$0")/.."

# Wanted on the kernel command line: hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44
# EL7, as the seed does it: edit GRUB_CMDLINE_LINUX, then regenerate grub.cfg for BIOS and UEFI boot.
GRUB_DEFAULTS="${GRUB_DEFAULTS:-/etc/default/grub}"
cp -p "$GRUB_DEFAULTS" "$GRUB_DEFAULTS.nfvhost-$(date +%Y%m%d%H%M%S)"
grep -q '^GRUB_CMDLINE_LINUX=' "$GRUB_DEFAULTS" || echo 'GRUB_CMDLINE_LINUX=""' >>"$GRUB_DEFAULTS"
# Drops KEY and KEY=... from GRUB_CMDLINE_LINUX.
remove_grub_arg() {
  local key="${1//./[.]}"
  sed -i -E -e '/^GRUB_CMDLINE_LINUX=/{' -e ':again' \
    -e "s/([\" ])${key}(=[^\" ]*)?([\" ])/\1\3/" -e 't again' \
    -e 's/ +/ /g' -e 's/=" /="/' -e 's/ "$/"/' -e '}' "$GRUB_DEFAULTS"
}
# Sets KEY=VALUE once, wherever KEY was before: the guide's vi edit, safe to repeat.
set_grub_arg() {
  remove_grub_arg "$1"
  sed -i -E -e "/^GRUB_CMDLINE_LINUX=/ s/\"\$/ $2\"/" -e 's/=" /="/' "$GRUB_DEFAULTS"
}
remove_grub_arg nohz_full
remove_grub_arg rcu_nocbs
set_grub_arg hugepagesz hugepagesz=1G
set_grub_arg hugepages hugepages=32
set_grub_arg default_hugepagesz default_hugepagesz=1G
set_grub_arg intel_iommu intel_iommu=on
set_grub_arg iommu iommu=pt
set_grub_arg isolcpus isolcpus=1-8,37-44
grep '^GRUB_CMDLINE_LINUX=' "$GRUB_DEFAULTS"
grub2-mkconfig -o /boot/grub2/grub.cfg
if [ -d /boot/efi/EFI/centos ]; then
  grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg
fi
