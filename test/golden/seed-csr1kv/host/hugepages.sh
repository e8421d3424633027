#!/bin/bash
set -euo pipefail
# Hugepages: runtime reservation per NUMA node and hugetlbfs (seed KVM tuning (3))
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - hugetlbfs mount /dev/hugepages1G (pagesize=1G) unless one exists; libvirtd restarted then
cd "$(dirname "$0")/.."

# Reserve hugepages per NUMA node now, without a reboot; never lower a reservation.
reserve_hugepages() {
  local path="$1" want="$2" have
  have=$(cat "$path")
  if [ "$have" -lt "$want" ]; then echo "$want" >"$path"; fi
  have=$(cat "$path")
  if [ "$have" -lt "$want" ]; then
    echo "only $have of $want pages reserved in $path: memory is fragmented; reboot with the kernel arguments" >&2
    return 1
  fi
}
reserve_hugepages /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages 16   # node 0: VNFs need 8
reserve_hugepages /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages 16   # node 1: VNFs need 0
# libvirt backs guests with 1G pages only from a hugetlbfs mounted with that page size
# (/proc/mounts shows it as pagesize=1024M); it reads the mounts when it starts.
if ! awk '$3 == "hugetlbfs" && $4 ~ /pagesize=1024M/ { found = 1 } END { exit !found }' /proc/mounts; then
  mkdir -p /dev/hugepages1G
  mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G
  grep -q '^hugetlbfs /dev/hugepages1G ' /etc/fstab || echo 'hugetlbfs /dev/hugepages1G hugetlbfs pagesize=1G 0 0' >>/etc/fstab
  systemctl restart libvirtd
fi
grep -i hugepages /proc/meminfo
