#!/bin/bash
set -euo pipefail
# Kernel parameters (seed (2): /etc/sysctl.conf)
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - sysctl file /etc/sysctl.d/90-nfvhost.conf (values already in force)
cd "$(dirname "$0")/.."

# net.bridge.* exist only while br_netfilter is loaded: load it now and at every boot (modules-load.d
# runs before systemd-sysctl), so that these keys apply instead of failing.
install -m 0644 host/modules-load.d/br_netfilter.conf /etc/modules-load.d/br_netfilter.conf
modprobe br_netfilter
install -m 0644 host/sysctl.d/90-nfvhost.conf /etc/sysctl.d/90-nfvhost.conf
sysctl --system
sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.bridge.bridge-nf-call-arptables
