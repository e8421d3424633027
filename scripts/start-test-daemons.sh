#!/usr/bin/env bash
# Starts libvirtd and virtlogd when they are not running (no systemd on CI machines).
set -euo pipefail
if ! pgrep -x virtlogd >/dev/null; then virtlogd -d; fi
# Test domains back their RAM with hugepages; libvirtd looks for hugetlbfs mounts only when it starts.
mount_hugetlbfs() {
  if ! grep -q " $2 hugetlbfs " /proc/mounts; then
    mkdir -p "$2" && mount -t hugetlbfs -o "pagesize=$1" hugetlbfs "$2" || echo "warning: cannot mount hugetlbfs ($1) on $2" >&2
  fi
}
mount_hugetlbfs 2M /dev/hugepages
mount_hugetlbfs 1G /dev/hugepages1G
if ! pgrep -x libvirtd >/dev/null; then libvirtd -d; fi
for _ in $(seq 1 50); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then exit 0; fi
  sleep 0.2
done
echo "libvirtd did not answer on qemu:///system" >&2
exit 1
