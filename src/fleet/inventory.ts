/**
 * Reads an Ansible inventory (INI or YAML, groups, children, host_vars/ and group_vars/) with
 * Ansible's own parser, `ansible-inventory --list`, so nfvhost sees exactly the hosts and merged
 * variables ansible-playbook will. The variables nfvhost reads are documented in docs/fleet.md.
 */
import { existsSync } from "node:fs";
import { NfvError } from "../util/errors.js";
import { run, type RunResult } from "../util/exec.js";
import { validateDomainName } from "../util/names.js";
import type { FleetHost, Inventory } from "./types.js";

export const INSTALL_ANSIBLE =
  "install ansible-core: `apt-get install ansible-core` (Debian/Ubuntu), `dnf install ansible-core` (RHEL/Fedora), or `pipx install ansible-core`";

export type Runner = (command: string, args: readonly string[]) => Promise<RunResult>;

/** Runs an Ansible program; a missing one is an error that says how to install it. */
export async function runAnsible(
  runner: Runner,
  program: string,
  args: readonly string[],
): Promise<RunResult> {
  try {
    return await runner(program, args);
  } catch (e) {
    if (e instanceof NfvError && e.message.startsWith(`cannot run ${program}`)) {
      throw new NfvError({
        code: "NFV-FLEET-ANSIBLE",
        what: `${program}`,
        value: "not found",
        expected: "ansible-core installed (nfvhost reads inventories and deploys fleets with it)",
        fix: INSTALL_ANSIBLE,
        exitCode: 1,
      });
    }
    throw e;
  }
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function badVar(host: string, variable: string, value: unknown, expected: string): NfvError {
  return new NfvError({
    code: "NFV-FLEET-INVENTORY",
    what: `host ${host}, variable ${variable}`,
    value,
    expected,
    fix: `set ${variable} in host_vars/${host}.yml or the group's group_vars (see docs/fleet.md)`,
  });
}

function optString(host: string, vars: Json, key: string): string | undefined {
  const v = vars[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" && typeof v !== "number") throw badVar(host, key, v, "a string");
  return String(v);
}

/** Ansible splits ansible_ssh_common_args with shlex; nfvhost accepts the plain-word subset. */
function splitArgs(host: string, key: string, v: string | undefined): string[] {
  if (v === undefined) return [];
  if (/['"\\`$]/.test(v)) throw badVar(host, key, v, "plain space-separated ssh options (no quotes)");
  return v.split(/\s+/).filter((s) => s !== "");
}

function commandOf(host: string, vars: Json): string[] {
  const v = vars.nfvhost_command;
  if (v === undefined || v === null) return ["nfvhost"];
  if (typeof v === "string" && v.trim() !== "") return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && s !== ""))
    return v as string[];
  throw badVar(
    host,
    "nfvhost_command",
    v,
    "a path, or an argv list like [/usr/bin/node, /opt/nfvhost/bin/nfvhost.js]",
  );
}

function labelsOf(host: string, vars: Json): Record<string, string> {
  const v = vars.nfvhost_labels;
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw badVar(host, "nfvhost_labels", v, "a mapping of label: value (site: fra1, rack: r12)");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string" && typeof val !== "number")
      throw badVar(host, `nfvhost_labels.${k}`, val, "a string or number");
    out[k] = String(val);
  }
  return out;
}

/** Transitive group membership from the --list output's hosts/children. */
function membership(list: Json): Map<string, Set<string>> {
  const children = new Map<string, string[]>();
  const direct = new Map<string, string[]>();
  for (const [g, body] of Object.entries(list)) {
    if (g === "_meta" || !isObj(body)) continue;
    children.set(g, Array.isArray(body.children) ? (body.children as string[]) : []);
    direct.set(g, Array.isArray(body.hosts) ? (body.hosts as string[]) : []);
  }
  const out = new Map<string, Set<string>>();
  const walk = (group: string, seen: Set<string>): string[] => {
    if (seen.has(group)) return [];
    seen.add(group);
    return [...(direct.get(group) ?? []), ...(children.get(group) ?? []).flatMap((c) => walk(c, seen))];
  };
  for (const g of direct.keys()) {
    for (const h of walk(g, new Set())) {
      if (!out.has(h)) out.set(h, new Set());
      out.get(h)!.add(g);
    }
  }
  return out;
}

export function hostFromVars(name: string, vars: Json, groups: string[]): FleetHost {
  const port = optString(name, vars, "ansible_port") ?? optString(name, vars, "ansible_ssh_port");
  if (port !== undefined && !/^\d{1,5}$/.test(port))
    throw badVar(name, "ansible_port", port, "a TCP port number");
  const address = optString(name, vars, "ansible_host") ?? name;
  const user = optString(name, vars, "ansible_user") ?? optString(name, vars, "ansible_ssh_user");
  const key =
    optString(name, vars, "ansible_ssh_private_key_file") ??
    optString(name, vars, "ansible_private_key_file");
  const hostSection = vars.nfvhost_host;
  if (hostSection !== undefined && hostSection !== null && !isObj(hostSection))
    throw badVar(name, "nfvhost_host", hostSection, "a mapping: the topology's host: section for this host");
  const snapshot = optString(name, vars, "nfvhost_snapshot");
  const root = optString(name, vars, "nfvhost_root");
  const stateDir = optString(name, vars, "nfvhost_state_dir");
  const labels = { ...labelsOf(name, vars) };
  return {
    name,
    ssh: {
      address,
      ...(port !== undefined ? { port: Number(port) } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(key !== undefined ? { privateKeyFile: key } : {}),
      extraArgs: [
        ...splitArgs(name, "ansible_ssh_common_args", optString(name, vars, "ansible_ssh_common_args")),
        ...splitArgs(name, "ansible_ssh_extra_args", optString(name, vars, "ansible_ssh_extra_args")),
      ],
    },
    libvirtUri: optString(name, vars, "nfvhost_libvirt_uri") ?? `qemu+ssh://${address}/system`,
    ...(snapshot !== undefined ? { snapshot } : {}),
    ...(root !== undefined ? { root } : {}),
    ...(stateDir !== undefined ? { stateDir } : {}),
    labels,
    groups: groups.filter((g) => g !== "all" && g !== "ungrouped").sort(),
    ...(isObj(hostSection) ? { hostSection } : {}),
    command: commandOf(name, vars),
  };
}

/** The parsed `ansible-inventory --list` document -> hosts sorted by name. */
export function inventoryFromList(file: string, list: unknown): Inventory {
  if (!isObj(list) || !isObj(list._meta) || !isObj(list._meta.hostvars))
    throw new NfvError({
      code: "NFV-FLEET-INVENTORY",
      what: "ansible-inventory --list output",
      value: file,
      expected: "a JSON document with _meta.hostvars",
      fix: "run `ansible-inventory -i FILE --list` yourself and check its output",
      exitCode: 1,
    });
  const hostvars = list._meta.hostvars;
  const groups = membership(list);
  const names = new Set<string>([...Object.keys(hostvars), ...groups.keys()]);
  const hosts: FleetHost[] = [];
  for (const name of [...names].sort()) {
    // Host names become directory names of the render and the reports: a domain name's rules.
    const bad = validateDomainName(name);
    if (bad !== null)
      throw new NfvError({
        code: "NFV-FLEET-INVENTORY",
        what: "host name",
        value: name,
        expected: `a name usable as a directory name (${bad})`,
        fix: "rename the host in the inventory and set ansible_host to its address",
      });
    const vars = hostvars[name];
    hosts.push(hostFromVars(name, isObj(vars) ? vars : {}, [...(groups.get(name) ?? [])]));
  }
  if (hosts.length === 0)
    throw new NfvError({
      code: "NFV-FLEET-INVENTORY",
      what: "inventory",
      value: file,
      expected: "at least one host",
      fix: "add hosts to the inventory (see docs/fleet.md)",
    });
  return { file, hosts };
}

/** Reads INVENTORY with `ansible-inventory -i INVENTORY --list`. */
export async function loadInventory(file: string, runner: Runner = run): Promise<Inventory> {
  if (!existsSync(file))
    throw new NfvError({
      code: "NFV-FLEET-INVENTORY",
      what: "inventory",
      value: file,
      expected: "an Ansible inventory file or directory (INI or YAML)",
      fix: "check the path given to -i",
    });
  const r = await runAnsible(runner, "ansible-inventory", ["-i", file, "--list"]);
  // ansible-inventory only warns on an unparsable source and prints an empty inventory.
  const warn = r.stderr
    .split("\n")
    .filter((l) => /\[WARNING\]: (Unable to parse|Failed to parse)/.test(l))
    .join(" ");
  if (r.code !== 0 || warn !== "") {
    throw new NfvError({
      code: "NFV-FLEET-INVENTORY",
      what: "inventory",
      value: file,
      expected: "an inventory ansible-inventory can parse",
      fix: `${(warn || r.stderr).trim().slice(0, 600) || `ansible-inventory exited ${r.code}`}`,
    });
  }
  let list: unknown;
  try {
    list = JSON.parse(r.stdout);
  } catch {
    list = null;
  }
  return inventoryFromList(file, list);
}

/** `--limit a,b` / `web:&fra1` is Ansible's; nfvhost accepts a comma list of hosts and groups. */
export function limitHosts(inv: Inventory, limit: string | undefined): Inventory {
  if (limit === undefined || limit.trim() === "") return inv;
  const words = limit
    .split(/[,:]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const known = new Set([...inv.hosts.map((h) => h.name), ...inv.hosts.flatMap((h) => h.groups)]);
  const unknown = words.filter((w) => !known.has(w));
  if (unknown.length > 0)
    throw new NfvError({
      code: "NFV-FLEET-LIMIT",
      what: "--limit",
      value: unknown.join(","),
      expected: `host or group names of the inventory (${[...known].sort().join(", ")})`,
      fix: "check the spelling",
    });
  const set = new Set(words);
  return { ...inv, hosts: inv.hosts.filter((h) => set.has(h.name) || h.groups.some((g) => set.has(g))) };
}
