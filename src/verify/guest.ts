/**
 * In-guest checks (seed 5.8): commands run inside a VNF over its serial console or over SSH to its
 * management address with the day-0 user, their output parsed into data, and the vNIC driver per
 * interface compared with what the plan gave it (a VF -> the VF driver the vendor documents, an
 * emulated NIC -> the model's driver). Tested against a scripted IOS-XE-like console in the test
 * guest; no real IOS-XE was tried (docs/apply.md, "In-guest checks").
 */
import type { InterfacePlan, VnfPlan } from "../plan/types.js";
import { KINDS, type NicModel } from "../topology/kinds.js";
import { NfvError } from "../util/errors.js";
import { run } from "../util/exec.js";
import { execOnConsole, serialPty, type ConsoleCommandResult } from "../libvirt/console-exec.js";
import type { Virsh } from "../libvirt/virsh.js";

export interface VnicMapping {
  interface: string;
  driver: string;
  /** aa:bb:cc:dd:ee:ff */
  mac: string;
}

/** `show platform software vnic-if interface-mapping` -> one row per vNIC. */
export function parseVnicMapping(text: string): VnicMapping[] {
  const rows: VnicMapping[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\S+)\s+(\S+)\s+([0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})\s*$/i.exec(line);
    if (!m) continue;
    const hex = m[3]!.replace(/\./g, "").toLowerCase();
    rows.push({ interface: m[1]!, driver: m[2]!, mac: hex.match(/../g)!.join(":") });
  }
  return rows;
}

/** `show platform hardware throughput level` -> kbps. */
export function parseThroughputLevel(text: string): { kbps: number } | null {
  const m = /throughput level is (\d+) (kbps|kb\/s)/i.exec(text);
  return m ? { kbps: Number(m[1]) } : null;
}

export interface SdwanControlConnection {
  peerType: string;
  protocol: string;
  systemIp: string;
  siteId: number;
  privateIp: string;
  publicIp: string;
  state: string;
  uptime: string;
}

/**
 * `show sdwan control connections`: one row per controller. The header spans three lines and the
 * organization column may hold spaces, so rows are read by their fixed leading columns and the
 * trailing state, uptime and group id.
 */
export function parseSdwanControl(text: string): SdwanControlConnection[] {
  const rows: SdwanControlConnection[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim().split(/\s+/);
    if (!/^(vsmart|vbond|vmanage|vedge)$/.test(t[0] ?? "") || t.length < 12) continue;
    rows.push({
      peerType: t[0]!,
      protocol: t[1]!,
      systemIp: t[2]!,
      siteId: Number(t[3]),
      privateIp: t[5]!,
      publicIp: t[7]!,
      state: t[t.length - 3]!,
      uptime: t[t.length - 2]!,
    });
  }
  return rows;
}

export interface ParsedCommand extends ConsoleCommandResult {
  /** Structured form of known show commands; null for others. */
  parsed: unknown;
  /** The router refused the command (`% Invalid input` and the like). */
  error: string | null;
}

export function parseCommand(r: ConsoleCommandResult): ParsedCommand {
  const error = /^% .*$/m.exec(r.output)?.[0] ?? null;
  const c = r.command.trim().replace(/\s+/g, " ");
  let parsed: unknown = null;
  if (!error) {
    if (/^show platform software vnic-if interface-mapping$/.test(c)) parsed = parseVnicMapping(r.output);
    else if (/^show platform hardware throughput level$/.test(c)) parsed = parseThroughputLevel(r.output);
    else if (/^show sdwan control connections$/.test(c)) parsed = parseSdwanControl(r.output);
  }
  return { ...r, parsed, error };
}

export interface ExecTarget {
  via: "serial" | "ssh";
  /** ssh: user@address; the day-0 user and the management address unless given. */
  user?: string;
  address?: string;
  timeoutMs?: number;
}

/** The management address (first vNIC with a static day-0 address) and the first day-0 user. */
export function sshDefaults(vnf: VnfPlan): { user?: string; address?: string } {
  const day0 = vnf.day0;
  if (!day0) return {};
  const first = Object.entries(day0.interfaces).find(([, c]) => c.address !== undefined);
  const user = Object.keys(day0.users)[0];
  return {
    ...(user !== undefined ? { user } : {}),
    ...(first ? { address: first[1].address!.split("/")[0]! } : {}),
  };
}

const SAFE_ARG = /^[\x20-\x7e]+$/;

/** Runs commands in the VNF and parses what they print. */
export async function execInVnf(
  virsh: Virsh,
  vnf: { name: string; kind: VnfPlan["kind"]; plan?: VnfPlan },
  commands: readonly string[],
  target: ExecTarget,
): Promise<ParsedCommand[]> {
  for (const c of commands) {
    if (!SAFE_ARG.test(c) || c.trim() === "")
      throw new NfvError({ what: "command", value: c, expected: "one line of printable ASCII" });
  }
  const kind = KINDS[vnf.kind];
  const timeoutMs = target.timeoutMs ?? 30_000;
  if (target.via === "ssh") {
    const defaults = vnf.plan ? sshDefaults(vnf.plan) : {};
    const user = target.user ?? defaults.user;
    const address = target.address ?? defaults.address;
    if (!user || !address) {
      throw new NfvError({
        what: `ssh to ${vnf.name}`,
        value: `user ${user ?? "?"}, address ${address ?? "?"}`,
        expected: "a day-0 user and a management address (or --user and --address)",
        fix: "pass --user and --address, or use --via serial",
      });
    }
    if (!/^[A-Za-z0-9._-]+$/.test(user) || !/^[0-9A-Fa-f.:]+$/.test(address))
      throw new NfvError({
        what: "ssh target",
        value: `${user}@${address}`,
        expected: "a user name and an IP address",
      });
    const out: ParsedCommand[] = [];
    for (const command of commands) {
      // BatchMode: key authentication only; a password prompt would hang a script.
      const r = await run(
        "ssh",
        [
          "-o",
          "BatchMode=yes",
          "-o",
          `ConnectTimeout=${Math.ceil(timeoutMs / 1000)}`,
          "-l",
          user,
          address,
          command,
        ],
        { timeoutMs },
      );
      if (r.code !== 0 && r.stdout.trim() === "") {
        throw new NfvError({
          what: `ssh ${user}@${address} (${vnf.name})`,
          value: r.stderr.trim().split("\n").pop(),
          expected: "a key-authenticated SSH session (BatchMode)",
          fix: `install your key for ${user} on the router, or use --via serial`,
          exitCode: 1,
        });
      }
      out.push(parseCommand({ command, output: r.stdout.replace(/\r/g, "").trim() }));
    }
    return out;
  }
  if (!kind.prompt) {
    throw new NfvError({
      what: `VNF ${vnf.name}`,
      value: vnf.kind,
      expected:
        "a kind whose console prompt nfvhost knows (the vendor kinds); a generic VNF's console is its own",
      fix: "use --via ssh",
    });
  }
  const pty = serialPty(await virsh.dumpXml(vnf.name));
  if (!pty) {
    throw new NfvError({
      what: `VNF ${vnf.name}`,
      value: "no serial pty",
      expected: "a running domain with a pty serial console (nfvhost's domains have one)",
      fix: `virsh start ${vnf.name}`,
      exitCode: 1,
    });
  }
  const ios = kind.prompt.source.includes("[>#]");
  const results = await execOnConsole(pty, commands, {
    prompt: kind.prompt,
    privileged: ios,
    timeoutMs,
    setup: ios ? ["terminal length 0"] : [],
    vnf: vnf.name,
  });
  return results.map(parseCommand);
}

export interface DriverCheck {
  interface: string;
  mac: string;
  /** What the plan gives the vNIC. */
  attachment: InterfacePlan["type"];
  want: string[];
  have: string | null;
  ok: boolean;
}

/** The drivers the guest should use on a vNIC of this kind (IOS-XE names them by DPDK PMD). */
export function expectedDrivers(vnf: VnfPlan, iface: InterfacePlan): string[] {
  const kind = KINDS[vnf.kind];
  if (iface.type === "sriov-pool" || iface.type === "sriov-hostdev") return [...kind.vfDrivers];
  const d = kind.guestDrivers[iface.model as NicModel];
  return d ? [d] : [];
}

/** vNIC driver per interface from the guest's own table, matched by MAC. */
export function checkDrivers(vnf: VnfPlan, mapping: readonly VnicMapping[]): DriverCheck[] {
  return vnf.interfaces.map((i) => {
    const row = mapping.find((m) => m.mac === i.mac.toLowerCase()) ?? null;
    const want = expectedDrivers(vnf, i);
    return {
      interface: row?.interface ?? i.guestName,
      mac: i.mac,
      attachment: i.type,
      want,
      have: row?.driver ?? null,
      ok: row !== null && (want.length === 0 || want.includes(row.driver)),
    };
  });
}
