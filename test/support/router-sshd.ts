/**
 * A router's SSH server for `nfvhost exec --via ssh` and `verify --guest-via ssh`: an sshd of the
 * test's own on 127.0.0.1 (free port, throwaway host key, its own config), whose ForceCommand
 * answers IOS-XE's show commands the way the test guest's serial console does (no real IOS-XE was
 * tried). It logs in a throwaway user by password only, as a router's day-0 user logs in.
 *
 * The user exists only for this sshd: it runs in a private mount namespace (`unshare -m`) where a
 * copy of /etc/passwd with the user and a one-line shadow file are bind-mounted, and /run is a
 * private tmpfs (sshd's privilege separation directory). The host's users, its sshd and /run are
 * left as they were. The process is stopped by its own pid.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encrypt } from "unixcrypt";
import { runChecked } from "../../src/util/exec.js";
import { freePort } from "../fleet/sshd.js";
import { ROUTER_SHELL_HELPERS } from "./guest.js";
import { createConnection } from "node:net";

export interface RouterSshd {
  port: number;
  user: string;
  /** An ssh_config for the client: this sshd's port and host key (nfvhost --ssh-config). */
  clientConfig: string;
  /** Every command a session asked for, as sshd handed it to the ForceCommand. */
  commands(): Promise<string[]>;
  stop(): Promise<void>;
}

export interface RouterNic {
  mac: string;
  /** Linux driver name the router's vNIC table reports (as PMD: virtio_net -> net_virtio). */
  driver: string;
}

/** The ForceCommand: one IOS-XE exec command per session, from $SSH_ORIGINAL_COMMAND. */
function routerScript(dir: string): string {
  return `#!/bin/sh
${ROUTER_SHELL_HELPERS}
printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> ${dir}/log/commands
cmd=$(printf '%s' "$SSH_ORIGINAL_COMMAND" | tr -s ' ')
case "$cmd" in
  "show platform software vnic-if interface-mapping")
    echo
    echo "-------------------------------------------------------------"
    echo " Interface Name        Driver Name         Mac Addr"
    echo "-------------------------------------------------------------"
    n=1
    for nic in $(ls ${dir}/net | sort -V); do
      drv=$(basename "$(readlink ${dir}/net/$nic/device/driver)")
      printf ' %-21s %-19s %s\\n' "GigabitEthernet$n" "$(pmd "$drv")" "$(cisco_mac "$(cat ${dir}/net/$nic/address)")"
      n=$((n+1))
    done
    echo "-------------------------------------------------------------"
    ;;
  "show platform hardware throughput level") echo "The current throughput level is 1000 kb/s" ;;
  "show version") echo "Cisco IOS XE Software, Version 17.09.04a (nfvhost test sshd: NOT a real IOS-XE)" ;;
  *) echo "% Invalid input detected at '^' marker." ;;
esac
`;
}

/** Runs in the private mount namespace: the user's passwd and shadow lines, a private /run, sshd. */
const NAMESPACE_SCRIPT = `set -e
mount --bind "$1/passwd" /etc/passwd
mount --bind "$1/shadow" /etc/shadow
mount -t tmpfs -o mode=0755 nfvt-run /run
mkdir -m 0755 /run/sshd
exec /usr/sbin/sshd -D -e -f "$1/sshd_config"
`;

async function unusedUid(): Promise<number> {
  const used = new Set(
    (await readFile("/etc/passwd", "utf8")).split("\n").map((l) => Number(l.split(":")[2])),
  );
  for (let uid = 61000 + Math.floor(Math.random() * 900); ; uid++) if (!used.has(uid)) return uid;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: "127.0.0.1", port }, () => {
      c.end();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

/**
 * Starts the router's sshd. `password` is the day-0 password the test put in the environment;
 * only its SHA-512 crypt hash is written (mode 0600, in a directory of the test's own).
 */
export async function startRouterSshd(opts: {
  user: string;
  password: string;
  nics: RouterNic[];
}): Promise<RouterSshd> {
  const dir = await mkdtemp(join(tmpdir(), "nfvt-router-sshd-"));
  // The ForceCommand runs as the throwaway user: it must reach the script, net/ and log/.
  await chmod(dir, 0o755);
  const hostKey = join(dir, "host_ed25519");
  await runChecked("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  const uid = await unusedUid();
  await writeFile(
    join(dir, "passwd"),
    `${await readFile("/etc/passwd", "utf8")}${opts.user}:x:${uid}:65534:nfvhost test router user:${dir}:/bin/sh\n`,
    { mode: 0o644 },
  );
  const hash = encrypt(opts.password, "$6$");
  await writeFile(join(dir, "shadow"), `${opts.user}:${hash}:20000:0:99999:7:::\n`, { mode: 0o600 });
  for (const [i, nic] of opts.nics.entries()) {
    const n = join(dir, "net", `eth${i}`);
    await mkdir(join(n, "device"), { recursive: true });
    await mkdir(join(dir, "drivers", nic.driver), { recursive: true });
    await writeFile(join(n, "address"), `${nic.mac}\n`);
    await symlink(join(dir, "drivers", nic.driver), join(n, "device", "driver"));
  }
  await mkdir(join(dir, "log"), { mode: 0o777 });
  await chmod(join(dir, "log"), 0o777);
  await writeFile(join(dir, "router.sh"), routerScript(dir), { mode: 0o755 });
  await writeFile(join(dir, "namespace.sh"), NAMESPACE_SCRIPT, { mode: 0o700 });
  const port = await freePort();
  await writeFile(
    join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AllowUsers ${opts.user}`,
      // A router's day-0 user logs in by password: a key or an empty password must not get in.
      "AuthenticationMethods password",
      "PasswordAuthentication yes",
      "PermitEmptyPasswords no",
      "PubkeyAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin no",
      "UsePAM no",
      "StrictModes no",
      `ForceCommand /bin/sh ${join(dir, "router.sh")}`,
      "LogLevel ERROR",
      "",
    ].join("\n"),
  );
  const knownHosts = join(dir, "known_hosts");
  const hostPub = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`, { mode: 0o600 });
  const clientConfig = join(dir, "ssh_config");
  await writeFile(
    clientConfig,
    [
      "Host 127.0.0.1",
      `  Port ${port}`,
      `  UserKnownHostsFile ${knownHosts}`,
      "  StrictHostKeyChecking yes",
      "  GlobalKnownHostsFile /dev/null",
      "",
    ].join("\n"),
  );

  let log = "";
  const child = spawn(
    "unshare",
    ["--mount", "--propagation", "private", "/bin/sh", join(dir, "namespace.sh"), dir],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr!.on("data", (b: Buffer) => {
    log += b.toString();
  });
  const deadline = Date.now() + 15_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
      throw new Error(`router sshd did not listen on 127.0.0.1:${port} (exit ${child.exitCode}): ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    user: opts.user,
    clientConfig,
    async commands() {
      const text = await readFile(join(dir, "log", "commands"), "utf8").catch(() => "");
      return text.split("\n").filter((l) => l !== "");
    },
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
