#!/bin/bash
set -euo pipefail
# libvirt networks
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - libvirt network eno2_sriov_pool (sriov-pool) defined, started, autostarted
#   - libvirt network net-br1 (bridge) defined, started, autostarted
cd "$(dirname "$0")/.."

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
