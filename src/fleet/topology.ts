/**
 * A fleet topology: a topology file (networks, VNFs, optionally a default `host:`) whose VNFs may
 * also say `host: NAME` (pin), `hosts: {label: value}` (selector) and `priority: N`, plus a
 * top-level `groups:` section of anti-affinity / affinity groups. The fleet keys are taken off and
 * checked here; everything else is checked by the topology loader's own schema and semantic rules,
 * with locations in the fleet file.
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument, stringify } from "yaml";
import { NfvError, NfvErrors } from "../util/errors.js";
import { buildTopology } from "../topology/build.js";
import { decodeTopologyText, parseTopology, TOPOLOGY_MAX_BYTES } from "../topology/load.js";
import { mapSchemaErrors, schemaValidator } from "../topology/schema-errors.js";
import { checkSemantics } from "../topology/semantic.js";
import { SourceMap, type Path } from "../topology/source.js";
import type { Topology } from "../topology/types.js";
import type { FleetGroup, FleetHost, FleetTopology, FleetVnf } from "./types.js";

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

/** The keys a fleet VNF may carry beyond a topology VNF's. */
const FLEET_VNF_KEYS = ["host", "hosts", "priority"] as const;
const LABEL_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

export function parseFleetTopology(text: string, file: string): FleetTopology {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) {
    // The topology loader words YAML errors (file:line:column, fix): let it.
    parseTopology(text, file);
  }
  const src = new SourceMap(doc, lines, file);
  const errors: NfvError[] = [];
  const err = (path: Path, what: string, value: unknown, expected: string, fix: string) =>
    errors.push(
      new NfvError({
        code: "NFV-FLEET-TOPO",
        what: `${what}`,
        value,
        expected,
        fix,
        location: src.locate(path),
      }),
    );
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (!isObj(raw)) {
    throw new NfvError({
      code: "NFV-FLEET-TOPO",
      what: "fleet topology",
      expected: "a mapping with name, networks, vnfs and optionally groups (see docs/fleet.md)",
      fix: "start from examples/fleet/fleet.yaml",
      location: src.locate([]),
    });
  }

  const vnfsRaw = isObj(raw.vnfs) ? raw.vnfs : {};
  const stripped: Raw = { ...raw, vnfs: {} };
  delete stripped.groups;
  const fleetVnfs: Omit<FleetVnf, "spec">[] = [];
  Object.entries(vnfsRaw).forEach(([name, v], index) => {
    const body: Raw = isObj(v) ? { ...v } : (v as Raw);
    const fv: Omit<FleetVnf, "spec"> = { priority: 0, index };
    if (isObj(v)) {
      if (v.host !== undefined) {
        if (typeof v.host !== "string" || v.host === "")
          err(
            ["vnfs", name, "host"],
            `vnfs.${name}.host`,
            v.host,
            "an inventory host name",
            "name the host to pin to",
          );
        else fv.host = v.host;
      }
      if (v.hosts !== undefined) {
        if (!isObj(v.hosts) || Object.keys(v.hosts).length === 0)
          err(
            ["vnfs", name, "hosts"],
            `vnfs.${name}.hosts`,
            v.hosts,
            "a mapping of label: value",
            "e.g. hosts: {site: fra1}",
          );
        else {
          const sel: Record<string, string> = {};
          for (const [k, val] of Object.entries(v.hosts)) {
            if (!LABEL_KEY.test(k) || (typeof val !== "string" && typeof val !== "number"))
              err(
                ["vnfs", name, "hosts", k],
                `vnfs.${name}.hosts.${k}`,
                val,
                "label: value (strings)",
                "e.g. site: fra1",
              );
            else sel[k] = String(val);
          }
          fv.selector = sel;
        }
      }
      if (v.priority !== undefined) {
        if (!Number.isInteger(v.priority) || (v.priority as number) < 0 || (v.priority as number) > 1000)
          err(
            ["vnfs", name, "priority"],
            `vnfs.${name}.priority`,
            v.priority,
            "an integer 0-1000",
            "higher is kept first",
          );
        else fv.priority = v.priority as number;
      }
      for (const k of FLEET_VNF_KEYS) delete body[k];
    }
    (stripped.vnfs as Raw)[name] = body;
    fleetVnfs.push(fv);
  });
  const names = Object.keys(vnfsRaw);
  const groups = parseGroups(raw.groups, new Set(names), err);

  const validate = schemaValidator();
  if (!validate(stripped)) errors.push(...mapSchemaErrors(validate.errors ?? [], stripped, src));
  errors.push(...checkSemantics(stripped, src));
  if (errors.length > 0) {
    const unique = [...new Map(errors.map((e) => [e.message, e])).values()];
    throw new NfvErrors(
      unique,
      `${file}: ${unique.length} problem(s)\n${unique.map((e) => e.message).join("\n")}`,
    );
  }
  const topology = buildTopology(stripped as Parameters<typeof buildTopology>[0]);
  return {
    file,
    name: topology.name,
    base: stripped,
    topology,
    vnfs: fleetVnfs.map((fv, i) => ({ ...fv, spec: topology.vnfs[i]! })),
    groups,
  };
}

function parseGroups(
  v: unknown,
  vnfs: Set<string>,
  err: (path: Path, what: string, value: unknown, expected: string, fix: string) => void,
): FleetGroup[] {
  if (v === undefined || v === null) return [];
  if (!isObj(v)) {
    err(
      ["groups"],
      "groups",
      v,
      "a mapping of group name: {vnfs, anti-affinity | affinity}",
      "see docs/fleet.md",
    );
    return [];
  }
  const out: FleetGroup[] = [];
  const antiOf = new Map<string, string>();
  for (const [name, g] of Object.entries(v)) {
    const at = ["groups", name];
    if (!isObj(g)) {
      err(at, `groups.${name}`, g, "a mapping with vnfs and anti-affinity or affinity", "see docs/fleet.md");
      continue;
    }
    const unknown = Object.keys(g).filter((k) => !["vnfs", "anti-affinity", "affinity"].includes(k));
    for (const k of unknown)
      err(
        [...at, k],
        `groups.${name}.${k}`,
        k,
        "one of vnfs, anti-affinity, affinity",
        "remove or rename the key",
      );
    const list = Array.isArray(g.vnfs) ? g.vnfs : [];
    if (list.length < 2)
      err(
        [...at, "vnfs"],
        `groups.${name}.vnfs`,
        g.vnfs,
        "a list of two or more VNF names",
        "name the VNFs of the group",
      );
    list.forEach((n, i) => {
      if (typeof n !== "string" || !vnfs.has(n))
        err(
          [...at, "vnfs", i],
          `groups.${name}.vnfs[${i}]`,
          n,
          `a VNF of this file (${[...vnfs].join(", ")})`,
          "check the spelling",
        );
    });
    const anti = g["anti-affinity"];
    const aff = g.affinity;
    if ((anti === undefined) === (aff === undefined))
      err(
        at,
        `groups.${name}`,
        Object.keys(g).join(","),
        "exactly one of anti-affinity or affinity",
        "e.g. anti-affinity: site",
      );
    if (anti !== undefined && (typeof anti !== "string" || !LABEL_KEY.test(anti)))
      err(
        [...at, "anti-affinity"],
        `groups.${name}.anti-affinity`,
        anti,
        "host, or a label key (site, rack ...)",
        "e.g. anti-affinity: rack",
      );
    if (aff !== undefined && aff !== "host")
      err(
        [...at, "affinity"],
        `groups.${name}.affinity`,
        aff,
        "host",
        "affinity: host keeps the VNFs on one host",
      );
    // One anti-affinity group per VNF: the placement solver keeps one key apart per VNF.
    if (typeof anti === "string")
      list.forEach((n, i) => {
        if (typeof n !== "string") return;
        const other = antiOf.get(n);
        if (other !== undefined)
          err(
            [...at, "vnfs", i],
            `groups.${name}.vnfs[${i}]`,
            n,
            `a VNF in one anti-affinity group only (it is in ${other} already)`,
            `list every VNF that must stay apart in one group, with the widest key (site over rack over host)`,
          );
        else antiOf.set(n, name);
      });
    out.push({
      name,
      vnfs: list.filter((n): n is string => typeof n === "string"),
      ...(typeof anti === "string" ? { antiAffinity: anti } : {}),
      ...(aff === "host" ? { affinity: "host" as const } : {}),
    });
  }
  return out;
}

export async function loadFleetTopology(file: string): Promise<FleetTopology> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new NfvError({
      code: "NFV-FLEET-TOPO",
      what: "fleet topology file",
      value: file,
      expected: "a readable file",
      fix: `check the path (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      location: { file },
    });
  }
  if (buf.length > TOPOLOGY_MAX_BYTES)
    throw new NfvError({
      code: "NFV-FLEET-TOPO",
      what: "fleet topology file",
      value: `${buf.length} bytes`,
      expected: `at most ${TOPOLOGY_MAX_BYTES} bytes`,
      location: { file },
    });
  return parseFleetTopology(decodeTopologyText(buf, file), file);
}

/** VNF specs by name, per fleet: per-host topologies look their VNFs up instead of scanning all. */
const specIndex = new WeakMap<
  FleetTopology,
  Map<string, { index: number; spec: Topology["vnfs"][number] }>
>();
function specsOf(fleet: FleetTopology) {
  let m = specIndex.get(fleet);
  if (!m) {
    m = new Map(fleet.topology.vnfs.map((spec, index) => [spec.name, { index, spec }]));
    specIndex.set(fleet, m);
  }
  return m;
}

/** The given VNFs in fleet file order. */
function inFileOrder(fleet: FleetTopology, vnfs: readonly string[]): Topology["vnfs"] {
  const m = specsOf(fleet);
  return vnfs
    .map((n) => m.get(n))
    .filter((x): x is NonNullable<typeof x> => x !== undefined)
    .sort((a, b) => a.index - b.index)
    .map((x) => x.spec);
}

/** Networks a VNF's interfaces name. */
export function networksOf(fleet: FleetTopology, vnfs: readonly string[]): string[] {
  const used = new Set<string>();
  for (const v of inFileOrder(fleet, vnfs))
    for (const i of v.interfaces) if ("network" in i && i.network) used.add(i.network);
  return [...used];
}

/**
 * The topology one host gets: this host's `host:` section (inventory nfvhost_host, else the fleet
 * file's), the networks its VNFs use, and its VNFs in fleet file order. Validated as any topology
 * file; problems point at the inventory variable.
 */
export function hostTopologyRaw(fleet: FleetTopology, host: FleetHost, vnfs: readonly string[]): Raw {
  const want = new Set(vnfs);
  const baseVnfs = isObj(fleet.base.vnfs) ? fleet.base.vnfs : {};
  const baseNets = isObj(fleet.base.networks) ? fleet.base.networks : {};
  const nets = new Set(networksOf(fleet, vnfs));
  const raw: Raw = { name: fleet.name };
  if (fleet.base.lab !== undefined) raw.lab = fleet.base.lab;
  const section = host.hostSection ?? (isObj(fleet.base.host) ? fleet.base.host : undefined);
  if (section !== undefined) raw.host = section;
  const networks = Object.fromEntries(Object.entries(baseNets).filter(([n]) => nets.has(n)));
  if (Object.keys(networks).length > 0) raw.networks = networks;
  const list = inFileOrder(fleet, [...want]).map((v): [string, unknown] => [v.name, baseVnfs[v.name]]);
  if (list.length > 0) raw.vnfs = Object.fromEntries(list);
  return raw;
}

/** A host's `host:` section, validated once as a topology of its own (problems name the host). */
const sections = new WeakMap<FleetTopology, Map<string, Topology["host"]>>();
export function hostSection(fleet: FleetTopology, host: FleetHost): Topology["host"] {
  // Hosts of one group share their section: each distinct section is validated once.
  let m = sections.get(fleet);
  if (!m) sections.set(fleet, (m = new Map()));
  const key = JSON.stringify(host.hostSection ?? null);
  let spec = m.get(key);
  if (!spec) {
    spec = hostTopology(fleet, host, []).topology.host;
    m.set(key, spec);
  }
  return spec;
}

/**
 * hostTopology without re-reading YAML: the fleet's validated VNFs and networks with the host's
 * validated section. What the planner gets; `raw` is what the host's topology.yaml holds.
 */
export function hostTopologyFast(
  fleet: FleetTopology,
  host: FleetHost,
  spec: Topology["host"],
  vnfs: readonly string[],
): { raw: Raw; topology: Topology } {
  const want = new Set(vnfs);
  const nets = new Set(networksOf(fleet, vnfs));
  return {
    raw: hostTopologyRaw(fleet, host, vnfs),
    topology: {
      ...fleet.topology,
      host: spec,
      networks: fleet.topology.networks.filter((n) => nets.has(n.name)),
      vnfs: inFileOrder(fleet, [...want]),
    },
  };
}

export function hostTopology(
  fleet: FleetTopology,
  host: FleetHost,
  vnfs: readonly string[],
): { raw: Raw; topology: Topology } {
  const raw = hostTopologyRaw(fleet, host, vnfs);
  const parsed = parseTopology(stringify(raw), `${fleet.file} on host ${host.name}`);
  return { raw, topology: parsed.topology };
}
