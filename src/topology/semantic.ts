/**
 * Checks a schema cannot express: each VNF kind's footprint, references between sections
 * (interfaces -> networks -> PFs), uniqueness (MACs, images, names) and day-0 consistency.
 * It runs on the raw YAML data even when the schema found problems, so that every error in the
 * file is reported at once; it only judges values whose basic shape is right (the schema already
 * reports the others).
 */
import { NfvError, type NfvErrorDetails } from "../util/errors.js";
import {
  normalizeMac,
  normalizePciAddress,
  validateDomainName,
  validateMac,
  validatePciAddress,
} from "../util/names.js";
import {
  DAY0_FIELDS,
  day0MediumOf,
  guestInterfaceIndex,
  guestInterfaceName,
  KINDS,
  listOr,
  parseVersion,
  versionFromImageName,
  versionInRange,
  type KindSpec,
} from "./kinds.js";
import { formatPath, type Path, type SourceMap } from "./source.js";
import type { VnfKind } from "./types.js";
import {
  formatKiB,
  parseSizeKiB,
  validateHugepageSize,
  validateIosHostname,
  validateIosUsername,
  validateSysctlKey,
  validateSysctlValue,
} from "./values.js";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const objOr = (v: unknown): Obj => (isObj(v) ? v : {});
const arrOr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** A PF as written (eno2, 3b:00.1) to the key it is compared by. */
export function pfKey(pf: string): string {
  return validatePciAddress(pf) === null ? normalizePciAddress(pf) : pf;
}

class Problems {
  readonly errors: NfvError[] = [];
  constructor(private readonly src: SourceMap) {}

  add(path: Path, d: Omit<NfvErrorDetails, "location">, atKey = false): void {
    const location = atKey ? this.src.locateKey(path) : this.src.locate(path);
    this.errors.push(new NfvError({ ...d, what: d.what || formatPath(path), location }));
  }

  line(path: Path): number | undefined {
    return this.src.locate(path).line;
  }
}

/** First-seen owner of a value that must be unique (MACs, images). */
class UniqueRegistry {
  private readonly seen = new Map<string, Path>();
  constructor(
    private readonly p: Problems,
    private readonly noun: string,
    private readonly fix: string,
  ) {}

  /** Calls report with the path that claimed value, when one did. */
  claimedBy(value: string, report: (first: Path) => void): void {
    const first = this.seen.get(value);
    if (first) report(first);
  }

  claim(value: string, path: Path, shown: unknown): void {
    const first = this.seen.get(value);
    if (!first) {
      this.seen.set(value, path);
      return;
    }
    this.p.add(path, {
      what: formatPath(path),
      value: shown,
      expected: `a ${this.noun} used once in the file; already used by ${formatPath(first)} (line ${this.p.line(first)})`,
      fix: this.fix,
    });
  }
}

export function checkSemantics(raw: unknown, src: SourceMap): NfvError[] {
  const p = new Problems(src);
  const root = objOr(raw);
  const host = objOr(root.host);
  const networks = objOr(root.networks);
  const vnfs = objOr(root.vnfs);
  const macs = new UniqueRegistry(
    p,
    "MAC",
    "give each VF and vNIC its own MAC, or leave mac out to get a generated one",
  );
  const bases = new Map<string, Path>();
  const images = new UniqueRegistry(
    p,
    "disk image",
    "two domains writing one qcow2 corrupt it: copy the image for each VNF (or use a qcow2 overlay per VNF)",
  );

  const hugepageKiB = hugepageSizeKiB(host);

  // host.sysctl keys: they become /proc/sys paths
  for (const key of Object.keys(objOr(host.sysctl))) {
    const problem = validateSysctlKey(key);
    if (problem)
      p.add(
        ["host", "sysctl", key],
        { what: formatPath(["host", "sysctl", key]), value: key, expected: problem },
        true,
      );
    const v = objOr(host.sysctl)[key];
    const valueProblem =
      typeof v === "string" || typeof v === "number" ? validateSysctlValue(String(v)) : null;
    if (valueProblem) {
      p.add(["host", "sysctl", key], {
        what: formatPath(["host", "sysctl", key]),
        value: v,
        expected: valueProblem,
        fix: "write the value sysctl -w would take, without quotes or shell syntax",
      });
    }
  }

  // host.local-repo paths go into /etc/fstab, whose fields are separated by blanks.
  const repo = objOr(host["local-repo"]);
  for (const field of ["iso", "mountpoint"]) {
    const v = repo[field];
    if (typeof v === "string" && /\s/.test(v)) {
      p.add(["host", "local-repo", field], {
        what: formatPath(["host", "local-repo", field]),
        value: v,
        expected: "a path without spaces or tabs (/etc/fstab separates its fields with them)",
        fix: "move or link the file to a path without blanks",
      });
    }
  }

  // host.sriov: one entry per PF, VF MACs within the VF count, MACs unique
  const declaredPfs = new Map<string, number>();
  arrOr(host.sriov).forEach((entry, i) => {
    const e = objOr(entry);
    const pf = str(e.pf);
    if (pf !== undefined) {
      const k = pfKey(pf);
      const first = declaredPfs.get(k);
      if (first !== undefined) {
        p.add(["host", "sriov", i, "pf"], {
          what: formatPath(["host", "sriov", i, "pf"]),
          value: pf,
          expected: `each PF declared once; already declared at ${formatPath(["host", "sriov", first, "pf"])}`,
          fix: "merge the two entries",
        });
      } else declaredPfs.set(k, i);
    }
    const list = arrOr(e.macs);
    if (isInt(e.vfs) && list.length > e.vfs) {
      p.add(["host", "sriov", i, "macs"], {
        what: formatPath(["host", "sriov", i, "macs"]),
        expected: `at most vfs (${e.vfs}) MACs, found ${list.length}`,
        fix: `raise vfs to ${list.length} or remove MACs`,
      });
    }
    list.forEach((m, j) => {
      if (typeof m === "string" && validateMac(m) === null)
        macs.claim(normalizeMac(m), ["host", "sriov", i, "macs", j], m);
    });
  });

  // host.bridges: unique names, a port in one bridge only
  const bridgeOf = new Map<string, number>();
  const portOf = new Map<string, Path>();
  arrOr(host.bridges).forEach((entry, i) => {
    const b = objOr(entry);
    const name = str(b.name);
    if (name !== undefined) {
      if (bridgeOf.has(name)) {
        p.add(["host", "bridges", i, "name"], {
          what: formatPath(["host", "bridges", i, "name"]),
          value: name,
          expected: `a bridge name used once; already declared at ${formatPath(["host", "bridges", bridgeOf.get(name)!, "name"])}`,
        });
      } else bridgeOf.set(name, i);
    }
    arrOr(b.ports).forEach((port, j) => {
      if (typeof port !== "string") return;
      const first = portOf.get(port);
      if (first) {
        p.add(["host", "bridges", i, "ports", j], {
          what: formatPath(["host", "bridges", i, "ports", j]),
          value: port,
          expected: `an interface enslaved to one bridge only; already a port at ${formatPath(first)}`,
        });
      } else portOf.set(port, ["host", "bridges", i, "ports", j]);
    });
  });

  // networks: names, one pool per PF
  const poolOfPf = new Map<string, string>();
  for (const [name, value] of Object.entries(networks)) {
    const problem = validateDomainName(name);
    if (problem)
      p.add(
        ["networks", name],
        { what: `${formatPath(["networks", name])}: network name`, value: name, expected: problem },
        true,
      );
    // nfvhost defines every network it names: "default" would redefine libvirt's own NAT network
    // (virbr0) that other guests on the host use.
    else if (name === "default")
      p.add(
        ["networks", name],
        {
          what: `${formatPath(["networks", name])}: network name`,
          value: name,
          expected: "a name other than libvirt's own NAT network `default` (virbr0)",
          fix: "rename it, e.g. net-default, and update the interfaces that use it",
        },
        true,
      );
    const n = objOr(value);
    if (n.type === "sriov-pool" && typeof n.pf === "string") {
      const k = pfKey(n.pf);
      const other = poolOfPf.get(k);
      if (other !== undefined) {
        p.add(["networks", name, "pf"], {
          what: formatPath(["networks", name, "pf"]),
          value: n.pf,
          expected: `one sriov-pool network per PF; networks.${other} already pools ${n.pf}`,
          fix: `use networks.${other} in the interfaces`,
        });
      } else poolOfPf.set(k, name);
    }
  }

  // vnfs
  for (const [name, value] of Object.entries(vnfs)) {
    const problem = validateDomainName(name);
    if (problem)
      p.add(
        ["vnfs", name],
        { what: `${formatPath(["vnfs", name])}: VNF name (libvirt domain)`, value: name, expected: problem },
        true,
      );
    if (!isObj(value)) continue;
    checkVnf(p, name, value, { networks, fileLab: root.lab === true, hugepageKiB, macs, images, bases });
  }
  for (const [base, path] of bases)
    images.claimedBy(base, (first) =>
      p.add(path, {
        what: formatPath(path),
        value: base,
        expected: `a base image no VNF writes; ${formatPath(first)} boots it writable`,
        fix: "give that VNF an overlay of the base too (image: {base, overlay: per-vnf}), or a copy",
      }),
    );

  return p.errors;
}

function hugepageSizeKiB(host: Obj): number | null {
  const size = objOr(host.hugepages).size ?? "1G";
  if ((typeof size !== "string" && typeof size !== "number") || validateHugepageSize(size) !== null)
    return null;
  const r = parseSizeKiB(size);
  return "kib" in r ? r.kib : null;
}

interface VnfContext {
  networks: Obj;
  /** Overlay base images: never writable by another VNF. */
  bases: Map<string, Path>;
  fileLab: boolean;
  hugepageKiB: number | null;
  macs: UniqueRegistry;
  images: UniqueRegistry;
}

function checkVnf(p: Problems, name: string, vnf: Obj, ctx: VnfContext): void {
  const at = (...rest: Path): Path => ["vnfs", name, ...rest];
  const kindName = str(vnf.kind);
  const kind = kindName && kindName in KINDS ? KINDS[kindName as VnfKind] : null;
  const interfaces = arrOr(vnf.interfaces);

  if (typeof vnf.image === "string") ctx.images.claim(vnf.image, at("image"), vnf.image);
  const image = typeof vnf.image === "string" ? vnf.image : str(objOr(vnf.image).base);
  if (isObj(vnf.image) && image !== undefined) ctx.bases.set(image, at("image", "base"));
  checkCpu(p, at, vnf);
  const version = kind ? checkVersion(p, at, kind, str(vnf.version), image) : null;

  if (kind) {
    if (kind.vcpus && isInt(vnf.vcpus) && !kind.vcpus.includes(vnf.vcpus)) {
      p.add(at("vcpus"), {
        what: formatPath(at("vcpus")),
        value: vnf.vcpus,
        expected: `${listOr(kind.vcpus)} vCPUs: the footprints kind ${kind.kind} supports`,
        fix: `set vcpus to ${listOr(kind.vcpus)}`,
      });
    }
    if (typeof vnf.memory === "string" || isInt(vnf.memory)) {
      const r = parseSizeKiB(vnf.memory as string | number);
      if ("kib" in r) checkMemory(p, at("memory"), vnf.memory, r.kib, kind.kind, ctx.hugepageKiB);
    }
    const nicsWellFormed = vnf.interfaces === undefined || Array.isArray(vnf.interfaces);
    if (nicsWellFormed && (interfaces.length < kind.minNics || interfaces.length > kind.maxNics)) {
      p.add(at("interfaces"), {
        what: formatPath(at("interfaces")),
        expected: `${kind.minNics} to ${kind.maxNics} vNICs for kind ${kind.kind}, found ${interfaces.length}`,
        fix:
          interfaces.length > kind.maxNics
            ? `remove ${interfaces.length - kind.maxNics} interface(s), or use VLANs/subinterfaces on fewer vNICs`
            : "add an interface (GigabitEthernet1 is the management interface)",
      });
    }
  }

  // IOS-XE boots from its disk; a kernel of our own only makes sense for an emulated lab stand-in.
  const lab = typeof vnf.lab === "boolean" ? vnf.lab : ctx.fileLab;
  if (kind && kind.day0 && vnf.boot !== undefined && !lab) {
    p.add(
      at("boot"),
      {
        what: formatPath(at("boot")),
        expected: `no direct kernel boot for kind ${kind.kind} outside lab mode: it boots IOS-XE from its disk image`,
        fix: "remove boot, use kind: generic, or mark the VNF lab: true (an emulated stand-in for tests)",
      },
      true,
    );
  }

  interfaces.forEach((raw, i) => {
    if (!isObj(raw)) return;
    checkInterface(p, at("interfaces", i), raw, kind?.kind ?? null, ctx);
  });

  if (vnf.day0 !== undefined && isObj(vnf.day0)) {
    if (kind && !kind.day0) {
      p.add(at("day0"), {
        what: formatPath(at("day0")),
        expected: `no day0 for kind ${kind.kind}: ${kind.day0Note ?? "it has no day-0 format"}; day-0 is generated for ${listOr(
          Object.values(KINDS)
            .filter((k) => k.day0)
            .map((k) => k.kind),
        )}`,
        fix: "remove day0 and configure the image itself",
      });
    } else if (kind) {
      checkDay0(p, name, vnf.day0, interfaces.length, kind, version);
    }
  }
}

/** cpu-mode custom names a model; the other modes take none. */
function checkCpu(p: Problems, at: (...rest: Path) => Path, vnf: Obj): void {
  const mode = str(vnf["cpu-mode"]) ?? "host-passthrough";
  if (mode === "custom" && vnf["cpu-model"] === undefined) {
    p.add(at("cpu-mode"), {
      what: formatPath(at("cpu-mode")),
      value: mode,
      expected: "a cpu-model beside cpu-mode custom (qemu-system-x86_64 -cpu help lists them)",
      fix: "add cpu-model, e.g. Skylake-Server-IBRS, or use cpu-mode host-model",
    });
  } else if (mode !== "custom" && vnf["cpu-model"] !== undefined) {
    p.add(at("cpu-model"), {
      what: formatPath(at("cpu-model")),
      value: vnf["cpu-model"],
      expected: `no cpu-model with cpu-mode ${mode} (a named model needs cpu-mode: custom)`,
      fix: "set cpu-mode: custom, or remove cpu-model",
    });
  }
}

/** The release (given, else from the image's name), checked against the kind's known range. */
function checkVersion(
  p: Problems,
  at: (...rest: Path) => Path,
  kind: KindSpec,
  given: string | undefined,
  image: string | undefined,
): number[] | null {
  const fromName = image === undefined ? null : versionFromImageName(image);
  const text = given ?? fromName ?? undefined;
  if (text === undefined) return null;
  const v = parseVersion(text);
  if (v === null) return null; // the schema's pattern reports a malformed version
  const { min, max } = kind.versions;
  if (!versionInRange(v, kind.versions)) {
    const range =
      min !== null && max !== null
        ? `${min} to ${max}.x`
        : min !== null
          ? `${min} or later`
          : `up to ${max}.x`;
    p.add(given !== undefined ? at("version") : at("image"), {
      what: formatPath(given !== undefined ? at("version") : at("image")),
      value: given ?? image,
      expected: `a ${kind.label} release ${range}${given === undefined ? ` (read ${text} from the image's file name)` : ""}`,
      fix:
        kind.kind === "csr1000v"
          ? "releases after 17.3 are Catalyst 8000V images: use kind c8000v"
          : "check the image, or set version: to the release it holds",
    });
    return null;
  }
  return v;
}

function checkMemory(
  p: Problems,
  path: Path,
  shown: unknown,
  kib: number,
  kind: VnfKind,
  hugepageKiB: number | null,
): void {
  const spec = KINDS[kind];
  const bareHint =
    typeof shown === "number" && shown < 64 ? ` (a bare number is MiB: did you mean "${shown}GiB"?)` : "";
  if (kib < spec.minMemoryKiB || (spec.maxMemoryKiB !== null && kib > spec.maxMemoryKiB)) {
    const min = formatKiB(spec.minMemoryKiB);
    const max = spec.maxMemoryKiB === null ? null : formatKiB(spec.maxMemoryKiB);
    const range = max === null ? `at least ${min}` : `${min} to ${max}`;
    p.add(path, {
      what: formatPath(path),
      value: shown,
      expected: `${range} of memory for kind ${kind}, found ${formatKiB(kib)}${bareHint}`,
      fix:
        max === null
          ? `set memory to ${min.replace(" ", "")} or more`
          : `set memory between ${min.replace(" ", "")} and ${max.replace(" ", "")}`,
    });
    return;
  }
  if (hugepageKiB !== null && kib % hugepageKiB !== 0) {
    const up = Math.ceil(kib / hugepageKiB) * hugepageKiB;
    p.add(path, {
      what: formatPath(path),
      value: shown,
      expected: `a multiple of the ${formatKiB(hugepageKiB)} hugepage size (host.hugepages.size), found ${formatKiB(kib)}${bareHint}`,
      fix: `set memory to ${formatKiB(up).replace(" ", "")}, or use 2M hugepages`,
    });
  }
}

function checkInterface(p: Problems, path: Path, nic: Obj, kind: VnfKind | null, ctx: VnfContext): void {
  const type = nic.type;
  if (typeof nic.mac === "string" && validateMac(nic.mac) === null) {
    ctx.macs.claim(normalizeMac(nic.mac), [...path, "mac"], nic.mac);
  }
  if (kind && typeof nic.model === "string" && type !== "sriov") {
    const models = KINDS[kind].nicModels;
    if (!(models as readonly string[]).includes(nic.model)) {
      p.add([...path, "model"], {
        what: formatPath([...path, "model"]),
        value: nic.model,
        expected: `a NIC model kind ${kind} supports: ${listOr(models)}${kind === "csr1000v" ? " (or an SR-IOV VF: type: sriov)" : ""}`,
      });
    }
  }
  const network = str(nic.network);
  const target = network === undefined ? undefined : ctx.networks[network];
  const targetType = isObj(target) ? str(target.type) : undefined;
  const known = Object.keys(ctx.networks);
  const missing = (wantType: string) =>
    p.add([...path, "network"], {
      what: formatPath([...path, "network"]),
      value: network,
      expected: `a network defined under networks${known.length ? ` (${known.join(", ")})` : ""}`,
      fix: `define networks.${network} with type: ${wantType}, or name an existing one`,
    });

  if (type === "sriov" && nic.vlan !== undefined && nic["trunk-vlans"] !== undefined) {
    p.add(
      [...path, "trunk-vlans"],
      {
        what: formatPath([...path, "trunk-vlans"]),
        expected:
          "either vlan (the host tags every frame: the guest sees untagged traffic) or trunk-vlans (the guest tags), not both",
        fix: "remove vlan to let the guest tag, or remove trunk-vlans",
      },
      true,
    );
  }
  if (type === "sriov") {
    if ((network === undefined) === (nic.pf === undefined)) {
      p.add(path, {
        what: formatPath(path),
        expected:
          "an sriov interface with exactly one of `network` (a sriov-pool network) or `pf` (take a VF of that PF)",
      });
    } else if (network !== undefined) {
      if (target === undefined) missing("sriov-pool");
      else if (targetType !== undefined && targetType !== "sriov-pool") {
        p.add([...path, "network"], {
          what: formatPath([...path, "network"]),
          value: network,
          expected: `a sriov-pool network for an sriov interface; networks.${network} is type ${targetType}`,
          fix: `name a sriov-pool network, use pf: <PF> for a VF of a given PF, or change the interface type to ${targetType === "bridge" ? "bridge" : "network"}`,
        });
      }
    }
  } else if (type === "bridge") {
    if ((network === undefined) === (nic.bridge === undefined)) {
      p.add(path, {
        what: formatPath(path),
        expected:
          "a bridge interface with exactly one of `bridge` (a Linux bridge) or `network` (a bridge network)",
      });
    } else if (network !== undefined) {
      if (target === undefined) missing("bridge");
      else if (targetType !== undefined && targetType !== "bridge") {
        p.add([...path, "network"], {
          what: formatPath([...path, "network"]),
          value: network,
          expected: `a bridge network for a bridge interface; networks.${network} is type ${targetType}`,
          fix: targetType === "sriov-pool" ? "use type: sriov for a VF from that pool" : "use type: network",
        });
      }
    }
  } else if (type === "network" && network !== undefined) {
    if (target === undefined) missing("bridge");
    else if (targetType === "sriov-pool") {
      p.add([...path, "type"], {
        what: formatPath([...path, "type"]),
        value: type,
        expected: `type sriov for networks.${network} (a sriov-pool network hands out VFs)`,
        fix: "write type: sriov",
      });
    }
  }
}

function checkDay0(
  p: Problems,
  vnf: string,
  day0: Obj,
  nics: number,
  kind: KindSpec,
  version: number[] | null,
): void {
  const at = (...rest: Path): Path => ["vnfs", vnf, "day0", ...rest];
  const mode = str(day0.mode);
  const medium = day0MediumOf(kind, mode === "controller" ? "controller" : "autonomous");
  if (!medium) {
    p.add(at("mode"), {
      what: formatPath(at("mode")),
      value: mode,
      expected: `a day-0 mode kind ${kind.kind} has: autonomous`,
      fix: "remove mode (controller mode is IOS-XE SD-WAN only)",
    });
    return;
  }
  for (const key of Object.keys(day0)) {
    // Unknown keys are the schema's to report.
    if (
      (medium.fields as readonly string[]).includes(key) ||
      !(DAY0_FIELDS as readonly string[]).includes(key)
    )
      continue;
    p.add(
      at(key),
      {
        what: formatPath(at(key)),
        expected: `only ${listOr(medium.fields)} in day0 of kind ${kind.kind} (its ${medium.files[0]} cannot express ${key})`,
        fix: `remove ${key}`,
      },
      true,
    );
  }
  const names = Array.from({ length: nics }, (_, i) => guestInterfaceName(kind, i));
  const range =
    nics === 0
      ? "none: the VNF has no interfaces"
      : nics === 1
        ? names[0]!
        : `${names[0]}..${names[nics - 1]}`;
  const checkIf = (name: string, path: Path, atKey: boolean): number | null => {
    const n = guestInterfaceIndex(kind, name, Math.max(nics, kind.maxNics));
    if (n === null) {
      p.add(
        path,
        {
          what: formatPath(path),
          value: name,
          expected: `an interface name of kind ${kind.kind}, in vNIC order: ${range}`,
        },
        atKey,
      );
      return null;
    }
    if (n >= nics) {
      p.add(
        path,
        {
          what: formatPath(path),
          value: name,
          expected: `an interface of this VNF: ${range} (one per entry of vnfs.${vnf}.interfaces)`,
          fix: `add an interface under vnfs.${vnf}.interfaces or use an existing ${names[0]?.replace(/[0-9/]+$/, "") ?? "one"}`,
        },
        atKey,
      );
    }
    return n;
  };

  if (day0.hostname === undefined && validateIosHostname(vnf) !== null) {
    p.add(at("hostname"), {
      what: formatPath(at("hostname")),
      value: vnf,
      expected: `a hostname: the VNF name is not a valid hostname (${validateIosHostname(vnf)})`,
      fix: "set day0.hostname",
    });
  }

  if (mode === "controller" && day0.system === undefined) {
    p.add(at("system"), {
      what: formatPath(at("system")),
      expected: "a system block in controller mode (system-ip, site-id, organization-name, vbond)",
      fix: "add day0.system, or set mode: autonomous",
    });
  }
  if (mode !== "controller") {
    for (const key of ["system", "onboarding"]) {
      if (day0[key] !== undefined && medium.fields.includes(key as "system")) {
        p.add(
          at(key),
          {
            what: formatPath(at(key)),
            expected: `no ${key} in autonomous mode (it belongs to SD-WAN controller mode)`,
            fix: `remove ${key}, or set mode: controller`,
          },
          true,
        );
      }
    }
  }

  for (const user of Object.keys(objOr(day0.users))) {
    const problem = validateIosUsername(user);
    if (problem)
      p.add(at("users", user), { what: formatPath(at("users", user)), value: user, expected: problem }, true);
  }

  const seenIf = new Map<number, string>();
  for (const [ifName, value] of Object.entries(objOr(day0.interfaces))) {
    const n = checkIf(ifName, at("interfaces", ifName), true);
    if (n !== null) {
      const first = seenIf.get(n);
      if (first !== undefined) {
        p.add(
          at("interfaces", ifName),
          {
            what: formatPath(at("interfaces", ifName)),
            value: ifName,
            expected: `each interface configured once; ${first} is the same interface`,
          },
          true,
        );
      } else seenIf.set(n, ifName);
    }
    const cfg = objOr(value);
    if (cfg.address !== undefined && cfg.dhcp === true) {
      p.add(at("interfaces", ifName, "dhcp"), {
        what: formatPath(at("interfaces", ifName, "dhcp")),
        expected: "either address or dhcp: true, not both",
      });
    }
    if (cfg.tunnel !== undefined && mode !== "controller") {
      p.add(
        at("interfaces", ifName, "tunnel"),
        {
          what: formatPath(at("interfaces", ifName, "tunnel")),
          expected: "no SD-WAN tunnel in autonomous mode",
          fix: medium.fields.includes("mode") ? "remove tunnel, or set mode: controller" : "remove tunnel",
        },
        true,
      );
    }
  }

  if (day0.license !== undefined && isObj(day0.license)) {
    checkLicense(p, at("license"), day0.license, kind, version);
    const source = day0.license["source-interface"];
    if (typeof source === "string") checkIf(source, at("license", "source-interface"), false);
  }
}

/**
 * Every licensing line against the platform and the image release (seed 7.3; cisco-vrouter-facts.md
 * section 4): boot levels per platform, throughput values the platform sells, tiers only from the
 * release that brought them. Kinds without Smart Licensing take only a licence token (auth code,
 * licence file).
 */
function checkLicense(p: Problems, path: Path, license: Obj, kind: KindSpec, version: number[] | null): void {
  const lic = kind.licensing;
  if (lic === null) {
    for (const key of Object.keys(license)) {
      if (key === "token-env") continue;
      p.add(
        [...path, key],
        {
          what: formatPath([...path, key]),
          expected: `only token-env (the ${kind.label} licence) under license of kind ${kind.kind}`,
          fix: `remove ${key}`,
        },
        true,
      );
    }
    return;
  }
  // Only two choices depend on the release: how a CSR registers (register before 17.3.2, trust
  // after) and whether a C8000v takes tiers (17.7.1a on).
  const tier = /^T[0-3]$/.test(String(license["throughput-level"] ?? ""));
  const needs =
    (license["token-env"] !== undefined && lic.registerUntil !== null) || (tier && lic.tiersSince !== null);
  if (version === null && needs) {
    p.add(path, {
      what: formatPath(path),
      expected: `the image's ${kind.label} release, to choose the licensing commands it accepts (the file name holds none)`,
      fix: `add version: (e.g. ${kind.versions.max ?? kind.versions.min ?? "17.9.4a"}) to ${formatPath(path.slice(0, 2))}`,
    });
    return;
  }
  const vText = version?.join(".") ?? "";
  const boot = str(license["boot-level"]);
  if (boot !== undefined && !lic.bootLevels.includes(boot)) {
    p.add([...path, "boot-level"], {
      what: formatPath([...path, "boot-level"]),
      value: boot,
      expected: `a boot level ${kind.label} accepts: ${listOr(lic.bootLevels)}`,
      fix: `set boot-level to ${lic.defaultBootLevel ?? lic.bootLevels[0]}, or remove it${lic.defaultBootLevel ? ` (default ${lic.defaultBootLevel})` : ""}`,
    });
  }
  const level = license["throughput-level"];
  if (level !== undefined && (typeof level === "string" || typeof level === "number")) {
    const t = String(level);
    if (/^T[0-3]$/.test(t)) {
      if (lic.tiersSince === null) {
        p.add([...path, "throughput-level"], {
          what: formatPath([...path, "throughput-level"]),
          value: level,
          expected: `a throughput in Mbps for ${kind.label} (${listOr(lic.throughputMbps)}): tiers T0-T3 are a Catalyst 8000V feature`,
          fix: "set throughput-level to the licensed Mbps, e.g. 250",
        });
      } else if (version !== null && !versionInRange(version, { min: lic.tiersSince, max: null })) {
        p.add([...path, "throughput-level"], {
          what: formatPath([...path, "throughput-level"]),
          value: level,
          expected: `a throughput in Mbps on ${kind.label} ${vText}: tier-based throughput needs ${lic.tiersSince}a or later`,
          fix: `use one of ${listOr(lic.throughputMbps)}, or an image from ${lic.tiersSince}a on`,
        });
      }
    } else if (/^\d+$/.test(t) && !lic.throughputMbps.includes(Number(t))) {
      p.add([...path, "throughput-level"], {
        what: formatPath([...path, "throughput-level"]),
        value: level,
        expected: `a throughput level ${kind.label} sells, in Mbps: ${listOr(lic.throughputMbps)}${lic.tiersSince ? `, or a tier T0-T3 (from ${lic.tiersSince}a)` : ""}`,
        fix: "set throughput-level to the level your licence covers",
      });
    }
  }
}
