#!/bin/bash
set -euo pipefail
# nfvhost apply script for topology seed-csr1kv: the seed guide's steps, in its order, for this plan.
# Read it, then run it as root: bash apply.sh. Every step can run again safely; anything that is
# redefined is saved under /var/lib/nfvhost/backup first.
#
# What changes on this host:
#   - sysctl file /etc/sysctl.d/90-nfvhost.conf (values already in force)
#   - kernel command line: hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44 (already what the running kernel has)
#   - hugetlbfs mount /dev/hugepages1G (pagesize=1G) unless one exists; libvirtd restarted then
#   - NetworkManager br1: Linux bridge br1, no host IP, MTU 9216
#   - NetworkManager eno1: management NIC, static 10.75.58.43/24
#   - NetworkManager eno2: SR-IOV PF, 4 VFs, no host IP, MTU 9216
#   - NetworkManager eno5: port of bridge br1, MTU 9216
#   - NetworkManager enp59s16f1: VF 0 of eno2 (0000:3b:10.1), no host IP, MTU 9216
#   - NetworkManager enp59s16f3: VF 1 of eno2 (0000:3b:10.3), no host IP, MTU 9216
#   - NetworkManager enp59s16f5: VF 2 of eno2 (0000:3b:10.5), no host IP, MTU 9216
#   - NetworkManager enp59s16f7: VF 3 of eno2 (0000:3b:10.7), no host IP, MTU 9216
#   - libvirt network eno2_sriov_pool (sriov-pool) defined, started, autostarted
#   - libvirt network net-br1 (bridge) defined, started, autostarted
#   - day-0 image for csr1kv-1: /var/lib/nfvhost/day0/csr1kv-1-day0.iso
#   - VM csr1kv-1 defined, autostarted, started once the kernel runs with the planned arguments: 8 vCPU on CPUs 1-8, emulator on 37-44, 8 x 1G pages on node 0
#
# No reboot needed.
cd "$(dirname "$0")"
umask 077

# ==== 1. SELinux and firewalld (seed (2)) =============================================================
echo "==> 1. SELinux and firewalld (seed (2))"
# SELinux disabled (configured now: disabled); takes full effect after a reboot.
sed -i 's/SELINUX=enforcing/SELINUX=disabled/g' /etc/selinux/config
sed -i 's/^SELINUX=permissive$/SELINUX=disabled/' /etc/selinux/config
# Permissive at once, so the rest of this script is not blocked before the reboot.
if command -v getenforce >/dev/null && [ "$(getenforce)" = Enforcing ]; then setenforce 0; fi
if command -v getenforce >/dev/null; then getenforce; fi
# Note: in production, enforce security policy on the switch this server connects to and on the
# egress firewall: with firewalld off the host itself no longer filters traffic.
if systemctl cat firewalld.service >/dev/null 2>&1; then
  systemctl stop firewalld
  systemctl disable firewalld
fi

# ==== 2. Kernel parameters (seed (2): /etc/sysctl.conf) ===============================================
echo "==> 2. Kernel parameters (seed (2): /etc/sysctl.conf)"
# net.bridge.* exist only while br_netfilter is loaded: load it now and at every boot (modules-load.d
# runs before systemd-sysctl), so that these keys apply instead of failing.
install -m 0644 host/modules-load.d/br_netfilter.conf /etc/modules-load.d/br_netfilter.conf
modprobe br_netfilter
install -m 0644 host/sysctl.d/90-nfvhost.conf /etc/sysctl.d/90-nfvhost.conf
sysctl --system
sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.bridge.bridge-nf-call-arptables

# ==== 3. Kernel arguments (seed (2)) ==================================================================
echo "==> 3. Kernel arguments (seed (2))"
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

# ==== 4. Hugepages: runtime reservation per NUMA node and hugetlbfs (seed KVM tuning (3)) =============
echo "==> 4. Hugepages: runtime reservation per NUMA node and hugetlbfs (seed KVM tuning (3))"
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

# ==== 5. NetworkManager connections ===================================================================
echo "==> 5. NetworkManager connections"
# Each profile is created when missing, then every property nfvhost owns is set (seed (4), (5), SR-IOV (3)).
# The same profiles as keyfiles: network-manager/system-connections/ (install -m 0600 into
# /etc/NetworkManager/system-connections/, then nmcli connection reload).

# br1: Linux bridge br1, no host IP
nmcli connection show br1 >/dev/null 2>&1 ||
  nmcli connection add con-name br1 type bridge autoconnect yes ifname br1 connection.uuid 04293148-1976-5055-ab32-5ba64ac73173
nmcli connection modify br1 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore bridge.stp yes

# eno1: management NIC, static 10.75.58.43/24
nmcli connection show eno1 >/dev/null 2>&1 ||
  nmcli connection add con-name eno1 type ethernet autoconnect yes ifname eno1 connection.uuid 9597016e-0be5-5333-b20b-3e42f0c2657a
nmcli connection modify eno1 ipv4.method manual ipv4.addresses 10.75.58.43/24 ipv4.gateway 10.75.58.1 ipv4.dns 64.104.123.245

# eno2: SR-IOV PF, 4 VFs, no host IP
nmcli connection show eno2 >/dev/null 2>&1 ||
  nmcli connection add con-name eno2 type ethernet autoconnect yes ifname eno2 connection.uuid 0dcf34a3-4235-5c61-b95b-98a8fa0a7d47
nmcli connection modify eno2 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore
nmcli connection modify eno2 sriov.total-vfs 4
nmcli connection modify eno2 sriov.vfs '0 mac=8e:df:08:c1:d1:de spoof-check=true trust=true, 1 mac=5a:b9:2f:99:a6:ce spoof-check=true trust=true, 2 mac=46:78:69:e3:71:3d spoof-check=true trust=true, 3 mac=7e:a7:db:3b:1b:b3 spoof-check=true trust=true'

# eno5: port of bridge br1
nmcli connection show eno5 >/dev/null 2>&1 ||
  nmcli connection add con-name eno5 type ethernet autoconnect yes ifname eno5 connection.uuid 731e36ed-ddac-56e9-a916-74f592fa33ab
nmcli connection modify eno5 ethernet.mtu 9216 connection.master br1 connection.slave-type bridge

# enp59s16f1: VF 0 of eno2 (0000:3b:10.1), no host IP
nmcli connection show enp59s16f1 >/dev/null 2>&1 ||
  nmcli connection add con-name enp59s16f1 type ethernet autoconnect yes ifname enp59s16f1 connection.uuid a81ffe8e-7db8-5b5b-afb6-173011ff5a3e
nmcli connection modify enp59s16f1 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore ethernet.mac-address ''

# enp59s16f3: VF 1 of eno2 (0000:3b:10.3), no host IP
nmcli connection show enp59s16f3 >/dev/null 2>&1 ||
  nmcli connection add con-name enp59s16f3 type ethernet autoconnect yes ifname enp59s16f3 connection.uuid 6db0d718-a5d3-5fbe-9c37-f2d8c80f66ae
nmcli connection modify enp59s16f3 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore ethernet.mac-address ''

# enp59s16f5: VF 2 of eno2 (0000:3b:10.5), no host IP
nmcli connection show enp59s16f5 >/dev/null 2>&1 ||
  nmcli connection add con-name enp59s16f5 type ethernet autoconnect yes ifname enp59s16f5 connection.uuid 742d7712-092e-542d-ae1d-87641b4b5fd6
nmcli connection modify enp59s16f5 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore ethernet.mac-address ''

# enp59s16f7: VF 3 of eno2 (0000:3b:10.7), no host IP
nmcli connection show enp59s16f7 >/dev/null 2>&1 ||
  nmcli connection add con-name enp59s16f7 type ethernet autoconnect yes ifname enp59s16f7 connection.uuid 477b8e12-0b79-5789-b515-c34dc65e31da
nmcli connection modify enp59s16f7 ethernet.mtu 9216 ipv4.method disabled ipv6.method ignore ethernet.mac-address ''

# Activate: bridges, their ports, then the PFs (this creates the VFs), then the VFs.
nmcli connection up br1
nmcli connection up eno5
nmcli connection up eno2
udevadm settle
# A VF that a running VM holds has no netdev on the host: that is not an error.
nmcli connection up enp59s16f1 || echo 'enp59s16f1: not activated (VF in use by a VM, or not created)' >&2
nmcli connection up enp59s16f3 || echo 'enp59s16f3: not activated (VF in use by a VM, or not created)' >&2
nmcli connection up enp59s16f5 || echo 'enp59s16f5: not activated (VF in use by a VM, or not created)' >&2
nmcli connection up enp59s16f7 || echo 'enp59s16f7: not activated (VF in use by a VM, or not created)' >&2
# The management connection last: over SSH the session may pause while it is re-applied.
nmcli connection up eno1
if ping -c 3 -W 2 10.75.58.1; then
  # EL7: NetworkManager now owns the NICs; the legacy network service goes, as in the seed (4).
  if systemctl is-enabled network >/dev/null 2>&1; then
    systemctl stop network
    systemctl disable network
  fi
else
  echo 'gateway 10.75.58.1 does not answer through eno1: check the management connection; the legacy network service was left running' >&2
fi
ip link show dev eno2

# ==== 6. libvirt networks =============================================================================
echo "==> 6. libvirt networks"
# Any earlier definition is saved first; defining again changes only the persistent config.

# eno2_sriov_pool: sriov-pool of eno2
if virsh net-info eno2_sriov_pool >/dev/null 2>&1; then
  mkdir -p /var/lib/nfvhost/backup
  virsh net-dumpxml --inactive eno2_sriov_pool >"/var/lib/nfvhost/backup/network-eno2_sriov_pool.$(date +%Y%m%d%H%M%S).xml"
fi
virsh net-define libvirt/networks/eno2_sriov_pool.xml
if [ "$(virsh net-info eno2_sriov_pool | awk '$1 == "Active:" { print $2 }')" != yes ]; then virsh net-start eno2_sriov_pool; fi
virsh net-autostart eno2_sriov_pool

# net-br1: bridge on br1
if virsh net-info net-br1 >/dev/null 2>&1; then
  mkdir -p /var/lib/nfvhost/backup
  virsh net-dumpxml --inactive net-br1 >"/var/lib/nfvhost/backup/network-net-br1.$(date +%Y%m%d%H%M%S).xml"
fi
virsh net-define libvirt/networks/net-br1.xml
if [ "$(virsh net-info net-br1 | awk '$1 == "Active:" { print $2 }')" != yes ]; then virsh net-start net-br1; fi
virsh net-autostart net-br1

# ==== 7. Day-0 ISO images =============================================================================
echo "==> 7. Day-0 ISO images"
# The day-0 images hold password hashes and tokens: root-only, libvirt relabels them for QEMU.
install -D -m 0600 day0/csr1kv-1/csr1kv-1-day0.iso /var/lib/nfvhost/day0/csr1kv-1-day0.iso

# ==== 8. Virtual machines =============================================================================
echo "==> 8. Virtual machines"
# VMs start only once the kernel runs with the planned arguments (isolcpus, IOMMU, hugepages).
kernel_args_in_effect() {
  local arg cmdline
  cmdline=" $(cat /proc/cmdline) "
  for arg in hugepagesz=1G hugepages=32 default_hugepagesz=1G intel_iommu=on iommu=pt isolcpus=1-8,37-44; do
    case "$cmdline" in *" $arg "*) ;; *) echo "not in /proc/cmdline yet: $arg (reboot first)" >&2; return 1 ;; esac
  done
}

# csr1kv-1: 8 vCPU on CPUs 1-8, emulator on 37-44, 8 x 1G pages on node 0
if virsh dominfo csr1kv-1 >/dev/null 2>&1; then
  mkdir -p /var/lib/nfvhost/backup
  virsh dumpxml --inactive --security-info csr1kv-1 >"/var/lib/nfvhost/backup/domain-csr1kv-1.$(date +%Y%m%d%H%M%S).xml"
fi
install -d -m 0755 /var/lib/nfvhost/console
virsh define libvirt/domains/csr1kv-1.xml
virsh autostart csr1kv-1
if [ "$(virsh domstate csr1kv-1)" != running ] && kernel_args_in_effect; then
  virsh start csr1kv-1
fi
virsh vcpupin csr1kv-1

echo "==> done"
