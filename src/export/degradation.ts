/**
 * The degradation report: one stable line per guarantee of nfvhost's plan that the engine cannot
 * express, `PATH: nfvhost guarantees X; ENGINE gives Y; fix: Z`. Both engines share the
 * findings; only what the engine gives and the fix differ. Scripts may grep the lines: the kinds
 * and the wording's shape are part of the interface (docs/export.md).
 */
import type { Plan, VnfPlan } from "../plan/types.js";
import { formatCpuList } from "../util/cpulist.js";
import type { Degradation, DegradationKind, Engine, ExportHost, ExportInput } from "./types.js";

export const ENGINE_LABEL: Record<Engine, string> = { kubevirt: "KubeVirt", openstack: "OpenStack" };

export function formatDegradation(d: Degradation): string {
  return `${d.path}: nfvhost guarantees ${d.guarantees}; ${ENGINE_LABEL[d.engine]} gives ${d.gives}; fix: ${d.fix}`;
}

/** True when the plan gives the emulator threads CPUs of their own (not the housekeeping set). */
export function emulatorIsolated(plan: Plan, vnf: VnfPlan): boolean {
  const housekeeping = new Set(plan.host.cpu.housekeeping);
  return vnf.emulatorCpus.length > 0 && vnf.emulatorCpus.every((c) => !housekeeping.has(c));
}

/** vCPUs that own their CPUs: every policy but share. */
export function dedicatedCpus(vnf: VnfPlan): boolean {
  return vnf.threadPolicy !== "share";
}

/**
 * Guest CPU topology from the plan: one socket (one NUMA node); require/prefer put vCPU pairs on
 * sibling threads, so the guest sees them as threads of a core when the count allows.
 */
export function guestTopology(vnf: VnfPlan): { sockets: number; cores: number; threads: number } {
  const paired = (vnf.threadPolicy === "require" || vnf.threadPolicy === "prefer") && vnf.vcpus % 2 === 0;
  return paired
    ? { sockets: 1, cores: vnf.vcpus / 2, threads: 2 }
    : { sockets: 1, cores: vnf.vcpus, threads: 1 };
}

/** Prefixes paths with the host in a fleet, where the same `host.` path exists once per host. */
function hostPath(input: ExportInput, host: ExportHost, rest: string): string {
  return input.hosts.length > 1 ? `hosts.${host.name}.${rest}` : `host.${rest}`;
}

function pinsText(vnf: VnfPlan): string {
  const pins = vnf.vcpuPins.map((cpu, i) => `${i}->${cpu}`).join(",");
  const emu = vnf.emulatorCpus.length > 0 ? `, emulator threads on ${formatCpuList(vnf.emulatorCpus)}` : "";
  return `vCPU->host CPU ${pins}${emu} (node ${vnf.node})`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function pageText(kib: number): string {
  if (kib >= 1024 * 1024) return `${kib / (1024 * 1024)} GiB`;
  return kib >= 1024 ? `${kib / 1024} MiB` : `${kib} KiB`;
}

type Texts = Record<Engine, { gives: string; fix: string }>;

function line(
  engine: Engine,
  kind: DegradationKind,
  path: string,
  guarantees: string,
  texts: Texts,
): Degradation {
  return { kind, engine, path, guarantees, gives: texts[engine].gives, fix: texts[engine].fix };
}

function vnfLines(engine: Engine, vnf: VnfPlan): Degradation[] {
  const out: Degradation[] = [];
  const at = (rest: string) => `vnfs.${vnf.name}.${rest}`;
  const n = vnf.vcpus;
  if (vnf.lab) {
    out.push(
      line(engine, "lab-emulation", at("lab"), "this VNF runs emulated (TCG), the others under KVM", {
        kubevirt: {
          gives:
            "KVM for every VM unless the KubeVirt CR sets developerConfiguration.useEmulation, which is cluster-wide",
          fix: "run lab VNFs on a cluster (or nodes) meant for emulation, or with nfvhost on a lab host",
        },
        openstack: {
          gives: "KVM unless nova.conf [libvirt] virt_type=qemu, which is per compute host",
          fix: "put lab VNFs on a compute host with virt_type=qemu (a host aggregate for labs)",
        },
      }),
    );
  }
  const dedicated = dedicatedCpus(vnf);
  const hasVf = vnf.interfaces.some((i) => i.type === "sriov-pool" || i.type === "sriov-hostdev");
  if (vnf.boot) {
    out.push(
      line(engine, "direct-boot", at("boot"), `direct kernel boot from ${vnf.boot.kernel} on the host`, {
        kubevirt: {
          gives:
            "kernel boot only from a container image (domain.firmware.kernelBoot.container), never from a host path; exported booting from its disk",
          fix: "put the kernel and initrd in a container image and set firmware.kernelBoot, or install a boot loader in the image",
        },
        openstack: {
          gives:
            "kernel boot only from Glance images (kernel_id/ramdisk_id image properties), never from a host path; exported booting from its disk",
          fix: "upload the kernel and initrd to Glance and set the image's kernel_id and ramdisk_id, or install a boot loader in the image",
        },
      }),
    );
  }
  out.push(
    line(
      engine,
      "cpu-pinning",
      at("vcpus"),
      `exact host CPUs: ${pinsText(vnf)}`,
      dedicated
        ? {
            kubevirt: {
              gives: `${plural(n, "exclusive CPU")} of cpu.isolated that the kubelet's static CPU manager picks when the pod starts (ids unknown before)`,
              fix: "none in KubeVirt; if the exact CPU ids matter (a licence bound to cores, a measured layout), run this VNF with nfvhost apply",
            },
            openstack: {
              gives: `hw:cpu_policy=dedicated: ${plural(n, "pCPU")} of cpu_dedicated_set that the libvirt driver picks at boot (ids unknown before)`,
              fix: "none in Nova; if the exact CPU ids matter, run this VNF with nfvhost apply",
            },
          }
        : {
            kubevirt: {
              gives:
                "vCPUs floating over the node's shared CPU pool (no dedicatedCpuPlacement for thread-policy share)",
              fix: "use thread-policy isolate, require or prefer for dedicated CPUs",
            },
            openstack: {
              gives: "hw:cpu_policy=shared: vCPUs floating over cpu_shared_set",
              fix: "use thread-policy isolate, require or prefer for dedicated pCPUs",
            },
          },
    ),
  );
  if (vnf.threadPolicy === "isolate") {
    const cores = Math.ceil(n / 2);
    out.push(
      line(
        engine,
        "thread-isolate",
        at("thread-policy"),
        `isolate: ${n === 1 ? "the vCPU" : `each of the ${n} vCPUs`} alone on a core, emulator threads on ${n === 1 ? "its sibling thread" : "those cores' sibling threads"} (${formatCpuList(vnf.emulatorCpus)}): ${plural(n, "core")}, nothing else on them`,
        {
          kubevirt: {
            gives: `whole cores with full-pcpus-only but vCPUs in sibling pairs (${plural(cores, "core")} for ${plural(n, "vCPU")}) and isolateEmulatorThread takes 1-2 more CPUs (2 with the EmulatorThreadCompleteToEvenParity annotation)`,
            fix: "accept vCPU pairs on sibling threads plus 1-2 CPUs for the emulator (exported so), or run this VNF with nfvhost apply",
          },
          openstack: {
            gives:
              "hw:cpu_thread_policy=isolate only on hosts without SMT (HW_CPU_HYPERTHREADING absent); exported as require: vCPUs in sibling pairs, and hw:emulator_threads_policy=isolate takes 1 more pCPU",
            fix: "accept require (exported so), or disable SMT in the BIOS of these compute hosts and set hw:cpu_thread_policy=isolate",
          },
        },
      ),
    );
  }
  out.push(
    line(
      engine,
      "numa-node",
      at("node"),
      `NUMA node ${vnf.node} for vCPUs, memory (strict, ${pageText(vnf.memory.pageSizeKiB)} pages)${hasVf ? " and VFs" : ""}`,
      {
        kubevirt: {
          gives:
            "one NUMA node for CPUs, hugepages and VFs (topologyManagerPolicy single-numa-node), the kubelet picks which",
          fix: "to force the node, reserve the other node's CPUs in cpu.reserved, or run this VNF with nfvhost apply",
        },
        openstack: {
          gives:
            "one NUMA cell (hw:numa_nodes=1, hw:pci_numa_affinity_policy=required), the libvirt driver picks which",
          fix: "to force the node, leave the other node's CPUs out of cpu_dedicated_set, or run this VNF with nfvhost apply",
        },
      },
    ),
  );
  for (const iface of vnf.interfaces) {
    if (iface.type !== "sriov-hostdev") continue;
    const vf = iface.vf;
    const res = `${vf.pf}#${vf.index}-${vf.index}`;
    out.push(
      line(
        engine,
        "exact-vf",
        at(`interfaces[${iface.index}].pf`),
        `VF ${vf.index} of ${vf.pf} (${vf.pci})`,
        {
          kubevirt: {
            gives: `any free VF of the PF's resource (${resourceName(vf.pf)})`,
            fix: `give that VF a policy of its own: nicSelector.pfNames ["${res}"] with its own resourceName`,
          },
          openstack: {
            gives: `any free VF of physnet ${physnet(vf.pf)} on the chosen NUMA node`,
            fix: `give that VF a physnet of its own: [pci] device_spec {"address": "${vf.pci}", "physical_network": "..."}`,
          },
        },
      ),
    );
  }
  if (engine === "kubevirt" && !vnf.lab) {
    out.push(
      line(engine, "locked-memory", at("memory"), "guest memory locked in RAM (<locked/>), never swapped", {
        kubevirt: {
          gives:
            "no <locked/> setting; memory of VMs with SR-IOV VFs is pinned by VFIO, other VMs' memory is not locked",
          fix: "hugepages (exported) are never swapped; for the rest no KubeVirt setting exists",
        },
        openstack: { gives: "", fix: "" },
      }),
    );
  }
  return out;
}

/** The Kubernetes extended resource name of a PF's VFs (SriovNetworkNodePolicy.resourceName). */
export function resourceName(pf: string): string {
  return `nfvhost_${pf.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** The Neutron physical network of a PF's VFs (nova.conf [pci] device_spec, Neutron sriov agent). */
export function physnet(pf: string): string {
  return `physnet_${pf.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function hostLines(engine: Engine, input: ExportInput, host: ExportHost): Degradation[] {
  const out: Degradation[] = [];
  const plan = host.plan;
  const at = (rest: string) => hostPath(input, host, rest);
  const usedPfs = new Set(
    plan.vnfs.flatMap((v) =>
      v.interfaces.flatMap((i) => (i.type === "sriov-hostdev" || i.type === "sriov-pool" ? [i.vf.pf] : [])),
    ),
  );
  for (const pf of plan.host.sriov) {
    // nfvhost sets every VF's admin MAC (the topology's, else a stable generated one).
    if (pf.vfs.length > 0) {
      out.push(
        line(
          engine,
          "vf-admin-mac",
          at(`sriov.${pf.pf}.macs`),
          `admin MACs of ${pf.pf}'s VFs: ${pf.vfs.map((vf) => `VF ${vf.index} ${vf.mac}`).join(", ")}`,
          {
            kubevirt: {
              gives:
                "no admin MAC per VF: the SR-IOV CNI sets a VF's MAC to the VM interface's macAddress when it attaches",
              fix: "put the MAC the guest must see on the VM interface (exported where the topology names one); set unused VFs' admin MACs outside Kubernetes",
            },
            openstack: {
              gives: "no admin MAC per VF: Neutron sets a VF's MAC to the port's mac_address when it binds",
              fix: "put the MAC the guest must see on the port (exported where the topology names one); set unused VFs' admin MACs outside Nova",
            },
          },
        ),
      );
    }
    if (pf.vlanLimit !== null && pf.vlansUsed > 0 && usedPfs.has(pf.pf)) {
      out.push(
        line(
          engine,
          "vlan-budget",
          at(`sriov.${pf.pf}`),
          `at most ${pf.vlanLimit} VLANs on ${pf.pf} (${pf.driver ?? "driver"} limit), checked when planning; this plan uses ${pf.vlansUsed}`,
          {
            kubevirt: {
              gives: "no VLAN count per PF: a VM past the driver's limit fails when its VF is configured",
              fix: `keep the VLANs on ${pf.pf} (SriovNetwork vlan + guest dot1q tags) at ${pf.vlanLimit} or fewer; re-run nfvhost plan when they change`,
            },
            openstack: {
              gives:
                "no VLAN count per PF: a port past the driver's limit fails when the sriov agent configures its VF",
              fix: `keep the VLANs on ${pf.pf} (networks + guest dot1q tags) at ${pf.vlanLimit} or fewer; re-run nfvhost plan when they change`,
            },
          },
        ),
      );
    }
  }
  const tuning = unmanagedTuning(engine, host);
  for (const t of tuning) {
    out.push(
      line(engine, "host-tuning", at(t.path), t.what, {
        kubevirt: {
          gives: "nothing: neither the PerformanceProfile nor the SR-IOV operator manages it",
          fix: `apply it on the node yourself (a MachineConfig on OpenShift, your node provisioning elsewhere), e.g. from nfvhost render's host files`,
        },
        openstack: {
          gives: "nothing: Nova and Neutron do not tune the compute host",
          fix: `apply it with your deployment tooling (kolla-ansible, OpenStack-Ansible), e.g. from ${t.file}`,
        },
      }),
    );
  }
  return out;
}

interface Unmanaged {
  path: string;
  what: string;
  /** Where the export writes it for the operator (OpenStack). */
  file: string;
}

function unmanagedTuning(engine: Engine, host: ExportHost): Unmanaged[] {
  const plan = host.plan;
  const h = plan.host;
  const out: Unmanaged[] = [];
  if (engine === "openstack") {
    out.push({
      path: "cpus",
      what: `kernel arguments ${h.kernelArgs.line}`,
      file: `hosts/${host.name}/kernel-args.txt`,
    });
    out.push({
      path: "hugepages",
      what: `hugepages reserved per node: ${h.hugepages.map((r) => `node ${r.node} ${r.reserve} x ${pageText(r.sizeKiB)}`).join(", ")}`,
      file: `hosts/${host.name}/kernel-args.txt`,
    });
    for (const pf of h.sriov) {
      out.push({
        path: `sriov.${pf.pf}.vfs`,
        what: `${pf.numVfs} VFs on ${pf.pf}${pf.mtu !== undefined ? `, MTU ${pf.mtu}` : ""}`,
        file: `hosts/${host.name}/sriov-vfs.txt`,
      });
    }
  }
  for (const [k, v] of Object.entries(h.sysctl)) {
    out.push({ path: `sysctl.${k}`, what: `sysctl ${k}=${v}`, file: "nfvhost render's host/sysctl file" });
  }
  for (const b of h.bridges) {
    out.push({
      path: `bridges.${b.name}`,
      what: `Linux bridge ${b.name} with ports ${b.ports.join(",") || "(none)"}${b.mtu !== undefined ? `, MTU ${b.mtu}` : ""}`,
      file: "nfvhost render's network-manager files",
    });
  }
  if (h.management) {
    out.push({
      path: "management",
      what: `management address ${h.management.address} on ${h.management.interface}`,
      file: "nfvhost render's network-manager files",
    });
  }
  if (h.selinux !== "keep")
    out.push({ path: "selinux", what: `SELinux ${h.selinux}`, file: "nfvhost render's host files" });
  if (h.firewalld !== "keep")
    out.push({ path: "firewalld", what: `firewalld ${h.firewalld}`, file: "nfvhost render's host files" });
  if (h.thp !== "keep")
    out.push({ path: "thp", what: `transparent hugepages ${h.thp}`, file: "nfvhost render's host files" });
  return out;
}

/** Every lost guarantee of the deployment on one engine, host lines first, then VNFs by name. */
export function degradations(engine: Engine, input: ExportInput): Degradation[] {
  const out: Degradation[] = [];
  for (const host of input.hosts) {
    out.push(...hostLines(engine, input, host));
    for (const vnf of [...host.plan.vnfs].sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(...vnfLines(engine, vnf));
    }
  }
  return out;
}
