#!/bin/bash
set -euo pipefail
# Day-0 ISO images
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - day-0 image for csr1kv-1: /var/lib/nfvhost/day0/csr1kv-1-day0.iso
cd "$(dirname "$0")/.."

# The day-0 images hold password hashes and tokens: root-only, libvirt relabels them for QEMU.
install -D -m 0600 day0/csr1kv-1/csr1kv-1-day0.iso /var/lib/nfvhost/day0/csr1kv-1-day0.iso
