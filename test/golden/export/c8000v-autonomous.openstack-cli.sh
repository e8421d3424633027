#!/bin/sh
# nfvhost export: the Heat template's resources as openstack CLI commands, in dependency order.
# Network and image names come from the environment (the variable names say which).
# --file needs compute API microversion 2.56 or lower (personality was removed in 2.57).
set -eu
# --file paths are relative to this directory, as the Heat template's get_file paths are.
cd "$(dirname "$0")"
openstack flavor create --private --vcpus 4 --ram 8192 --disk 16 --property hw:cpu_policy=dedicated --property hw:cpu_thread_policy=prefer --property hw:emulator_threads_policy=share --property hw:cpu_sockets=1 --property hw:cpu_cores=2 --property hw:cpu_threads=2 --property hw:mem_page_size=1GB --property hw:numa_nodes=1 --property hw:pci_numa_affinity_policy=required --property hw:locked_memory=true nfv.c8kv-1
openstack port create --network "${NET_BRIDGE_BR_MGMT:?set NET_BRIDGE_BR_MGMT: Neutron network bridged to br-mgmt on the host}" --vnic-type normal --mac-address 52:54:00:8c:00:01 c8kv-1-GigabitEthernet1
openstack port create --network "${NET_MACVTAP_ENO6:?set NET_MACVTAP_ENO6: Neutron network of the macvtap agent on eno6}" --vnic-type normal --mac-address 52:54:00:8c:00:02 c8kv-1-GigabitEthernet2
openstack --os-compute-api-version 2.56 server create --flavor nfv.c8kv-1 --image c8000v-universalk9_8G_serial.17.09.04a --port c8kv-1-GigabitEthernet1 --port c8kv-1-GigabitEthernet2 --config-drive true --file iosxe_config.txt=day0/c8kv-1/iosxe_config.txt --property nfvhost.planned-host=c8000v-autonomous --property nfvhost.planned-node=0 --property nfvhost.planned-cpus=1-2,37-38 c8kv-1
