/**
 * `nfvhost export openstack`: per VNF a Nova flavor (the pinning, pages and NUMA extra specs), a
 * Neutron port per interface and a server with a config drive carrying the day-0 file, as one
 * Heat template (OS::Nova::Flavor, OS::Neutron::Port, OS::Nova::Server) or as `openstack` CLI
 * commands built from the same typed resources; plus per host the nova.conf, sriov-agent and
 * kernel-argument snippets Nova needs but does not set itself.
 */
import { basename } from "node:path";
import { stringify } from "yaml";
import type { InterfacePlan, Plan, VnfPlan } from "../plan/types.js";
import { renderDay0 } from "../render/day0/index.js";
import { MODE_FILE, MODE_SCRIPT, MODE_SECRET, type RenderedFile } from "../render/types.js";
import { formatCpuList } from "../util/cpulist.js";
import { displayCommand } from "../util/exec.js";
import { dedicatedCpus, degradations, emulatorIsolated, guestTopology, physnet } from "./degradation.js";
import type { ExportHost, ExportInput, ExportResult } from "./types.js";

export type OpenstackFormat = "heat" | "cli";

export interface OpenstackOptions {
  format: OpenstackFormat;
  /** availability_zone nova:HOST, the host nfvhost planned the VNF on (admin only in Nova). */
  pinHost: boolean;
  /** Root disk of each flavor in GB (the image's virtual size must fit). */
  diskGb: number;
}

export const OPENSTACK_DEFAULTS: OpenstackOptions = { format: "heat", pinHost: false, diskGb: 16 };

/** Heat's newest HOT version in the Debian 12 python3-heat (19.0.0, Zed). */
export const HOT_VERSION = "2021-04-16";

export interface FlavorProps {
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  is_public: boolean;
  extra_specs: Record<string, string>;
}

export interface PortProps {
  name: string;
  network: { get_param: string };
  "binding:vnic_type": "direct" | "normal";
  mac_address: string;
  port_security_enabled?: boolean;
  /** Neutron's binding:profile: Heat's Port has no property for it, value_specs passes it through. */
  value_specs?: { "binding:profile": { trusted: boolean } };
}

export interface ServerProps {
  name: string;
  flavor: { get_resource: string };
  image: { get_param: string };
  networks: { port: { get_resource: string } }[];
  config_drive: boolean;
  personality?: Record<string, { get_file: string }>;
  availability_zone?: string;
  metadata: Record<string, string>;
}

export type HotResource =
  | { type: "OS::Nova::Flavor"; properties: FlavorProps }
  | { type: "OS::Neutron::Port"; properties: PortProps }
  | { type: "OS::Nova::Server"; properties: ServerProps; depends_on?: string[] };

export interface HotParameter {
  type: "string";
  description: string;
  default?: string;
}

export interface HotTemplate {
  heat_template_version: string;
  description: string;
  parameters: Record<string, HotParameter>;
  resources: Record<string, HotResource>;
  outputs: Record<string, { description: string; value: { get_attr: [string, string] } }>;
}

function ident(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, "_");
}

/** nova's hw:mem_page_size value: 1GB, 2MB, or small for 4 KiB pages. */
function memPageSize(kib: number): string {
  if (kib <= 4) return "small";
  return kib % (1024 * 1024) === 0 ? `${kib / (1024 * 1024)}GB` : `${kib / 1024}MB`;
}

/**
 * The flavor's extra specs. isolate on an SMT host maps to require: Nova's isolate admits only
 * hosts without SMT (the degradation report says so).
 */
export function extraSpecs(vnf: VnfPlan, plan: Plan, smt: boolean): Record<string, string> {
  const topo = guestTopology(vnf);
  const specs: Record<string, string> = {};
  if (dedicatedCpus(vnf)) {
    specs["hw:cpu_policy"] = "dedicated";
    const policy = vnf.threadPolicy === "isolate" ? (smt ? "require" : "isolate") : vnf.threadPolicy;
    specs["hw:cpu_thread_policy"] = policy;
    // require/prefer keep the emulator on housekeeping CPUs: Nova's cpu_shared_set is exactly those.
    specs["hw:emulator_threads_policy"] = emulatorIsolated(plan, vnf) ? "isolate" : "share";
  } else {
    specs["hw:cpu_policy"] = "shared";
  }
  specs["hw:cpu_sockets"] = String(topo.sockets);
  specs["hw:cpu_cores"] = String(topo.cores);
  specs["hw:cpu_threads"] = String(topo.threads);
  specs["hw:mem_page_size"] = memPageSize(vnf.memory.pageSizeKiB);
  specs["hw:numa_nodes"] = "1";
  specs["hw:pci_numa_affinity_policy"] = "required";
  if (!vnf.lab) specs["hw:locked_memory"] = "true";
  return specs;
}

/** The Neutron network a port goes on, as a template parameter. */
function networkParam(iface: InterfacePlan, plan: Plan): { name: string; description: string } {
  switch (iface.type) {
    case "sriov-pool":
    case "sriov-hostdev": {
      const vlan = iface.vf.vlan;
      return {
        name: `net_${ident(iface.vf.pf)}_vlan${vlan ?? 0}`,
        description: `Neutron network on ${physnet(iface.vf.pf)} (${iface.vf.pf}'s VFs), ${vlan === undefined ? "flat" : `VLAN ${vlan}`}`,
      };
    }
    case "bridge":
      return {
        name: `net_bridge_${ident(iface.bridge)}`,
        description: `Neutron network bridged to ${iface.bridge} on the host`,
      };
    case "macvtap":
      return {
        name: `net_macvtap_${ident(iface.dev)}`,
        description: `Neutron network of the macvtap agent on ${iface.dev}`,
      };
    case "network": {
      const net = plan.networks.find((n) => n.name === iface.network);
      return {
        name: `net_${ident(iface.network)}`,
        description: `Neutron network for ${iface.network} (${net?.type ?? "network"} on the host)`,
      };
    }
  }
}

function portProps(vnf: VnfPlan, iface: InterfacePlan, param: string): PortProps {
  const sriov = iface.type === "sriov-pool" || iface.type === "sriov-hostdev";
  return {
    name: `${vnf.name}-${iface.guestName}`,
    network: { get_param: param },
    "binding:vnic_type": sriov ? "direct" : "normal",
    mac_address: iface.mac,
    ...(sriov ? { port_security_enabled: iface.vf.spoofchk } : {}),
    ...(sriov && iface.vf.trust ? { value_specs: { "binding:profile": { trusted: true } } } : {}),
  };
}

interface Day0File {
  /** Name on the config drive (what CVAC / the SD-WAN bootstrap look for). */
  name: string;
  path: string;
  content: string;
}

function day0File(vnf: VnfPlan, input: ExportInput): Day0File | null {
  const out = renderDay0(vnf, input.env, input.saltSeed);
  if (!out) return null;
  const main = out.files.find((f) => f.path === out.iso.files[0])!;
  return { name: basename(main.path), path: main.path, content: main.content };
}

export interface OpenstackModel {
  template: HotTemplate;
  day0: Day0File[];
}

export function buildOpenstack(input: ExportInput, opts: OpenstackOptions): OpenstackModel {
  const parameters: Record<string, HotParameter> = {};
  const resources: Record<string, HotResource> = {};
  const outputs: HotTemplate["outputs"] = {};
  const day0: Day0File[] = [];
  for (const host of input.hosts) {
    for (const vnf of [...host.plan.vnfs].sort((a, b) => a.name.localeCompare(b.name))) {
      const id = ident(vnf.name);
      resources[`${id}_flavor`] = {
        type: "OS::Nova::Flavor",
        properties: {
          name: `nfv.${vnf.name}`,
          vcpus: vnf.vcpus,
          ram: vnf.memory.KiB / 1024,
          disk: opts.diskGb,
          is_public: false,
          extra_specs: extraSpecs(vnf, host.plan, host.facts.cpu.smt),
        },
      };
      const ports: string[] = [];
      for (const iface of vnf.interfaces) {
        const p = networkParam(iface, host.plan);
        parameters[p.name] = { type: "string", description: p.description };
        const rid = `${id}_port${iface.index + 1}`;
        resources[rid] = { type: "OS::Neutron::Port", properties: portProps(vnf, iface, p.name) };
        ports.push(rid);
      }
      const imageParam = `image_${id}`;
      parameters[imageParam] = {
        type: "string",
        description: `Glance image of ${vnf.name} (uploaded from ${vnf.image})`,
        default: basename(vnf.image).replace(/\.qcow2$/, ""),
      };
      const d0 = day0File(vnf, input);
      if (d0) day0.push(d0);
      resources[`${id}_server`] = {
        type: "OS::Nova::Server",
        properties: {
          name: vnf.name,
          flavor: { get_resource: `${id}_flavor` },
          image: { get_param: imageParam },
          networks: ports.map((p) => ({ port: { get_resource: p } })),
          config_drive: true,
          ...(d0 ? { personality: { [d0.name]: { get_file: d0.path } } } : {}),
          ...(opts.pinHost ? { availability_zone: `nova:${host.name}` } : {}),
          metadata: {
            "nfvhost.planned-host": host.name,
            "nfvhost.planned-node": String(vnf.node),
            "nfvhost.planned-cpus": formatCpuList(vnf.vcpuPins),
          },
        },
      };
      outputs[`${id}_id`] = {
        description: `${vnf.name} server id`,
        value: { get_attr: [`${id}_server`, "show"] },
      };
    }
  }
  return {
    template: {
      heat_template_version: HOT_VERSION,
      description: `nfvhost export of ${input.name}: flavors, SR-IOV ports and servers as nfvhost planned them`,
      parameters: Object.fromEntries(Object.entries(parameters).sort(([a], [b]) => a.localeCompare(b))),
      resources,
      outputs,
    },
    day0,
  };
}

/** A shell word: a literal (quoted) or a required environment variable. */
type Word = string | { env: string; hint: string };

function shellLine(words: Word[]): string {
  return words
    .map((w) =>
      typeof w === "string" ? displayCommand(w, []) : `"\${${w.env}:?${w.hint.replace(/["$`\\}']/g, "")}}"`,
    )
    .join(" ");
}

function paramWord(name: string, p: HotParameter): Word {
  return p.default !== undefined
    ? p.default
    : { env: name.toUpperCase(), hint: `set ${name.toUpperCase()}: ${p.description}` };
}

/** The same resources as `openstack` CLI commands (python-openstackclient). */
export function cliScript(model: OpenstackModel): string {
  const t = model.template;
  const lines = [
    "#!/bin/sh",
    "# nfvhost export: the Heat template's resources as openstack CLI commands, in dependency order.",
    "# Network and image names come from the environment (the variable names say which).",
    "# --file needs compute API microversion 2.56 or lower (personality was removed in 2.57).",
    "set -eu",
    "# --file paths are relative to this directory, as the Heat template's get_file paths are.",
    'cd "$(dirname "$0")"',
  ];
  const param = (ref: { get_param: string }) => paramWord(ref.get_param, t.parameters[ref.get_param]!);
  for (const [, r] of Object.entries(t.resources)) {
    if (r.type === "OS::Nova::Flavor") {
      const p = r.properties;
      lines.push(
        shellLine([
          "openstack",
          "flavor",
          "create",
          "--private",
          "--vcpus",
          String(p.vcpus),
          "--ram",
          String(p.ram),
          "--disk",
          String(p.disk),
          ...Object.entries(p.extra_specs).flatMap(([k, v]) => ["--property", `${k}=${v}`]),
          p.name,
        ]),
      );
    }
  }
  for (const [, r] of Object.entries(t.resources)) {
    if (r.type === "OS::Neutron::Port") {
      const p = r.properties;
      lines.push(
        shellLine([
          "openstack",
          "port",
          "create",
          "--network",
          param(p.network),
          "--vnic-type",
          p["binding:vnic_type"],
          "--mac-address",
          p.mac_address,
          ...(p.port_security_enabled === false
            ? ["--disable-port-security"]
            : p.port_security_enabled
              ? ["--enable-port-security"]
              : []),
          ...(p.value_specs ? ["--binding-profile", "trusted=true"] : []),
          p.name,
        ]),
      );
    }
  }
  for (const [, r] of Object.entries(t.resources)) {
    if (r.type === "OS::Nova::Server") {
      const p = r.properties;
      const flavor = t.resources[p.flavor.get_resource];
      const portName = (rid: string) => {
        const port = t.resources[rid];
        return port?.type === "OS::Neutron::Port" ? port.properties.name : rid;
      };
      lines.push(
        shellLine([
          "openstack",
          "--os-compute-api-version",
          "2.56",
          "server",
          "create",
          "--flavor",
          flavor?.type === "OS::Nova::Flavor" ? flavor.properties.name : p.flavor.get_resource,
          "--image",
          param(p.image),
          ...p.networks.flatMap((n) => ["--port", portName(n.port.get_resource)]),
          "--config-drive",
          "true",
          ...Object.entries(p.personality ?? {}).flatMap(([name, f]) => ["--file", `${name}=${f.get_file}`]),
          ...(p.availability_zone ? ["--availability-zone", p.availability_zone] : []),
          ...Object.entries(p.metadata).flatMap(([k, v]) => ["--property", `${k}=${v}`]),
          p.name,
        ]),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** nova.conf and the SR-IOV agent's settings for one compute host, from its plan. */
function hostFiles(host: ExportHost, dir: string): RenderedFile[] {
  const plan = host.plan;
  const specs = plan.host.sriov.map((pf) =>
    JSON.stringify({
      devname: pf.pf,
      physical_network: physnet(pf.pf),
      // Trusted ports (binding:profile trusted) bind only to VFs Nova was told may be trusted.
      ...(pf.vfs.some((v) => v.trust) ? { trusted: "true" } : {}),
    }),
  );
  const nova = [
    `# nova.conf on compute host ${host.name} (nfvhost plan of ${plan.topology}): merge into the existing file.`,
    "[compute]",
    "# Isolated CPUs for pinned guests; housekeeping CPUs for the host and emulator threads (hw:emulator_threads_policy=share).",
    `cpu_dedicated_set = ${formatCpuList(plan.host.cpu.isolated)}`,
    `cpu_shared_set = ${formatCpuList(plan.host.cpu.housekeeping)}`,
    "",
    "[pci]",
    ...specs.map((s) => `device_spec = ${s}`),
    "",
  ];
  const agent = [
    `# /etc/neutron/plugins/ml2/sriov_agent.ini on ${host.name}`,
    "[sriov_nic]",
    `physical_device_mappings = ${plan.host.sriov.map((pf) => `${physnet(pf.pf)}:${pf.pf}`).join(",")}`,
    "",
  ];
  const kernel = [
    `# Kernel command line of ${host.name} (nfvhost plan); Nova does not set it. Append, then reboot:`,
    plan.host.kernelArgs.line,
    "",
    "# Hugepages per NUMA node after boot (runtime reservation):",
    ...plan.host.hugepages.map((r) => `echo ${r.reserve} > ${r.sysfsPath}`),
    "",
  ];
  const vfs = [
    `# SR-IOV VFs on ${host.name}; Nova and Neutron expect them to exist:`,
    ...plan.host.sriov.flatMap((pf) => [
      `echo ${pf.numVfs} > /sys/class/net/${pf.pf}/device/sriov_numvfs`,
      ...(pf.mtu !== undefined ? [`ip link set dev ${pf.pf} mtu ${pf.mtu}`] : []),
    ]),
    "",
  ];
  const out: RenderedFile[] = [
    {
      path: `${dir}/nova.conf`,
      content: nova.join("\n"),
      mode: MODE_FILE,
      description: `${host.name}: nova.conf [compute] and [pci] settings`,
    },
    {
      path: `${dir}/kernel-args.txt`,
      content: kernel.join("\n"),
      mode: MODE_FILE,
      description: `${host.name}: kernel arguments and hugepage reservation`,
    },
  ];
  if (plan.host.sriov.length > 0) {
    out.push(
      {
        path: `${dir}/sriov_agent.ini`,
        content: agent.join("\n"),
        mode: MODE_FILE,
        description: `${host.name}: Neutron SR-IOV agent physnet mapping`,
      },
      {
        path: `${dir}/sriov-vfs.txt`,
        content: vfs.join("\n"),
        mode: MODE_FILE,
        description: `${host.name}: VF creation Nova expects done`,
      },
    );
  }
  return out;
}

export const OPENSTACK_DIR = "openstack";
export const HEAT_FILE = `${OPENSTACK_DIR}/stack.yaml`;

/** The files a template's get_file may read: paths relative to the template's directory. */
export function templateFiles(files: readonly RenderedFile[]): Record<string, string> {
  const prefix = `${OPENSTACK_DIR}/`;
  return Object.fromEntries(
    files.filter((f) => f.path.startsWith(prefix)).map((f) => [f.path.slice(prefix.length), f.content]),
  );
}

export function exportOpenstack(input: ExportInput, opts: OpenstackOptions): ExportResult {
  const model = buildOpenstack(input, opts);
  const files: RenderedFile[] = [];
  const templateText = stringify(model.template, { lineWidth: 0 });
  if (opts.format === "heat") {
    files.push({
      path: HEAT_FILE,
      content: templateText,
      mode: MODE_FILE,
      description: "Heat template: flavors, ports, servers",
    });
  } else {
    files.push({
      path: `${OPENSTACK_DIR}/deploy.sh`,
      content: cliScript(model),
      mode: MODE_SCRIPT,
      description: "openstack CLI commands: flavors, ports, servers",
    });
  }
  for (const d of model.day0) {
    files.push({
      // Next to the template and the script: Heat's get_file and the CLI's --file read it from there.
      path: `${OPENSTACK_DIR}/${d.path}`,
      content: d.content,
      mode: MODE_SECRET,
      description: `day-0 file, injected on the config drive as ${d.name}`,
    });
  }
  for (const host of input.hosts) files.push(...hostFiles(host, `hosts/${host.name}`));
  const notes = [
    "Day-0 files go onto the config drive as personality files: Nova compute API microversion 2.56 or lower (Heat: max_nova_api_microversion < 2.57).",
    "Networks are template parameters: create them on the physnets of hosts/*/nova.conf ([pci] device_spec) with the VLAN the parameter names.",
    "Trusted VFs (binding:profile trusted) need Neutron's admin policy for binding:profile and device_spec trusted=true.",
  ];
  return { engine: "openstack", files, degradations: degradations("openstack", input), notes };
}

/** The Heat template as text, whichever format was written (the check always reads one). */
export function heatTemplateText(input: ExportInput, opts: OpenstackOptions): string {
  return stringify(buildOpenstack(input, opts).template, { lineWidth: 0 });
}
