#!/bin/sh
# nfvhost export: the Heat template's resources as openstack CLI commands, in dependency order.
# Network and image names come from the environment (the variable names say which).
# --file needs compute API microversion 2.56 or lower (personality was removed in 2.57).
set -eu
# --file paths are relative to this directory, as the Heat template's get_file paths are.
cd "$(dirname "$0")"
openstack flavor create --private --vcpus 8 --ram 8192 --disk 16 --property hw:cpu_policy=dedicated --property hw:cpu_thread_policy=require --property hw:emulator_threads_policy=isolate --property hw:cpu_sockets=1 --property hw:cpu_cores=8 --property hw:cpu_threads=1 --property hw:mem_page_size=1GB --property hw:numa_nodes=1 --property hw:pci_numa_affinity_policy=required --property hw:locked_memory=true nfv.csr1kv-1
openstack port create --network "${NET_MACVTAP_ENO1:?set NET_MACVTAP_ENO1: Neutron network of the macvtap agent on eno1}" --vnic-type normal --mac-address 52:54:00:36:95:f0 csr1kv-1-GigabitEthernet1
openstack port create --network "${NET_ENO2_VLAN0:?set NET_ENO2_VLAN0: Neutron network on physnet_eno2 (eno2s VFs), flat}" --vnic-type direct --mac-address 52:54:00:2d:87:99 --enable-port-security --binding-profile trusted=true csr1kv-1-GigabitEthernet2
openstack --os-compute-api-version 2.56 server create --flavor nfv.csr1kv-1 --image csr1000v-universalk9.17.02.01v --port csr1kv-1-GigabitEthernet1 --port csr1kv-1-GigabitEthernet2 --config-drive true --file ciscosdwan_cloud_init.cfg=day0/csr1kv-1/ciscosdwan_cloud_init.cfg --property nfvhost.planned-host=seed-csr1kv --property nfvhost.planned-node=0 --property nfvhost.planned-cpus=1-8 csr1kv-1
