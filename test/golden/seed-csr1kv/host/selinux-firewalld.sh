#!/bin/bash
set -euo pipefail
# SELinux and firewalld (seed (2))
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
cd "$(dirname "$0")/.."

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
