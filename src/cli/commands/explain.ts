/**
 * `nfvhost explain TOPIC`: the guide's appendix trade-offs with their numbers, where the topology
 * asks the engineer to choose (seed appendix; docs/reference/cisco-vrouter-facts.md; the kinds
 * registry for per-vendor drivers). Text pages, printed as they are; --json gives them as data.
 */
import type { Command } from "commander";
import { KINDS, VNF_KINDS } from "../../topology/kinds.js";
import { NfvError } from "../../util/errors.js";
import { didYouMean } from "../../util/suggest.js";
import { type CommandModule, printJson } from "../command.js";

function vfDriverTable(): string[] {
  return VNF_KINDS.filter((k) => k !== "generic").map(
    (k) =>
      `  ${k.padEnd(10)} ${KINDS[k].nicModels.join("/").padEnd(22)} ${KINDS[k].sriovVf ? KINDS[k].vfDrivers.join(", ") || "(not documented)" : "no SR-IOV"}`,
  );
}

export const PAGES: Readonly<Record<string, { title: string; body: () => string[] }>> = {
  "cpu-mode": {
    title: "Guest CPU mode (topology: cpu-mode, cpu-model)",
    body: () => [
      "host-passthrough (default, as the seed): the guest sees the host CPU as it is: every",
      "  instruction set extension (SSE4.2, AVX2, AVX-512, AES-NI), invariant TSC and the real cache",
      "  layout. Fastest for a DPDK data plane. A VM can only live-migrate to an identical CPU.",
      "host-model: libvirt picks the named model closest to the host and adds the host's features it",
      "  knows. Migratable between hosts of one CPU generation; features libvirt does not model are",
      "  missing (e.g. invtsc), so a router may fall back to slower code paths.",
      "custom + cpu-model (e.g. Skylake-Server-IBRS): exactly that model, same on every host: the",
      "  widest migration, the fewest features. C8000v needs at least SSE2, SSE3 and SSSE3 (its OVA's",
      "  InstructionSetExtensionName); check a named model has them.",
      "nfvhost warns in plan when a VNF is not host-passthrough. Under TCG (lab: true) the host CPU",
      "  cannot be passed through: nfvhost renders mode maximum (or the named model).",
    ],
  },
  "nic-model": {
    title: "vNIC models and the drivers the guest binds",
    body: () => [
      "virtio (virtio-net + vhost-net): paravirtual, the documented KVM choice for CSR 1000v and",
      "  C8000v; IOS-XE's data plane drives it with the DPDK PMD net_virtio. A few Gbit/s per vNIC,",
      "  CPU-bound on the host's vhost thread.",
      "vmxnet3: VMware's paravirtual NIC, emulated by QEMU; CML runs C8000v SD-WAN with it under KVM",
      "  (PMD net_vmxnet3). Slower than virtio under KVM.",
      "e1000/e1000e/rtl8139: fully emulated legacy NICs: ~1 Gbit/s at best, for images without",
      "  virtio drivers only.",
      "SR-IOV VF (type: sriov): the NIC's own virtual function, no host copy: line rate. The guest",
      "  binds the VF driver: IOS-XE net_ixgbe_vf (82599/X540/X550) or net_i40e_vf (X710/XL710);",
      "  Linux-based VNFs ixgbevf / iavf (i40evf). `nfvhost verify --guest` reads which one it got.",
      "Per kind (models; VF drivers):",
      ...vfDriverTable(),
    ],
  },
  macvtap: {
    title: "macvtap (type: macvtap) and its four modes",
    body: () => [
      "macvtap gives the guest its own MAC on a host NIC without a bridge (the seed: Gi1 on eno1).",
      "  bridge (default): guests on the same NIC reach each other inside the kernel; frames to",
      "    outside go out the NIC. The guest CANNOT reach its own host's addresses on that NIC: the",
      "    host's traffic does not pass through macvtap (put host<->guest traffic on a bridge or",
      "    a separate interface).",
      "  vepa: every frame goes out to the switch, even guest to guest; needs a switch with",
      "    reflective relay (802.1Qbg hairpin), else guests on one NIC cannot talk.",
      "  private: like vepa, but guests on one NIC never talk to each other, even via the switch.",
      "  passthrough: one guest takes the whole NIC (or VF) with its MAC and promiscuous mode; one",
      "    macvtap per NIC.",
      "Performance: one copy less than a Linux bridge, still the virtio/vhost path (not line rate).",
    ],
  },
  sriov: {
    title: "SR-IOV VFs: VLAN, MAC and trust limits per driver",
    body: () => [
      "A VF is a slice of the PF: line rate, but the PF driver polices what the VF may do.",
      "VLANs (host-set `vlan:` and guest-tagged `trunk-vlans:` both count; nfvhost plan checks):",
      "  ixgbe/ixgbevf (82599, X540, X550): 64 VLANs shared by all VFs of the PF (VLVF table;",
      "    older docs 32; Cisco's CSR guide: 64, 'limited to 63' in practice).",
      "  i40e/iavf (X710, XL710): 512 per PF in hardware, but an untrusted VF gets 16 (kernel",
      "    I40E_VC_MAX_VLAN_PER_VF; 8 before): set trust: true for more.",
      "  ice/iavf (E810): an untrusted VF gets 8 VLANs and 18 MACs; more needs trust.",
      "MACs: with an administrative MAC (`mac:`) and trust off, ixgbe refuses a MAC change and extra",
      "  unicast filters; HSRP/VRRP virtual MACs therefore need trust: true and usually spoofchk: false.",
      "Promiscuous: ixgbe downgrades an untrusted VF's unicast promiscuous to multicast.",
      "MTU: ixgbe/ixgbevf at most 9710; iavf 9702 on older kernels; the VF MTU must fit the PF's.",
    ],
  },
  hugepages: {
    title: "Hugepages (host.hugepages)",
    body: () => [
      "1G (default, as the seed): a 8 GiB router is 8 TLB entries; fewest TLB misses for the data",
      "  plane. 1G pages must be reserved at boot (hugepagesz=1G hugepages=N) or early: memory",
      "  fragments and a runtime reservation may get fewer pages than asked.",
      "2M: reservable at run time through sysfs (nr_hugepages per node), 512 pages per GiB; a few",
      "  per cent slower for TLB-heavy forwarding.",
      "Per node: nfvhost reserves pages on the NUMA node of the VNF's vCPUs (numatune strict), so",
      "  memory is never remote. Guest memory must be a whole number of pages.",
      "<locked/> keeps the pages from swapping and needs RLIMIT_MEMLOCK >= guest memory for QEMU;",
      "  apply says so and drops it where the host forbids it.",
    ],
  },
  isolcpus: {
    title: "CPU isolation (host.cpus)",
    body: () => [
      "isolcpus= removes CPUs from the scheduler's balancing: only pinned vCPUs run there (the seed",
      "  isolates 1-8,37-44: the cores of one VNF and their HT siblings). Needs a reboot.",
      "housekeeping-cores-per-node (default 1): whole cores kept for the host on every node: its",
      "  kernel threads, IRQs, libvirt, and the VNFs' emulator threads.",
      "thread-policy: isolate gives each vCPU a core and puts the emulator on the sibling threads;",
      "  prefer fills both threads of a core with vCPUs (half the cores, some per-vCPU throughput",
      "  lost to SMT); share lets share VNFs overlap.",
      "nohz-full: true adds nohz_full= and rcu_nocbs=: no scheduler tick on a CPU with one task,",
      "  fewer jitter spikes for DPDK poll loops; costs some syscall overhead.",
    ],
  },
};

export const explainCommand: CommandModule = {
  register(program: Command) {
    program
      .command("explain")
      .description(`the trade-offs behind a topology choice: ${Object.keys(PAGES).join(", ")}`)
      .argument("[topic]", "topic (none: list them)")
      .option("--json", "the page as { topic, title, lines }")
      .action((topic: string | undefined, o: Record<string, unknown>) => {
        if (topic === undefined) {
          for (const [k, p] of Object.entries(PAGES)) process.stdout.write(`${k.padEnd(10)} ${p.title}\n`);
          return;
        }
        const page = PAGES[topic];
        if (!page) {
          const near = didYouMean(topic, Object.keys(PAGES));
          throw new NfvError({
            what: "explain topic",
            value: topic,
            expected: `one of ${Object.keys(PAGES).join(", ")}`,
            ...(near ? { fix: `did you mean \`${near}\`?` } : {}),
          });
        }
        if (o.json) printJson({ topic, title: page.title, lines: page.body() });
        else process.stdout.write(`${page.title}\n\n${page.body().join("\n")}\n`);
      });
  },
};
