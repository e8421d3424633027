/**
 * An sshd of the test's own: its own config, host key and a throwaway client key in a temporary
 * directory, listening on 127.0.0.1 on a free high port, stopped (by its own pid) afterwards. The
 * system's sshd is never touched; nothing but 127.0.0.1 is ever a target.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChecked } from "../../src/util/exec.js";

export interface TestSshd {
  dir: string;
  port: number;
  user: string;
  clientKey: string;
  knownHosts: string;
  /** ansible_ssh_common_args for this sshd. */
  sshArgs: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: "127.0.0.1", port }, () => {
        c.end();
        resolve(true);
      });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${log()}`);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), "nfvt-sshd-"));
  const hostKey = join(dir, "host_ed25519");
  const clientKey = join(dir, "client_ed25519");
  await runChecked("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  await runChecked("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey, "-C", "nfvt-fleet"]);
  await writeFile(join(dir, "authorized_keys"), await readFile(`${clientKey}.pub`), { mode: 0o600 });
  const port = await freePort();
  const knownHosts = join(dir, "known_hosts");
  const hostPub = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`, { mode: 0o600 });
  const config = join(dir, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "UsePAM no",
      "StrictModes no",
      "MaxStartups 50",
      "MaxSessions 50",
      "Subsystem sftp /usr/lib/openssh/sftp-server",
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  // sshd's privilege separation directory (Debian creates it at boot only when its own sshd runs).
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  let log = "";
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (b: Buffer) => {
    log += b.toString();
  });
  await waitListening(port, child, () => log);
  const user = "root";
  return {
    dir,
    port,
    user,
    clientKey,
    knownHosts,
    sshArgs: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
