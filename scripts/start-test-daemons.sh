#!/usr/bin/env bash
# Starts virtlogd and libvirtd when nothing answers on their sockets (no systemd on CI machines).
# Decided by the sockets, not by process names: a daemon whose socket is gone (another instance
# unlinked it) answers nobody, and one answering is never started twice or signalled.
set -euo pipefail

answers() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])' "$1" 2>/dev/null; }

if ! answers /run/libvirt/virtlogd-sock; then virtlogd -d; fi
# Test domains back their RAM with hugepages; libvirtd looks for hugetlbfs mounts only when it starts.
mount_hugetlbfs() {
  if ! grep -q " $2 hugetlbfs " /proc/mounts; then
    mkdir -p "$2" && mount -t hugetlbfs -o "pagesize=$1" hugetlbfs "$2" || echo "warning: cannot mount hugetlbfs ($1) on $2" >&2
  fi
}
mount_hugetlbfs 2M /dev/hugepages
mount_hugetlbfs 1G /dev/hugepages1G
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  # libvirtd -d fails by itself when another one holds its pid file; that one is never signalled.
  libvirtd -d || true
fi
for _ in $(seq 1 50); do
  if virsh -c qemu:///system version >/dev/null 2>&1; then exit 0; fi
  sleep 0.2
done
holder=$(cat /run/libvirtd.pid 2>/dev/null || true)
if [ -n "$holder" ] && [ "$(cat "/proc/$holder/comm" 2>/dev/null)" = libvirtd ]; then
  echo "libvirtd (pid $holder) runs but does not answer on /run/libvirt/libvirt-sock (its socket was removed?);" \
    "not signalled: stop it yourself (kill $holder) and run this script again" >&2
else
  echo "libvirtd did not answer on qemu:///system (/run/libvirt/libvirt-sock)" >&2
fi
exit 1
