#!/bin/bash
set -euo pipefail
# Virtual machines
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - VM csr1kv-1 defined, autostarted, started once the kernel runs with the planned arguments: 8 vCPU on CPUs 1-8, emulator on 37-44, 8 x 1G pages on node 0
cd "$(dirname "$0")/.."

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
