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
import { fileURLToPath } from "node:url";
import type { Environment } from "../render/secrets/env.js";
import { run, type RunResult } from "../util/exec.js";
import { assertEnvVarName } from "../util/names.js";
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
  /** ssh: port; absent: ssh's own (22, or the ssh config's). */
  port?: number;
  /** ssh: an ssh_config(5) file used instead of ~/.ssh/config (`ssh -F`): host keys, keys, jump hosts. */
  sshConfig?: string;
  /**
   * ssh: where the day-0 user's password-env is read. Set there: password authentication (through
   * bin/nfvhost-askpass, never on disk or argv); not set: key authentication only (BatchMode).
   */
  env?: Environment;
  timeoutMs?: number;
}

export interface SshDefaults {
  user?: string;
  address?: string;
  /** The day-0 user's password-env (the variable's name, never its value). */
  passwordEnv?: string;
}

/** The management address (first vNIC with a static day-0 address) and the first day-0 user. */
export function sshDefaults(vnf: VnfPlan, user?: string): SshDefaults {
  const day0 = vnf.day0;
  if (!day0) return {};
  const first = Object.entries(day0.interfaces).find(([, c]) => c.address !== undefined);
  const name = user ?? Object.keys(day0.users)[0];
  const passwordEnv = name !== undefined ? day0.users[name]?.passwordEnv : undefined;
  return {
    ...(name !== undefined ? { user: name } : {}),
    ...(first ? { address: first[1].address!.split("/")[0]! } : {}),
    ...(passwordEnv !== undefined ? { passwordEnv } : {}),
  };
}

/** The askpass program ssh runs for a password prompt (src/verify and dist/verify -> bin/). */
export const ASKPASS = fileURLToPath(new URL("../../bin/nfvhost-askpass", import.meta.url));

export interface SshInvocation {
  args: string[];
  /** Added to ssh's environment: the askpass hook, and which variable holds the password. */
  env: Record<string, string>;
}

/**
 * ssh's argv and environment for one command. IOS-XE, like most routers, runs one exec command per
 * SSH session and closes it, so every command gets its own session. With a password: password and
 * keyboard-interactive only (a key agent's keys would use up the router's few auth tries first).
 */
export function sshInvocation(o: {
  user: string;
  address: string;
  command: string;
  timeoutMs: number;
  port?: number;
  sshConfig?: string;
  passwordEnv: string | null;
}): SshInvocation {
  const auth = o.passwordEnv
    ? [
        "-o",
        "BatchMode=no",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PreferredAuthentications=keyboard-interactive,password",
        "-o",
        "NumberOfPasswordPrompts=1",
      ]
    : ["-o", "BatchMode=yes"];
  return {
    args: [
      "-n",
      "-T",
      ...(o.sshConfig !== undefined ? ["-F", o.sshConfig] : []),
      ...auth,
      "-o",
      `ConnectTimeout=${Math.ceil(o.timeoutMs / 1000)}`,
      ...(o.port !== undefined ? ["-p", String(o.port)] : []),
      "-l",
      o.user,
      "--",
      o.address,
      o.command,
    ],
    env: o.passwordEnv
      ? { SSH_ASKPASS: ASKPASS, SSH_ASKPASS_REQUIRE: "force", NFVHOST_ASKPASS_ENV: o.passwordEnv }
      : {},
  };
}

/** Why an ssh session failed, from OpenSSH's exit 255 and its last words, with the fix. */
function sshFailure(
  r: RunResult,
  o: {
    vnf: string;
    user: string;
    address: string;
    port?: number;
    passwordEnv: string | null;
    day0Env?: string;
  },
): NfvError {
  const said = r.stderr.trim().split("\n").pop() ?? "";
  const target = `${o.user}@${o.address}${o.port !== undefined ? ` port ${o.port}` : ""}`;
  let expected = "an SSH session to the router";
  let fix = "check that the VNF is up and its management address answers (or use --via serial)";
  if (/Permission denied|Too many authentication failures/i.test(r.stderr)) {
    expected = o.passwordEnv
      ? `the password in $${o.passwordEnv} accepted for ${o.user}`
      : "a key-authenticated session (BatchMode: no password prompt)";
    fix = o.passwordEnv
      ? `check that $${o.passwordEnv} holds ${o.user}'s day-0 password`
      : o.day0Env
        ? `export ${o.day0Env} (the day-0 password of ${o.user}), or install your key for ${o.user} on the router`
        : `install your key for ${o.user} on the router, or use --via serial`;
  } else if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(r.stderr)) {
    expected = "a router host key that ssh knows";
    fix = `compare the key's fingerprint with the router's (\`show ip ssh\` on its console), then add it to known_hosts (ssh-keyscan${o.port !== undefined ? ` -p ${o.port}` : ""} ${o.address}) or pass --ssh-config with a UserKnownHostsFile`;
  }
  return new NfvError({
    what: `ssh ${target} (${o.vnf})`,
    value: said || `exit ${r.code}`,
    expected,
    fix,
    exitCode: 1,
    code: "NFV-EXEC-SSH",
  });
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
    const defaults = vnf.plan ? sshDefaults(vnf.plan, target.user) : {};
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
    if (
      target.port !== undefined &&
      !(Number.isInteger(target.port) && target.port > 0 && target.port < 65536)
    )
      throw new NfvError({ what: "ssh port", value: target.port, expected: "an integer 1-65535" });
    const env = target.env ?? {};
    const day0Env = defaults.passwordEnv;
    if (day0Env !== undefined) assertEnvVarName(day0Env, `password-env of day-0 user ${user}`);
    const password = day0Env !== undefined ? env[day0Env] : undefined;
    const passwordEnv = day0Env !== undefined && password !== undefined && password !== "" ? day0Env : null;
    const out: ParsedCommand[] = [];
    for (const command of commands) {
      const call = sshInvocation({
        user,
        address,
        command,
        timeoutMs,
        passwordEnv,
        ...(target.port !== undefined ? { port: target.port } : {}),
        ...(target.sshConfig !== undefined ? { sshConfig: target.sshConfig } : {}),
      });
      const r = await run("ssh", call.args, {
        timeoutMs,
        // The password reaches ssh's askpass as it reaches nfvhost: in the environment.
        env: { ...process.env, ...(passwordEnv ? { [passwordEnv]: password } : {}), ...call.env },
      });
      if (r.code === 255 || (r.code !== 0 && r.stdout.trim() === "")) {
        throw sshFailure(r, {
          vnf: vnf.name,
          user,
          address,
          passwordEnv,
          ...(target.port !== undefined ? { port: target.port } : {}),
          ...(day0Env !== undefined ? { day0Env } : {}),
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
