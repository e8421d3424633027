#!/bin/bash
set -euo pipefail
# Kernel parameters (seed (2): /etc/sysctl.conf)
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - sysctl file /etc/sysctl.d/90-nfvhost.conf (values already in force)
cd "$(dirname "$0")/.."

install -m 0644 host/sysctl.d/90-nfvhost.conf /etc/sysctl.d/90-nfvhost.conf
sysctl --system
sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.bridge.bridge-nf-call-arptables
