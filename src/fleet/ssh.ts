/**
 * OpenSSH as Ansible drives it: the inventory's connection variables turned into an ssh argv, and
 * the remote command quoted for the remote shell word by word (ssh joins its arguments with spaces,
 * so an unquoted name would be shell syntax on the far side).
 */
import { run, type RunResult } from "../util/exec.js";
import type { SshTarget } from "./types.js";

/** POSIX shell single-quoting: the only character that needs care inside '...' is ' itself. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function sshArgv(t: SshTarget, remote: readonly string[], connectTimeoutS = 10): string[] {
  return [
    "-o",
    "BatchMode=yes",
    "-o",
    `ConnectTimeout=${connectTimeoutS}`,
    ...(t.port !== undefined ? ["-p", String(t.port)] : []),
    ...(t.user !== undefined ? ["-l", t.user] : []),
    ...(t.privateKeyFile !== undefined ? ["-i", t.privateKeyFile, "-o", "IdentitiesOnly=yes"] : []),
    ...t.extraArgs,
    "--",
    t.address,
    remote.map(shellQuote).join(" "),
  ];
}

export type SshRunner = (args: readonly string[], timeoutMs: number) => Promise<RunResult>;

export const runSsh: SshRunner = (args, timeoutMs) => run("ssh", args, { timeoutMs });

export type SshFailure = "unreachable" | "permission" | "host-key" | "not-installed" | "failed";

/** What a failed ssh run means, from OpenSSH's exit 255 and its messages, or the remote's 127. */
export function classifySsh(r: RunResult): SshFailure {
  if (r.code === 255) {
    if (/Permission denied|Too many authentication failures/i.test(r.stderr)) return "permission";
    if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(r.stderr))
      return "host-key";
    return "unreachable";
  }
  if (r.code === 127 || /command not found|No such file or directory/.test(r.stderr)) return "not-installed";
  return "failed";
}

export const SSH_FIX: Record<SshFailure, string> = {
  unreachable: "check ansible_host/ansible_port and that sshd runs there (ssh -p PORT HOST)",
  permission:
    "check ansible_user and ansible_ssh_private_key_file, and that the key is in the host's authorized_keys",
  "host-key": "verify the host's key and add it to known_hosts (ssh-keyscan), as Ansible requires too",
  "not-installed": "install nfvhost on the host (npm install -g nfvhost), or set nfvhost_command to its path",
  failed: "run the command on the host by hand to see why",
};
