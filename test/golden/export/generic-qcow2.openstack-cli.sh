#!/bin/sh
# nfvhost export: the Heat template's resources as openstack CLI commands, in dependency order.
# Network and image names come from the environment (the variable names say which).
# --file needs compute API microversion 2.56 or lower (personality was removed in 2.57).
set -eu
# --file paths are relative to this directory, as the Heat template's get_file paths are.
cd "$(dirname "$0")"
openstack flavor create --private --vcpus 3 --ram 3072 --disk 16 --property hw:cpu_policy=shared --property hw:cpu_sockets=1 --property hw:cpu_cores=3 --property hw:cpu_threads=1 --property hw:mem_page_size=2MB --property hw:numa_nodes=1 --property hw:pci_numa_affinity_policy=required --property hw:locked_memory=true nfv.fw-1
openstack flavor create --private --vcpus 1 --ram 128 --disk 16 --property hw:cpu_policy=dedicated --property hw:cpu_thread_policy=require --property hw:emulator_threads_policy=isolate --property hw:cpu_sockets=1 --property hw:cpu_cores=1 --property hw:cpu_threads=1 --property hw:mem_page_size=2MB --property hw:numa_nodes=1 --property hw:pci_numa_affinity_policy=required nfv.tiny-lab
openstack port create --network "${NET_BRIDGE_BR_LAN:?set NET_BRIDGE_BR_LAN: Neutron network bridged to br-lan on the host}" --vnic-type normal --mac-address b6:4f:8b:e0:be:39 fw-1-eth0
openstack port create --network "${NET_BRIDGE_BR_LAN:?set NET_BRIDGE_BR_LAN: Neutron network bridged to br-lan on the host}" --vnic-type normal --mac-address ee:6f:ab:61:fe:c5 fw-1-eth1
openstack port create --network "${NET_MACVTAP_ENO1:?set NET_MACVTAP_ENO1: Neutron network of the macvtap agent on eno1}" --vnic-type normal --mac-address 2a:d5:33:53:01:e3 tiny-lab-eth0
openstack --os-compute-api-version 2.56 server create --flavor nfv.fw-1 --image fw-1 --port fw-1-eth0 --port fw-1-eth1 --config-drive true --property nfvhost.planned-host=generic-qcow2 --property nfvhost.planned-node=0 --property nfvhost.planned-cpus=1-2,37 fw-1
openstack --os-compute-api-version 2.56 server create --flavor nfv.tiny-lab --image tiny-lab --port tiny-lab-eth0 --config-drive true --property nfvhost.planned-host=generic-qcow2 --property nfvhost.planned-node=0 --property nfvhost.planned-cpus=3 tiny-lab
