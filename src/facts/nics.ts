/**
 * PCI network functions from sysfs: plain NICs, SR-IOV PFs and their VFs. A netdev is matched to
 * its PCI function through the path its /sys/class/net link points into, which also covers
 * virtio (…/0000:00:03.0/virtio2/net/eth0) and functions without a netdev (VFs on vfio-pci).
 */
import type { HostReader } from "./reader.js";
import { readInt } from "./topology.js";
import type { NicFact, VfFact } from "./types.js";

export const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const PCI_DIR = "sys/bus/pci/devices";
const NET_DIR = "sys/class/net";

/** The PCI function a netdev link target lives under (the deepest PCI address in the path). */
export function pciOfNetdevTarget(target: string): string | null {
  const parts = target.split("/").filter((p) => PCI_ADDRESS.test(p));
  return parts.at(-1) ?? null;
}

/** Network class 0x02xxxx per the PCI code and ID assignment spec. */
export function isNetworkClass(pciClass: string): boolean {
  return /^0x02[0-9a-f]{4}$/i.test(pciClass.trim());
}

function netdevsByPci(r: HostReader): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of r.list(NET_DIR)) {
    const target = r.readLink(`${NET_DIR}/${name}`);
    if (target === null) continue;
    const pci = pciOfNetdevTarget(target);
    if (pci === null) continue; // virtual: lo, bridges, veth, tap
    out.set(pci, [...(out.get(pci) ?? []), name]);
  }
  return out;
}

function readNic(r: HostReader, pci: string, netdev: string | null): NicFact {
  const dev = `${PCI_DIR}/${pci}`;
  const nic: NicFact = {
    name: netdev,
    pci,
    driver: r.linkBasename(`${dev}/driver`),
    node: readInt(r, `${dev}/numa_node`, { optional: true }) ?? -1,
    vendor: r.readText(`${dev}/vendor`) ?? "",
    device: r.readText(`${dev}/device`) ?? "",
  };
  if (netdev !== null) {
    const net = `${NET_DIR}/${netdev}`;
    const mtu = readInt(r, `${net}/mtu`);
    if (mtu !== null) nic.mtu = mtu;
    const mac = r.readText(`${net}/address`);
    if (mac !== null) {
      if (/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(mac)) nic.mac = mac.toLowerCase();
      else r.garbage(`${net}/address`, mac, "a MAC address");
    }
    const operstate = r.readText(`${net}/operstate`, { optional: true });
    if (operstate !== null) nic.operstate = operstate;
  }
  const totalVfs = readInt(r, `${dev}/sriov_totalvfs`, { optional: true });
  if (totalVfs !== null) {
    const vfPcis = r
      .list(dev, /^virtfn\d+$/)
      .map((l) => ({ index: Number(l.slice("virtfn".length)), pci: r.linkBasename(`${dev}/${l}`) }))
      .filter((v): v is { index: number; pci: string } => v.pci !== null && PCI_ADDRESS.test(v.pci))
      .sort((a, b) => a.index - b.index);
    nic.sriov = {
      totalVfs,
      numVfs: readInt(r, `${dev}/sriov_numvfs`) ?? vfPcis.length,
      // Filled from the VFs' own entries once every function is read.
      vfs: vfPcis.map((v) => ({ index: v.index, pci: v.pci, name: null, mac: null, driver: null })),
    };
    // Routing-id offset/stride let the planner predict addresses of VFs not created yet.
    const offset = readInt(r, `${dev}/sriov_offset`, { optional: true });
    const stride = readInt(r, `${dev}/sriov_stride`, { optional: true });
    if (offset !== null) nic.sriov.offset = offset;
    if (stride !== null) nic.sriov.stride = stride;
  }
  const physfn = r.linkBasename(`${dev}/physfn`);
  if (physfn !== null) nic.physfn = physfn;
  return nic;
}

export function collectNics(r: HostReader): NicFact[] {
  const netdevs = netdevsByPci(r);
  const nics: NicFact[] = [];
  for (const pci of r.list(PCI_DIR, PCI_ADDRESS)) {
    const names = netdevs.get(pci) ?? [];
    const cls = r.readText(`${PCI_DIR}/${pci}/class`);
    if (names.length === 0 && (cls === null || !isNetworkClass(cls))) continue;
    // Several netdevs on one function (switchdev representors, multi-port): the first by name.
    nics.push(readNic(r, pci, names[0] ?? null));
  }
  const byPci = new Map(nics.map((n) => [n.pci, n]));
  for (const pf of nics) {
    if (!pf.sriov) continue;
    pf.sriov.vfs = pf.sriov.vfs.map((v): VfFact => {
      const own = byPci.get(v.pci) ?? readNic(r, v.pci, netdevs.get(v.pci)?.[0] ?? null);
      return {
        index: v.index,
        pci: v.pci,
        name: own.name,
        mac: own.mac ?? null,
        driver: own.driver,
        device: own.device,
      };
    });
  }
  // Plain code-unit order: PCI addresses are fixed-width lower-case hex, so this is numeric order.
  return nics.sort((a, b) => (a.pci < b.pci ? -1 : a.pci > b.pci ? 1 : 0));
}
