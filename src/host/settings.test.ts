import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { displayCommand, withRunner, type Runner } from "../util/exec.js";
import type { HostExecutor } from "./executor.js";
import {
  applySetting,
  captureUndo,
  editCmdline,
  readSetting,
  selectedValue,
  setLine,
  undoSetting,
  type HostSetting,
} from "./settings.js";

describe("host setting edits (pure)", () => {
  it("sets a PREFIX line once: replaced where it was, appended when missing, duplicates dropped", () => {
    const cfg = "# SELINUX= can take...\nSELINUX=enforcing\nSELINUXTYPE=targeted\nSELINUX=permissive\n";
    const once = setLine(cfg, "SELINUX=", "SELINUX=disabled");
    expect(once).toBe("# SELINUX= can take...\nSELINUX=disabled\nSELINUXTYPE=targeted\n");
    expect(setLine(once, "SELINUX=", "SELINUX=disabled")).toBe(once);
    expect(setLine(null, "LANG=", 'LANG="en_US.UTF-8"')).toBe('LANG="en_US.UTF-8"\n');
  });

  it("edits GRUB_CMDLINE_LINUX: adds, replaces a value, removes whole keys only, and is idempotent", () => {
    const grub =
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rhgb quiet hugepages=4 hugepagesz=2M isolcpus=1-3 nohz_full=1-3"\n';
    const set = [
      { key: "hugepagesz", value: "1G" },
      { key: "hugepages", value: "32" },
      { key: "iommu", value: "pt" },
    ];
    const out = editCmdline(grub, "GRUB_CMDLINE_LINUX", set, ["isolcpus", "nohz_full"]);
    expect(out).toBe('GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rhgb quiet hugepagesz=1G hugepages=32 iommu=pt"\n');
    expect(editCmdline(out, "GRUB_CMDLINE_LINUX", set, ["isolcpus", "nohz_full"])).toBe(out);
    expect(editCmdline("GRUB_TIMEOUT=5\n", "GRUB_CMDLINE_LINUX", set, [])).toBe(
      'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="hugepagesz=1G hugepages=32 iommu=pt"\n',
    );
  });

  it("reads the choice in force of a kernel choices file", () => {
    expect(selectedValue("always [madvise] never\n")).toBe("madvise");
    expect(selectedValue("1\n")).toBe("1");
  });
});

/** Records every command; `systemctl is-active` answers from `active`. */
class Recorder implements Runner {
  calls: string[] = [];
  active = true;
  async run(command: string, args: readonly string[]) {
    this.calls.push(displayCommand(command, args));
    const code = command === "systemctl" && args[0] === "is-active" ? (this.active ? 0 : 3) : 0;
    return { command, args: [...args], code, stdout: "", stderr: "" };
  }
}

describe("on this machine (live executor), commands go through the process runner", () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A live executor over a temporary directory: what it would run on a host, without running it.
  async function live(): Promise<HostExecutor> {
    dir = await mkdtemp(join(tmpdir(), "nfvt-host-live-"));
    return { root: dir, live: true, commands: true };
  }

  it("stops and disables firewalld with systemctl, and starts it again on undo", async () => {
    const exec = await live();
    await mkdir(join(dir, "etc/systemd/system/multi-user.target.wants"), { recursive: true });
    await symlink(
      "/usr/lib/systemd/system/firewalld.service",
      join(dir, "etc/systemd/system/multi-user.target.wants/firewalld.service"),
    );
    const s: HostSetting = { kind: "service", id: "firewalld", what: "firewalld", unit: "firewalld.service" };
    const r = new Recorder();
    await withRunner(r, async () => {
      expect((await readSetting(exec, s)).ok).toBe(false);
      const undo = await captureUndo(exec, s);
      await applySetting(exec, s);
      expect(r.calls).toEqual([
        "systemctl is-active --quiet firewalld.service",
        "systemctl is-active --quiet firewalld.service",
        "systemctl disable --now firewalld.service",
      ]);
      r.calls = [];
      await undoSetting(exec, undo);
      expect(r.calls).toEqual(["systemctl daemon-reload", "systemctl start firewalld.service"]);
    });
  });

  it("loads br_netfilter before a net.bridge key exists, and mounts the repository ISO once", async () => {
    const exec = await live();
    await mkdir(join(dir, "proc"), { recursive: true });
    await writeFile(join(dir, "proc/mounts"), "/dev/sda1 / ext4 rw 0 0\n");
    const r = new Recorder();
    const key: HostSetting = {
      kind: "runtime",
      id: "sysctl:net.bridge.bridge-nf-call-iptables",
      what: "bridge",
      path: "/proc/sys/net/bridge/bridge-nf-call-iptables",
      value: "0",
      load: { command: "modprobe", args: ["br_netfilter"] },
    };
    const mount: HostSetting = {
      kind: "mount",
      id: "repo-mount",
      what: "repo",
      source: "/iso/dvd.iso",
      target: "/mnt/cdrom",
      fstype: "iso9660",
      options: "loop",
    };
    await withRunner(r, async () => {
      // The kernel makes the file when the module loads; here the directory stands in for it.
      await mkdir(join(dir, "proc/sys/net/bridge"), { recursive: true });
      await applySetting(exec, key);
      expect(r.calls).toEqual(["modprobe br_netfilter"]);
      expect((await readSetting(exec, mount)).ok).toBe(false);
      const undo = await captureUndo(exec, mount);
      await applySetting(exec, mount);
      expect(r.calls.at(-1)).toBe("mount -t iso9660 -o loop /iso/dvd.iso /mnt/cdrom");
      await writeFile(join(dir, "proc/mounts"), "/dev/loop0 /mnt/cdrom iso9660 ro 0 0\n");
      expect((await readSetting(exec, mount)).ok).toBe(true);
      await undoSetting(exec, undo);
      expect(r.calls.at(-1)).toBe("umount /mnt/cdrom");
    });
    expect(await readFile(join(dir, "proc/sys/net/bridge/bridge-nf-call-iptables"), "utf8")).toBe("0\n");
  });
});

describe("undo removes the directories its apply created, and only those", () => {
  let dir: string;
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = (path: string): HostSetting => ({
    kind: "file",
    id: path,
    what: path,
    path,
    content: "x = 1\n",
    mode: 0o644,
  });

  it("journals the missing directories, removes them when empty again, keeps a pre-existing empty one", async () => {
    dir = await mkdtemp(join(tmpdir(), "nfvt-host-dirs-"));
    const exec: HostExecutor = { root: dir, live: false, commands: false };
    // /etc exists and /etc/kept.d exists empty; /etc/new.d/deep does not.
    await mkdir(join(dir, "etc/kept.d"), { recursive: true });
    const fresh = file("/etc/new.d/deep/90-nfvhost.conf");
    const kept = file("/etc/kept.d/90-nfvhost.conf");
    const undoFresh = await captureUndo(exec, fresh);
    const undoKept = await captureUndo(exec, kept);
    expect(undoFresh.created).toEqual(["/etc/new.d", "/etc/new.d/deep"]);
    expect(undoKept.created).toBeUndefined();
    await applySetting(exec, fresh);
    await applySetting(exec, kept);

    expect(await undoSetting(exec, undoKept)).toBe("removed /etc/kept.d/90-nfvhost.conf (it was new)");
    expect(await readdir(join(dir, "etc"))).toEqual(["kept.d", "new.d"]);
    expect(await undoSetting(exec, undoFresh)).toBe(
      "removed /etc/new.d/deep/90-nfvhost.conf (it was new); removed the directories it had created: /etc/new.d/deep, /etc/new.d",
    );
    expect(await readdir(join(dir, "etc"))).toEqual(["kept.d"]);
  });

  it("leaves a created directory that holds something else by now", async () => {
    dir = await mkdtemp(join(tmpdir(), "nfvt-host-dirs-"));
    const exec: HostExecutor = { root: dir, live: false, commands: false };
    const s = file("/etc/sysctl.d/90-nfvhost.conf");
    const undo = await captureUndo(exec, s);
    await applySetting(exec, s);
    await writeFile(join(dir, "etc/sysctl.d/99-operator.conf"), "vm.x = 1\n");
    expect(await undoSetting(exec, undo)).toBe("removed /etc/sysctl.d/90-nfvhost.conf (it was new)");
    expect(await readdir(join(dir, "etc/sysctl.d"))).toEqual(["99-operator.conf"]);
  });
});
