#!/bin/bash
set -euo pipefail
# NetworkManager connections
# Rendered by nfvhost for topology seed-csr1kv; out/apply.sh runs the same commands in order.
#   - NetworkManager br1: Linux bridge br1, no host IP, MTU 9216
#   - NetworkManager eno1: management NIC, static 10.75.58.43/24
#   - NetworkManager eno2: SR-IOV PF, 4 VFs, no host IP, MTU 9216
#   - NetworkManager eno5: port of bridge br1, MTU 9216
#   - NetworkManager enp59s16f1: VF 0 of eno2 (0000:3b:10.1), no host IP, MTU 9216
#   - NetworkManager enp59s16f3: VF 1 of eno2 (0000:3b:10.3), no host IP, MTU 9216
#   - NetworkManager enp59s16f5: VF 2 of eno2 (0000:3b:10.5), no host IP, MTU 9216
#   - NetworkManager enp59s16f7: VF 3 of eno2 (0000:3b:10.7), no host IP, MTU 9216
cd "$(dirname "$0")/.."

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
