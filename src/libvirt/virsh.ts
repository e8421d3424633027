/**
 * A thin adapter over `virsh --connect URI`: every libvirt side effect nfvhost has goes through
 * here, so a remote host (qemu+ssh://) works the same way as the local one. Failures become
 * NfvErrors that name the domain or network, the virsh command and libvirt's own message.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NfvError, PROGRAM_MESSAGE_LIMIT } from "../util/errors.js";
import { displayCommand, run, type RunResult } from "../util/exec.js";
import {
  parseDomainList,
  parseDomiflist,
  parseEmulatorpin,
  parseKeyValues,
  parseNetworkList,
  parseNumatune,
  parseVcpupin,
  type DomainListEntry,
  type DomIfEntry,
  type NetworkListEntry,
} from "./parse.js";

export const DEFAULT_CONNECT = "qemu:///system";

/** --connect wins, then NFVHOST_CONNECT, then qemu:///system. */
export function resolveConnect(flag?: string): string {
  return flag || process.env.NFVHOST_CONNECT || DEFAULT_CONNECT;
}

/** What a virsh call acts on, for the error message. */
export interface VirshSubject {
  kind: "domain" | "network" | "host";
  name?: string;
}

/** libvirt's words for "no daemon answers at this URI" (stopped, crashed, or killed mid-call). */
export function isUnreachable(message: string): boolean {
  return /Failed to connect socket|failed to connect to the hypervisor|Connection refused|Connection reset by peer|End of file while reading data|Cannot recv data|Cannot write data/i.test(
    message,
  );
}

function fixFor(message: string, uri: string): string | undefined {
  if (isUnreachable(message)) {
    return `start libvirtd (systemctl start libvirtd, or \`libvirtd -d\` without systemd) and check \`${displayCommand("virsh", ["--connect", uri, "version"])}\``;
  }
  if (/Domain not found|failed to get domain/i.test(message)) return "check the name with `virsh list --all`";
  if (/Network not found|failed to get network/i.test(message))
    return "check the name with `virsh net-list --all`";
  if (/Cannot access storage file|No such file or directory/i.test(message)) {
    return "create the missing file or fix its path in the topology";
  }
  if (/hugetlbfs|hugepage/i.test(message)) {
    return "mount hugetlbfs for the page size (mount -t hugetlbfs -o pagesize=1G none /dev/hugepages1G), then restart libvirtd";
  }
  if (/RLIMIT_MEMLOCK|cannot limit locked memory|Cannot set up guest memory|locked memory/i.test(message)) {
    return "raise the memlock limit of libvirtd (LimitMEMLOCK=infinity) or drop <locked/> (lab mode)";
  }
  return undefined;
}

export class Virsh {
  readonly uri: string;
  private readonly timeoutMs: number;

  constructor(uri: string = resolveConnect(), opts: { timeoutMs?: number } = {}) {
    this.uri = uri;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /** The argv used to run `args`, for messages and dry-run output. */
  argv(args: readonly string[]): string[] {
    return ["--connect", this.uri, ...args];
  }

  display(args: readonly string[]): string {
    return displayCommand("virsh", this.argv(args));
  }

  async raw(args: readonly string[]): Promise<RunResult> {
    return run("virsh", this.argv(args), { timeoutMs: this.timeoutMs, env: { ...process.env, LC_ALL: "C" } });
  }

  /** Runs virsh and returns stdout; a non-zero exit is an NfvError naming subject and command. */
  async call(args: readonly string[], subject: VirshSubject = { kind: "host" }): Promise<string> {
    const r = await this.raw(args);
    if (r.code !== 0) {
      const message = (r.stderr || r.stdout)
        .split("\n")
        .map((l) => l.replace(/^error:\s*/, "").trim())
        .filter(Boolean)
        .join(": ");
      const who = subject.kind === "host" ? "libvirt" : `${subject.kind} ${subject.name ?? "?"}`;
      // Say first that the daemon is gone: the virsh subcommand is not what went wrong.
      const down = isUnreachable(message) ? ` (libvirtd is not running or not reachable at ${this.uri})` : "";
      throw new NfvError({
        what: `${who}: \`${this.display(args)}\` failed${down}`,
        value: message || `exit ${r.code}`,
        valueLimit: PROGRAM_MESSAGE_LIMIT,
        fix: fixFor(message, this.uri),
        exitCode: 1,
      });
    }
    return r.stdout;
  }

  /** Fails early with a clear message when libvirtd does not answer. */
  async ping(): Promise<{ libvirt: string; hypervisor: string | null }> {
    const out = await this.call(["version"]);
    const lib = /Using library: libvirt (\S+)/.exec(out)?.[1] ?? "?";
    const hv = /Running hypervisor: (.+)/.exec(out)?.[1]?.trim() ?? null;
    return { libvirt: lib, hypervisor: hv };
  }

  // ---- domains -------------------------------------------------------------------------------

  async listDomains(): Promise<DomainListEntry[]> {
    return parseDomainList(await this.call(["list", "--all"]));
  }

  async domainExists(name: string): Promise<boolean> {
    const r = await this.raw(["domstate", name]);
    if (r.code === 0) return true;
    if (/failed to get domain|Domain not found/i.test(r.stderr)) return false;
    // Anything else (libvirtd down) is an error the caller must see.
    await this.call(["domstate", name], { kind: "domain", name });
    return false;
  }

  async domState(name: string): Promise<string> {
    return (await this.call(["domstate", name], { kind: "domain", name })).trim();
  }

  async dumpXml(name: string, opts: { inactive?: boolean } = {}): Promise<string> {
    const args = ["dumpxml", ...(opts.inactive ? ["--inactive"] : []), name];
    return this.call(args, { kind: "domain", name });
  }

  /** virsh define reads a file: write the XML to a private temp file, define, remove it. */
  async define(name: string, xml: string): Promise<void> {
    await withTempXml(xml, (file) => this.call(["define", file], { kind: "domain", name }));
  }

  async start(name: string): Promise<void> {
    await this.call(["start", name], { kind: "domain", name });
  }

  async resume(name: string): Promise<void> {
    await this.call(["resume", name], { kind: "domain", name });
  }

  async autostart(name: string, enable = true): Promise<void> {
    await this.call(["autostart", ...(enable ? [] : ["--disable"]), name], { kind: "domain", name });
  }

  /**
   * Names of the domains set to autostart, for all domains in one virsh process (instead of one
   * `dominfo` per domain). A name not in the set is not set to autostart (or not defined).
   */
  async autostartDomains(): Promise<Set<string>> {
    const out = await this.call(["list", "--all", "--autostart", "--name"]);
    return new Set(
      out
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    );
  }

  async isAutostart(name: string): Promise<boolean> {
    return (await this.dominfo(name))["Autostart"] === "enable";
  }

  async shutdown(name: string): Promise<void> {
    await this.call(["shutdown", name], { kind: "domain", name });
  }

  async destroy(name: string): Promise<void> {
    await this.call(["destroy", name], { kind: "domain", name });
  }

  /**
   * Removes the definition only. Disks are the user's: this never passes --remove-all-storage or
   * --storage, and there is deliberately no way to ask for it.
   */
  async undefine(name: string): Promise<void> {
    await this.call(["undefine", "--nvram", name], { kind: "domain", name }).catch(async (e: unknown) => {
      // --nvram fails on domains without firmware NVRAM on some libvirt versions: retry plain.
      if (e instanceof NfvError && /nvram/i.test(String(e.details.value))) {
        await this.call(["undefine", name], { kind: "domain", name });
      } else throw e;
    });
  }

  /** Stops a domain: ACPI shutdown, then a hard stop after `timeoutMs`. Disks are untouched. */
  async stop(name: string, timeoutMs: number): Promise<"shutdown" | "destroyed"> {
    if (timeoutMs > 0) {
      await this.shutdown(name).catch(() => undefined);
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if ((await this.domState(name)) === "shut off") return "shutdown";
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if ((await this.domState(name)) !== "shut off") await this.destroy(name);
    return "destroyed";
  }

  async vcpupin(name: string): Promise<Map<number, number[]>> {
    return parseVcpupin(await this.call(["vcpupin", name], { kind: "domain", name }));
  }

  async setVcpupin(name: string, vcpu: number, cpuset: string, live: boolean): Promise<void> {
    const flags = live ? ["--live", "--config"] : ["--config"];
    await this.call(["vcpupin", name, String(vcpu), cpuset, ...flags], { kind: "domain", name });
  }

  async emulatorpin(name: string): Promise<number[] | null> {
    return parseEmulatorpin(await this.call(["emulatorpin", name], { kind: "domain", name }));
  }

  async setEmulatorpin(name: string, cpuset: string, live: boolean): Promise<void> {
    const flags = live ? ["--live", "--config"] : ["--config"];
    await this.call(["emulatorpin", name, cpuset, ...flags], { kind: "domain", name });
  }

  async numatune(name: string): Promise<{ mode: string | null; nodeset: number[] }> {
    return parseNumatune(await this.call(["numatune", name], { kind: "domain", name }));
  }

  async domiflist(name: string): Promise<DomIfEntry[]> {
    return parseDomiflist(await this.call(["domiflist", name], { kind: "domain", name }));
  }

  async dominfo(name: string): Promise<Record<string, string>> {
    return parseKeyValues(await this.call(["dominfo", name], { kind: "domain", name }));
  }

  /**
   * PID of the domain's qemu process: libvirt's pid file on the local host; otherwise the
   * process whose command line names the domain (`-name guest=NAME`).
   */
  async qemuPid(name: string, root = "/"): Promise<number | null> {
    try {
      const text = await readFile(join(root, "run/libvirt/qemu", `${name}.pid`), "utf8");
      const pid = Number(text.trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch {
      /* not local, or not running */
    }
    const r = await run("ps", ["-eo", "pid=,args="]);
    for (const line of r.stdout.split("\n")) {
      const m = /^\s*(\d+)\s+(.*)$/.exec(line);
      if (m && /qemu/.test(m[2]!) && new RegExp(`-name (guest=)?${escapeRe(name)}(,|\\s|$)`).test(m[2]!)) {
        return Number(m[1]);
      }
    }
    return null;
  }

  // ---- networks ------------------------------------------------------------------------------

  async listNetworks(): Promise<NetworkListEntry[]> {
    return parseNetworkList(await this.call(["net-list", "--all"]));
  }

  async netDumpXml(name: string, opts: { inactive?: boolean } = {}): Promise<string> {
    return this.call(["net-dumpxml", ...(opts.inactive ? ["--inactive"] : []), name], {
      kind: "network",
      name,
    });
  }

  async netDefine(name: string, xml: string): Promise<void> {
    await withTempXml(xml, (file) => this.call(["net-define", file], { kind: "network", name }));
  }

  async netStart(name: string): Promise<void> {
    await this.call(["net-start", name], { kind: "network", name });
  }

  async netAutostart(name: string, enable = true): Promise<void> {
    await this.call(["net-autostart", ...(enable ? [] : ["--disable"]), name], { kind: "network", name });
  }

  async netDestroy(name: string): Promise<void> {
    await this.call(["net-destroy", name], { kind: "network", name });
  }

  async netUndefine(name: string): Promise<void> {
    await this.call(["net-undefine", name], { kind: "network", name });
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function withTempXml<T>(xml: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "nfvhost-xml-"));
  const file = join(dir, "object.xml");
  try {
    await writeFile(file, xml, { mode: 0o600 });
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
