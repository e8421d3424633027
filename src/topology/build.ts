/**
 * The validated file (kebab-case, sizes as text) -> the Topology the planner reads (camelCase, KiB,
 * lower-case MACs, sysfs PCI addresses, every default filled). Runs only on data that passed the
 * schema and the semantic checks, so it converts and never judges.
 */
import { parseCpuList } from "../util/cpulist.js";
import { normalizeMac } from "../util/names.js";
import { guestInterfaceIndex, guestInterfaceName, KINDS } from "./kinds.js";
import { pfKey } from "./semantic.js";
import type {
  BridgeSpec,
  Day0InterfaceSpec,
  Day0Spec,
  Day0User,
  HostSpec,
  InterfaceSpec,
  MacvtapMode,
  NetworkSpec,
  SriovPfSpec,
  ThreadPolicy,
  Topology,
  VnfKind,
  VnfSpec,
} from "./types.js";
import { parseGigabitEthernet, parseSizeKiB } from "./values.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- validated YAML data, shape guaranteed by the schema */
type Raw = any;

const DEFAULT_HUGEPAGE = "1G";

function sizeKiB(value: string | number): number {
  const r = parseSizeKiB(value);
  if ("error" in r) throw new Error(`unvalidated size ${String(value)}`);
  return r.kib;
}

const mac = (m: string | undefined) => (m === undefined ? undefined : normalizeMac(m));

/** Drops undefined members so deep-equal comparisons and JSON output stay clean. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function buildHost(h: Raw = {}): HostSpec {
  const isolate = h.cpus?.isolate ?? "auto";
  return compact<HostSpec>({
    management: h.management
      ? compact({
          interface: h.management.interface,
          address: h.management.address,
          gateway: h.management.gateway,
          dns: h.management.dns ?? [],
        })
      : undefined,
    cpus: {
      isolate:
        isolate === "auto"
          ? "auto"
          : Array.isArray(isolate)
            ? [...new Set<number>(isolate)].sort((a, b) => a - b)
            : parseCpuList(isolate),
      nohzFull: h.cpus?.["nohz-full"] ?? false,
      housekeepingCoresPerNode: h.cpus?.["housekeeping-cores-per-node"] ?? 1,
    },
    hugepages: compact({
      sizeKiB: sizeKiB(h.hugepages?.size ?? DEFAULT_HUGEPAGE),
      count: h.hugepages?.count,
    }),
    sysctl: Object.fromEntries(
      Object.entries<unknown>(h.sysctl ?? {}).map(([k, v]) => [
        k,
        typeof v === "boolean" ? (v ? "1" : "0") : String(v),
      ]),
    ),
    sriov: (h.sriov ?? []).map((s: Raw): SriovPfSpec =>
      compact({
        pf: pfKey(s.pf),
        vfs: s.vfs,
        mtu: s.mtu,
        trust: s.trust,
        spoofchk: s.spoofchk,
        macs: s.macs?.map((m: string) => normalizeMac(m)),
      }),
    ),
    bridges: (h.bridges ?? []).map((b: Raw): BridgeSpec =>
      compact({ name: b.name, ports: b.ports ?? [], mtu: b.mtu, stp: b.stp ?? true }),
    ),
    selinux: h.selinux ?? "disabled",
    firewalld: h.firewalld ?? "disabled",
    thp: h.thp ?? "keep",
    lang: h.lang,
    localRepo: h["local-repo"]
      ? { iso: h["local-repo"].iso, mountpoint: h["local-repo"].mountpoint }
      : undefined,
  });
}

function buildNetwork(name: string, n: Raw): NetworkSpec {
  switch (n.type) {
    case "sriov-pool":
      return { name, type: "sriov-pool", pf: pfKey(n.pf) };
    case "bridge":
      return { name, type: "bridge", bridge: n.bridge };
    default:
      return { name, type: "macvtap", dev: n.dev, mode: (n.mode ?? "bridge") as MacvtapMode };
  }
}

function buildInterface(i: Raw, kind: VnfKind): InterfaceSpec {
  const model = i.model ?? KINDS[kind].nicModels[0];
  switch (i.type) {
    case "macvtap":
      return compact({
        type: "macvtap",
        dev: i.dev,
        mode: (i.mode ?? "bridge") as MacvtapMode,
        mac: mac(i.mac),
        model,
      });
    case "sriov":
      return compact({
        type: "sriov",
        network: i.network,
        pf: i.pf === undefined ? undefined : pfKey(i.pf),
        mac: mac(i.mac),
        vlan: i.vlan,
        trunkVlans: i["trunk-vlans"],
        trust: i.trust,
        spoofchk: i.spoofchk,
      });
    case "bridge":
      return compact({ type: "bridge", bridge: i.bridge, network: i.network, mac: mac(i.mac), model });
    default:
      return compact({ type: "network", network: i.network, mac: mac(i.mac), model });
  }
}

/** A day-0 interface key as written (Gi2, ge-0/0/1) -> the guest's own name for that vNIC. */
function canonicalInterface(kind: VnfKind, name: string): string {
  const spec = KINDS[kind];
  const i = guestInterfaceIndex(spec, name);
  if (i !== null) return guestInterfaceName(spec, i);
  // Kinds without a naming rule keep the key (the semantic checks reported anything unusable).
  const gi = parseGigabitEthernet(name);
  return gi === null ? name : `GigabitEthernet${gi}`;
}

function buildDay0(vnf: string, d: Raw, kind: VnfKind): Day0Spec {
  const users: Record<string, Day0User> = {};
  for (const [name, u] of Object.entries<Raw>(d.users ?? {})) {
    users[name] = { privilege: u.privilege ?? 15, passwordEnv: u["password-env"] };
  }
  const interfaces: Record<string, Day0InterfaceSpec> = {};
  for (const [name, c] of Object.entries<Raw>(d.interfaces ?? {})) {
    interfaces[canonicalInterface(kind, name)] = compact({
      address: c.address,
      dhcp: c.dhcp,
      mtu: c.mtu,
      description: c.description,
      tunnel: c.tunnel
        ? compact({
            encapsulation: c.tunnel.encapsulation,
            color: c.tunnel.color,
            allowService: c.tunnel["allow-service"] ?? [],
          })
        : undefined,
    });
  }
  const s = d.system;
  const o = d.onboarding;
  const l = d.license;
  return compact<Day0Spec>({
    mode: d.mode ?? "autonomous",
    hostname: d.hostname ?? vnf,
    system: s
      ? compact({
          systemIp: s["system-ip"],
          siteId: s["site-id"],
          organizationName: s["organization-name"],
          spOrganizationName: s["sp-organization-name"],
          vbond: s.vbond,
          vbondPort: s["vbond-port"],
        })
      : undefined,
    onboarding: o ? compact({ uuid: o.uuid, otpEnv: o["otp-env"], rootCaEnv: o["root-ca-env"] }) : undefined,
    users,
    enableSecretEnv: d["enable-secret-env"],
    nameServers: d["name-servers"] ?? [],
    routes: (d.routes ?? []).map((r: Raw) => ({ prefix: r.prefix, nextHop: r["next-hop"] })),
    interfaces,
    ntp: (d.ntp ?? []).map((n: Raw) => compact({ server: n.server, version: n.version })),
    clockTimezone: d["clock-timezone"],
    license: l
      ? compact({
          tokenEnv: l["token-env"],
          sourceInterface:
            l["source-interface"] === undefined ? undefined : canonicalInterface(kind, l["source-interface"]),
          toolsHost: l["tools-host"],
          throughputLevel: l["throughput-level"] === undefined ? undefined : String(l["throughput-level"]),
          bootLevel: l["boot-level"],
        })
      : undefined,
    extraConfig: d["extra-config"] ?? [],
  });
}

function buildVnf(name: string, v: Raw, fileLab: boolean): VnfSpec {
  const kind = v.kind as VnfKind;
  const image: string = typeof v.image === "string" ? v.image : v.image.base;
  const cpuMode = v["cpu-mode"] ?? "host-passthrough";
  return compact<VnfSpec>({
    name,
    kind,
    image,
    overlay: typeof v.image === "string" ? undefined : v.image.overlay,
    version: v.version,
    cpu:
      cpuMode === "host-passthrough"
        ? undefined
        : cpuMode === "custom"
          ? { mode: "custom", model: v["cpu-model"] }
          : { mode: cpuMode },
    vcpus: v.vcpus,
    memoryKiB: sizeKiB(v.memory),
    threadPolicy: (v["thread-policy"] ?? "isolate") as ThreadPolicy,
    node: v.node,
    priority: v.priority,
    interfaces: (v.interfaces ?? []).map((i: Raw) => buildInterface(i, kind)),
    day0: v.day0 ? buildDay0(name, v.day0, kind) : undefined,
    lab: v.lab ?? fileLab,
    autostart: v.autostart ?? true,
    boot: v.boot
      ? compact({ kernel: v.boot.kernel, initrd: v.boot.initrd, cmdline: v.boot.cmdline })
      : undefined,
  });
}

export function buildTopology(raw: Raw): Topology {
  const lab = raw.lab ?? false;
  return {
    name: raw.name,
    lab,
    host: buildHost(raw.host),
    networks: Object.entries<Raw>(raw.networks ?? {}).map(([name, n]) => buildNetwork(name, n)),
    vnfs: Object.entries<Raw>(raw.vnfs ?? {}).map(([name, v]) => buildVnf(name, v, lab)),
  };
}
