/**
 * JSON Schema (draft-07) of the topology file as written (kebab-case keys, sizes as text). The
 * loader validates with it; schema/topology.schema.json is this object exported for editors
 * (regenerate: npx tsx src/topology/write-schema.ts; a test keeps the two equal).
 * Formats named nfv-* are checked by the validators in ./values.ts and ../util/names.ts; editors
 * that do not know them simply skip them. Rules a schema cannot express (kinds, references between
 * sections, uniqueness) live in ./semantic.ts.
 */
import { MAX_CPU_ID } from "../util/cpulist.js";
import { KINDS, VNF_KINDS } from "./kinds.js";

/**
 * Upper bounds that keep absurd numbers (1e23 vCPUs) out as bad input instead of reaching the
 * planner: QEMU's x86 machine limit for vCPUs, Linux's MAX_NUMNODES (NODES_SHIFT 10), and 16 Mi pages
 * (32 TiB of 2M pages).
 */
export const MAX_VCPUS = 1024;
export const MAX_NUMA_NODE = 1023;
export const MAX_HUGEPAGES = 16 * 1024 * 1024;

type Schema = Record<string, unknown>;

const str = (format: string, description: string, extra: Schema = {}): Schema => ({
  type: "string",
  format,
  description,
  ...extra,
});
const bool = (description: string, dflt: boolean): Schema => ({
  type: "boolean",
  description,
  default: dflt,
});
const int = (description: string, minimum: number, maximum?: number, extra: Schema = {}): Schema => ({
  type: "integer",
  description,
  minimum,
  ...(maximum === undefined ? {} : { maximum }),
  ...extra,
});
const obj = (properties: Record<string, Schema>, required: string[] = [], description?: string): Schema => ({
  type: "object",
  ...(description ? { description } : {}),
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: false,
});
const list = (items: Schema, description: string): Schema => ({ type: "array", description, items });
/**
 * Free text that ends up in a router config line: printable ASCII only, as IOS-XE takes it. A line
 * break would inject a command; U+2028, NEL, VT, FF, ESC or NUL would reach the router's parser or
 * a terminal as something else than they look in the file.
 */
const line = (description: string, extra: Schema = {}): Schema => ({
  type: "string",
  pattern: "^[\\x20-\\x7e]*$",
  description: `${description} (printable ASCII, one line)`,
  ...extra,
});
/** A line whose first character is not a space (IOS-XE would drop it, and the value would differ). */
const word = (description: string, extra: Schema = {}): Schema =>
  line(description, { pattern: "^[\\x21-\\x7e][\\x20-\\x7e]*$", ...extra });

const size = (description: string, extra: Schema = {}): Schema => ({
  type: ["string", "integer"],
  format: "nfv-size",
  minimum: 1,
  // A bare number is MiB: 64 TiB, the bound parseSizeKiB puts on sizes with units.
  maximum: 64 * 1024 * 1024,
  description: `${description} Binary units: 8GiB, 8192MiB, 8G, "8 GiB"; a bare number is MiB.`,
  ...extra,
});
const mtu: Schema = int("MTU in bytes.", 68, 9710);
const macvtapMode: Schema = {
  type: "string",
  enum: ["bridge", "vepa", "private", "passthrough"],
  description: "macvtap mode.",
  default: "bridge",
};
const nicModel: Schema = {
  type: "string",
  enum: ["virtio", "vmxnet3", "e1000", "e1000e", "rtl8139"],
  description: "Emulated NIC model; default and allowed models depend on the VNF kind.",
};
const mac = (description: string): Schema => str("nfv-mac", description);

const management = obj(
  {
    interface: str("nfv-ifname", "Host management interface (seed: eno1)."),
    address: str("nfv-cidr", "Static address with prefix length, e.g. 10.75.58.43/24."),
    gateway: str("nfv-ip", "Default gateway."),
    dns: list(str("nfv-ip", "DNS server."), "DNS servers."),
  },
  ["interface", "address"],
  "Management interface, configured through NetworkManager.",
);

const cpus = obj(
  {
    isolate: {
      description:
        'CPUs isolated for VNFs: "auto" (smallest set covering the plan), a CPU list "1-8,37-44" or a list of CPU ids.',
      default: "auto",
      anyOf: [
        { type: "string", const: "auto" },
        { type: "string", format: "nfv-cpulist" },
        { type: "array", items: { type: "integer", minimum: 0, maximum: MAX_CPU_ID } },
      ],
    },
    "nohz-full": bool("Also plan nohz_full= and rcu_nocbs= for the isolated CPUs.", false),
    "housekeeping-cores-per-node": int(
      "Physical cores kept for the host on every NUMA node.",
      1,
      MAX_CPU_ID + 1,
      {
        default: 1,
      },
    ),
  },
  [],
  "CPU partition between host (housekeeping) and VNFs (isolated).",
);

const hugepages = obj(
  {
    size: {
      type: ["string", "integer"],
      format: "nfv-hugepage-size",
      description: "Hugepage size: 1G or 2M (also 1GiB, 2MiB, 1048576KiB).",
      default: "1G",
    },
    count: int("Pages reserved at boot; omitted: computed from the plan.", 0, MAX_HUGEPAGES),
  },
  [],
  "Hugepages backing VNF memory.",
);

const sriovPf = obj(
  {
    pf: str("nfv-pf", "Physical function: interface name (eno2) or PCI address (0000:3b:00.1)."),
    vfs: int("Number of VFs to create.", 1, 256),
    mtu,
    trust: { type: "boolean", description: "Trust every VF (needed for extra MACs/VLANs, promiscuous)." },
    spoofchk: { type: "boolean", description: "MAC/VLAN anti-spoofing on every VF." },
    macs: list(mac("MAC of VF n."), "Administrative MAC per VF index, at most vfs entries."),
  },
  ["pf", "vfs"],
);

const bridge = obj(
  {
    name: str("nfv-bridge", "Bridge name (at most 15 characters)."),
    ports: list(str("nfv-ifname", "Port interface."), "Interfaces enslaved to the bridge."),
    mtu,
    stp: bool("Spanning tree (NetworkManager's default, as in the seed).", true),
  },
  ["name"],
);

const host = obj(
  {
    management,
    cpus,
    hugepages,
    sysctl: {
      type: "object",
      description: "Kernel parameters set persistently, e.g. net.ipv4.ip_forward: 1.",
      additionalProperties: { type: ["string", "number", "boolean"] },
    },
    sriov: list(sriovPf, "SR-IOV physical functions and their VFs (persistent through NetworkManager)."),
    bridges: list(bridge, "Linux bridges (NetworkManager)."),
    selinux: {
      type: "string",
      enum: ["disabled", "permissive", "enforcing", "keep"],
      default: "disabled",
      description: "SELinux mode to set (the seed disables it); keep leaves it alone.",
    },
    firewalld: {
      type: "string",
      enum: ["disabled", "keep"],
      default: "disabled",
      description: "Stop and disable firewalld (the seed does); keep leaves it alone.",
    },
    thp: {
      type: "string",
      enum: ["always", "madvise", "never", "keep"],
      default: "keep",
      description: "Transparent hugepages mode.",
    },
    lang: {
      type: "string",
      pattern: "^[A-Za-z]{2,3}(_[A-Z]{2})?(\\.[A-Za-z0-9-]+)?(@[A-Za-z0-9]+)?$|^C(\\.UTF-8)?$|^POSIX$",
      description:
        "System locale LANG (seed: en_US.UTF-8), written to /etc/locale.conf (EL) or /etc/default/locale (Debian). Absent: left alone.",
    },
    "local-repo": obj(
      {
        iso: str("nfv-path", "Installation DVD ISO used as a local package repository."),
        mountpoint: str("nfv-path", "Where to mount it."),
      },
      ["iso", "mountpoint"],
    ),
  },
  [],
  "Host tuning.",
);

const network = {
  type: "object",
  description: "A libvirt network.",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [
    obj(
      {
        type: { const: "sriov-pool", description: "Pool of the VFs of one PF (libvirt hostdev network)." },
        pf: str("nfv-pf", "The PF whose VFs make the pool."),
      },
      ["type", "pf"],
    ),
    obj(
      {
        type: { const: "bridge", description: "libvirt network over an existing Linux bridge." },
        bridge: str("nfv-bridge", "The Linux bridge."),
      },
      ["type", "bridge"],
    ),
    obj(
      {
        type: { const: "macvtap", description: "libvirt network of macvtap devices on one interface." },
        dev: str("nfv-ifname", "The host interface."),
        mode: macvtapMode,
      },
      ["type", "dev"],
    ),
  ],
};

const vnfInterface = {
  type: "object",
  description: "A vNIC; in order they become GigabitEthernet1, 2, ... inside IOS-XE.",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [
    obj(
      {
        type: { const: "macvtap", description: "macvtap on a host interface (seed: Gi1 on eno1)." },
        dev: str("nfv-ifname", "Host interface."),
        mode: macvtapMode,
        mac: mac("Guest MAC."),
        model: nicModel,
      },
      ["type", "dev"],
    ),
    obj(
      {
        type: { const: "sriov", description: "An SR-IOV VF, from a sriov-pool network or a PF." },
        network: str("nfv-name", "A sriov-pool network."),
        pf: str("nfv-pf", "Take a VF of this PF directly (instead of network)."),
        mac: mac("VF MAC."),
        vlan: int("VLAN tag set on the VF by the host (802.1Q).", 1, 4094),
        "trunk-vlans": {
          ...list(
            int("VLAN id.", 1, 4094),
            "VLANs the guest tags itself (dot1q subinterfaces); counted against the driver's VLAN limit.",
          ),
          uniqueItems: true,
        },
        trust: {
          type: "boolean",
          description: "Trust the VF (default: the PF's trust setting, else false).",
        },
        spoofchk: { type: "boolean", description: "Anti-spoofing on the VF (default: the PF's, else true)." },
      },
      ["type"],
    ),
    obj(
      {
        type: {
          const: "bridge",
          description: "Attach to a Linux bridge, directly or through a bridge network.",
        },
        bridge: str("nfv-bridge", "Linux bridge."),
        network: str("nfv-name", "A bridge network."),
        mac: mac("Guest MAC."),
        model: nicModel,
      },
      ["type"],
    ),
    obj(
      {
        type: { const: "network", description: "Any libvirt network defined under networks." },
        network: str("nfv-name", "The network."),
        mac: mac("Guest MAC."),
        model: nicModel,
      },
      ["type", "network"],
    ),
  ],
};

const envVar = (description: string): Schema => str("nfv-env", description);

const day0Interface = obj(
  {
    address: str("nfv-cidr", "Address with prefix length."),
    dhcp: { type: "boolean", description: "Address from DHCP (instead of address)." },
    mtu: int("IP MTU.", 576, 9216),
    description: word("Interface description", { maxLength: 200 }),
    tunnel: obj(
      {
        encapsulation: {
          type: "string",
          enum: ["ipsec", "gre"],
          description: "SD-WAN tunnel encapsulation.",
        },
        color: { type: "string", pattern: "^[a-z0-9-]+$", description: "SD-WAN color, e.g. default, mpls." },
        "allow-service": list(
          {
            type: "string",
            enum: [
              "all",
              "bgp",
              "bfd",
              "dhcp",
              "dns",
              "https",
              "icmp",
              "netconf",
              "ntp",
              "ospf",
              "snmp",
              "sshd",
              "stun",
            ],
          },
          "Services allowed on the tunnel interface.",
        ),
      },
      ["encapsulation"],
      "SD-WAN tunnel interface (controller mode).",
    ),
  },
  [],
);

const day0 = obj(
  {
    mode: {
      type: "string",
      enum: ["controller", "autonomous"],
      description:
        "IOS-XE kinds: controller (SD-WAN, ciscosdwan_cloud_init.cfg) or autonomous (iosxe_config.txt, the default).",
    },
    hostname: str("nfv-ios-hostname", "Router hostname; default: the VNF name."),
    system: obj(
      {
        "system-ip": str("nfv-ipv4", "SD-WAN system IP."),
        "site-id": int("SD-WAN site id.", 1, 4294967295),
        "organization-name": word("Overlay organization name", { minLength: 1 }),
        "sp-organization-name": word("Service-provider organization name", { minLength: 1 }),
        vbond: str("nfv-host", "vBond (validator) address."),
        "vbond-port": int("vBond port.", 1, 65535),
      },
      ["system-ip", "site-id", "organization-name", "vbond"],
      "SD-WAN system block (controller mode).",
    ),
    onboarding: obj(
      {
        uuid: {
          type: "string",
          pattern: "^[A-Za-z0-9_-]+$",
          description: "Chassis number (C8K-..., CSR-...).",
        },
        "otp-env": envVar("Environment variable holding the one-time token."),
        "root-ca-env": envVar("Environment variable holding the root CA chain (PEM)."),
      },
      [],
      "SD-WAN onboarding values for the cloud-config part.",
    ),
    users: {
      type: "object",
      description: "Local users; passwords come from the environment and are written as type 9 secrets.",
      additionalProperties: obj(
        {
          privilege: int("Privilege level.", 0, 15, { default: 15 }),
          "password-env": envVar("Environment variable holding the password (never the password itself)."),
        },
        ["password-env"],
      ),
    },
    "enable-secret-env": envVar("Environment variable holding the enable secret."),
    "name-servers": list(str("nfv-ip", "DNS server."), "ip name-server."),
    routes: list(
      obj({ prefix: str("nfv-prefix", "Destination prefix."), "next-hop": str("nfv-ip", "Next hop.") }, [
        "prefix",
        "next-hop",
      ]),
      "Static routes.",
    ),
    interfaces: {
      type: "object",
      description: "Per interface (GigabitEthernet1..N for N vNICs).",
      additionalProperties: day0Interface,
    },
    ntp: list(
      obj({ server: str("nfv-host", "NTP server."), version: int("NTP version.", 1, 4) }, ["server"]),
      "NTP servers.",
    ),
    "clock-timezone": str("nfv-timezone", 'IOS clock timezone, e.g. "CST 8 0".'),
    license: obj(
      {
        "token-env": envVar("Environment variable holding the Smart Licensing id token."),
        "source-interface": str("nfv-day0-ifname", "ip http client source-interface."),
        "tools-host": str("nfv-ip", "Address of tools.cisco.com (ip host), when DNS cannot resolve it."),
        "throughput-level": {
          type: ["string", "integer"],
          pattern: "^(T[0-3]|[1-9][0-9]*)$",
          minimum: 1,
          description: "platform hardware throughput level: Mbps (e.g. 250, 1000) or a tier T0-T3.",
        },
        "boot-level": {
          type: "string",
          enum: [
            "network-essentials",
            "network-advantage",
            "network-premier",
            "ax",
            "appx",
            "security",
            "ipbase",
          ],
          description:
            "license boot level (C8000v: network-*, with the matching dna-* addon; CSR 1000v: ax, appx, security, ipbase). C8000v default: network-advantage.",
        },
      },
      [],
      "Smart Licensing: boot level, throughput level and (with token-env) the registration command.",
    ),
    "extra-config": list(line("An IOS-XE configuration line"), "IOS-XE lines appended verbatim."),
  },
  [],
  "Day-0 configuration, rendered in the kind's own format and medium (see docs/topology.md, Vendor kinds).",
);

const vnf = obj(
  {
    kind: {
      type: "string",
      enum: VNF_KINDS,
      description: "VNF kind: " + VNF_KINDS.map((k) => `${k} (${KINDS[k].label})`).join(", "),
    },
    image: {
      description:
        "an absolute path without '.' or '..' components or control characters (the disk image the VNF writes), or {base: PATH, overlay: per-vnf} (a qcow2 overlay per VNF under the state directory; the base is never written)",
      anyOf: [
        str("nfv-path", "Absolute path of the disk image (qcow2)."),
        obj(
          {
            base: str("nfv-path", "Absolute path of the base image (qcow2); opened read-only."),
            overlay: { type: "string", enum: ["per-vnf"], description: "One qcow2 overlay per VNF." },
          },
          ["base", "overlay"],
        ),
      ],
    },
    vcpus: int("Number of vCPUs (csr1000v and c8000v: 1, 2, 4 or 8).", 1, MAX_VCPUS),
    memory: size("Guest memory; must be a multiple of the hugepage size."),
    "thread-policy": {
      type: "string",
      enum: ["isolate", "prefer", "require", "share"],
      default: "isolate",
      description:
        "isolate: each vCPU on its own core, siblings carry the emulator; prefer: fill sibling threads; require: prefer, on SMT cores only; share: may share cores with other share VNFs.",
    },
    node: int("Force this NUMA node.", 0, MAX_NUMA_NODE),
    priority: int(
      "When not every VNF fits, VNFs of a higher priority are kept first (default 0); ties keep the earlier VNF in the file.",
      -1000,
      1000,
    ),
    lab: {
      type: "boolean",
      description: "Emulated (TCG) domain, not for production; default: the file's lab.",
    },
    autostart: bool("Start with the host.", true),
    interfaces: list(vnfInterface, "vNICs in guest order."),
    day0,
    boot: obj(
      {
        kernel: str("nfv-path", "Kernel image on the host."),
        initrd: str("nfv-path", "Initramfs on the host."),
        cmdline: {
          type: "string",
          pattern: "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$",
          description: "Kernel command line (one line, no control characters)",
        },
      },
      ["kernel"],
      "Direct kernel boot (generic VNFs, test guests) instead of booting the disk image.",
    ),
    "cpu-mode": {
      type: "string",
      enum: ["host-passthrough", "host-model", "custom"],
      default: "host-passthrough",
      description:
        "Guest CPU: host-passthrough (default: every host CPU feature), host-model (migratable, fewer features) or custom (cpu-model). See `nfvhost explain cpu-mode`.",
    },
    "cpu-model": {
      type: "string",
      pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
      description: "QEMU CPU model for cpu-mode custom, e.g. Skylake-Server-IBRS.",
    },
    version: {
      type: "string",
      pattern: "^[0-9]{1,3}\\.[0-9]{1,3}(\\.[0-9]{1,3}[a-z]?)?$",
      description:
        "Release of the image (17.9.4a, 17.09.04a, 23.4); default: read from the image's file name. Licensing and day-0 lines are checked against it.",
    },
  },
  ["kind", "image", "vcpus", "memory"],
);

export const TOPOLOGY_SCHEMA_ID = "https://nfvhost.dev/schema/topology.schema.json";

export const topologySchema: Schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: TOPOLOGY_SCHEMA_ID,
  title: "nfvhost topology",
  description: "One file: host tuning, libvirt networks and the VNFs to deploy. See docs/topology.md.",
  ...obj(
    {
      name: str("nfv-name", "Topology name."),
      lab: bool("Lab mode for the whole file: every VNF runs emulated (TCG).", false),
      host,
      networks: {
        type: "object",
        description: "libvirt networks by name.",
        additionalProperties: network,
      },
      vnfs: {
        type: "object",
        description: "VNFs by name (the libvirt domain name).",
        additionalProperties: vnf,
      },
    },
    ["name"],
  ),
};
