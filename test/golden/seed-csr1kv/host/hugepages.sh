#!/bin/bash
set -euo pipefail
# Hugepages: runtime reservation per NUMA node and hugetlbfs (seed KVM tuning (3))
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - hugetlbfs mount /dev/hugepages1G (pagesize=1G) unless one exists; libvirtd restarted then
cd "$(dirname "$0")/.."

# Reserve hugepages per NUMA node now, without a reboot (seed: echo N > .../nr_hugepages).
# A reservation is only ever raised: lowering it could take pages a running VM uses.
# node 0: the VNFs use 8 x 1G; reserve 16 (16 reserved when discovered)
if [ "$(cat /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages)" -lt 16 ]; then echo 16 >/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages; fi
if [ "$(cat /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages)" -lt 16 ]; then echo "node 0: only $(cat /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages) of 16 x 1G pages: memory is fragmented, reboot with the kernel arguments" >&2; exit 1; fi
# node 1: the VNFs use 0 x 1G; reserve 16 (16 reserved when discovered)
if [ "$(cat /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages)" -lt 16 ]; then echo 16 >/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages; fi
if [ "$(cat /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages)" -lt 16 ]; then echo "node 1: only $(cat /sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages) of 16 x 1G pages: memory is fragmented, reboot with the kernel arguments" >&2; exit 1; fi
# libvirt backs guests with 1G pages only from a hugetlbfs mounted with that page size
# (/proc/mounts shows it as pagesize=1024M); it reads the mounts when it starts.
if ! awk '$3 == "hugetlbfs" && $4 ~ /pagesize=1024M/ { found = 1 } END { exit !found }' /proc/mounts; then
  mkdir -p /dev/hugepages1G
  mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G
  grep -q '^hugetlbfs /dev/hugepages1G ' /etc/fstab || echo 'hugetlbfs /dev/hugepages1G hugetlbfs pagesize=1G 0 0' >>/etc/fstab
  systemctl restart libvirtd
fi
grep -i hugepages /proc/meminfo
