/**
 * Issue #11 item 5: a snapshot-root apply of a topology with sysctl, THP, SELinux, firewalld, a
 * local repository, LANG and kernel arguments to add and to remove converges them under the root;
 * a second apply changes nothing; verify passes; rollback restores every file. The boot loader's
 * commands are those of the host the root is: EL7 BIOS, EL7 UEFI, Debian, EL8 (grubby) — golden
 * files under test/golden/host-settings/.
 *
 * No libvirtd: virsh answers as an empty libvirt, and the host commands (grub2-mkconfig,
 * update-grub, grubby) go through the injected process runner, which records them (grubby keeps
 * its boot entries' arguments, so add, remove and rollback are real edits). Anything else that
 * would touch this machine (systemctl, modprobe, mount) must not run under a snapshot root.
 */
import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyTopology, type ApplyOptions } from "../src/apply/index.js";
import { rollbackLast } from "../src/apply/operate.js";
import { Virsh } from "../src/libvirt/virsh.js";
import { verifyTopology } from "../src/verify/index.js";
import { displayCommand, spawnRunner, withRunner, type Runner, type RunOptions } from "../src/util/exec.js";
import { expectGolden } from "./support/golden.js";

const REPO = new URL("..", import.meta.url).pathname;
const SEED = join(REPO, "examples/hosts/seed-c240m5");
const BOOT = join(REPO, "test/fixtures/hosts/boot");
const TOPO = join(REPO, "test/fixtures/apply/host-settings.yaml");
const GOLDEN = join(REPO, "test/golden/host-settings");
/** A local URI no test daemon answers at: virsh is the fake below, and the host lock is its own. */
const CONNECT = "qemu:///session";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The seed snapshot with a small tree of boot and OS files over it. */
async function hostRoot(layers: string[], remove: string[] = []): Promise<{ root: string; state: string }> {
  const dir = await mkdtemp(join(tmpdir(), "nfvt-host-settings-"));
  dirs.push(dir);
  const root = join(dir, "root");
  await cp(SEED, root, { recursive: true });
  for (const r of remove) await rm(join(root, r), { recursive: true, force: true });
  for (const l of layers) await cp(join(BOOT, l), root, { recursive: true });
  return { root, state: join(dir, "state") };
}

/**
 * Every directory, file and symlink under a root: path -> mode and content, or link target. A
 * directory counts on its own, so one an apply created and a rollback left (empty) shows.
 */
async function tree(root: string, dir = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of await readdir(join(root, dir))) {
    const rel = join(dir, n);
    const st = await lstat(join(root, rel));
    if (st.isDirectory()) {
      out.set(`${rel}/`, `dir ${(st.mode & 0o777).toString(8)}`);
      for (const [k, v] of await tree(root, rel)) out.set(k, v);
    } else if (st.isSymbolicLink()) out.set(rel, `-> ${await readlink(join(root, rel))}`);
    else out.set(rel, `${(st.mode & 0o777).toString(8)} ${await readFile(join(root, rel), "utf8")}`);
  }
  return out;
}

const VERSION =
  "Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0\n";

/** An empty libvirt, a recording boot loader, a grubby with state; nothing else of the host. */
class FakeHost implements Runner {
  readonly calls: string[] = [];
  /** grubby's boot entries: the kernel arguments of each. */
  entries = [
    "ro crashkernel=auto resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rhgb quiet isolcpus=1-8,37-44 nohz_full=1-8",
    "ro crashkernel=auto resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rhgb quiet isolcpus=1-8,37-44 nohz_full=1-8",
  ].map((e) => e.split(" "));

  async run(command: string, args: readonly string[], opts?: RunOptions) {
    const ok = (stdout = "") => ({ command, args: [...args], code: 0, stdout, stderr: "" });
    if (command === "virsh") {
      if (args.includes("version")) return ok(VERSION);
      if (args.includes("list") || args.includes("net-list")) return ok("");
      return { command, args: [...args], code: 1, stdout: "", stderr: "error: no such object" };
    }
    if (command === "grubby") return ok(this.grubby(args));
    if (["grub2-mkconfig", "update-grub"].includes(command)) {
      this.calls.push(displayCommand(command, args));
      return ok();
    }
    if (["systemctl", "modprobe", "mount", "umount", "setenforce", "reboot"].includes(command)) {
      throw new Error(`${displayCommand(command, args)} would change this machine, not the snapshot root`);
    }
    return spawnRunner.run(command, args, opts);
  }

  private grubby(args: readonly string[]): string {
    if (args[0] === "--info=ALL") {
      return this.entries
        .map((e, i) => `index=${i}\nkernel="/boot/vmlinuz-4.18.0-513.el8.x86_64"\nargs="${e.join(" ")}"\n`)
        .join("");
    }
    this.calls.push(displayCommand("grubby", args));
    const set = args.find((a) => a.startsWith("--args="))?.slice(7);
    const remove = args.find((a) => a.startsWith("--remove-args="))?.slice(14);
    const key = (w: string) => w.split("=")[0];
    this.entries = this.entries.map((e) => {
      let words = [...e];
      for (const w of (remove ?? "").split(" ").filter(Boolean))
        words = words.filter((x) => key(x) !== key(w));
      for (const w of (set ?? "").split(" ").filter(Boolean)) {
        const at = words.findIndex((x) => key(x) === key(w));
        if (at >= 0) words[at] = w;
        else words.push(w);
      }
      return words;
    });
    return "";
  }
}

function applyOpts(root: string, state: string, over: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    topologyFile: TOPO,
    connect: CONNECT,
    stateDir: state,
    root,
    dryRun: false,
    yes: [],
    adopt: false,
    allowUnlocked: true,
    stopTimeoutMs: 0,
    env: {},
    renderer: "silent",
    hostCommands: true,
    ...over,
  };
}

const HOSTS = [
  { name: "el7-bios", layers: ["el7-common", "el7-bios"], remove: [] as string[], boot: "etc/default/grub" },
  { name: "el7-efi", layers: ["el7-common", "el7-efi"], remove: [], boot: "etc/default/grub" },
  { name: "debian12", layers: ["debian12"], remove: ["etc/selinux"], boot: "etc/default/grub.d/nfvhost.cfg" },
  { name: "el8-grubby", layers: ["el7-common", "el8"], remove: [], boot: null },
];

describe("apply converges every host setting on a snapshot root", () => {
  for (const h of HOSTS) {
    it(`${h.name}: converges, then changes nothing, verify passes, rollback restores; boot commands as golden`, async () => {
      const { root, state } = await hostRoot(h.layers, h.remove);
      const before = await tree(root);
      const host = new FakeHost();
      const log: string[] = [];
      const at = (what: string) => log.push(`# ${what}`, ...host.calls.splice(0));
      const inRunner = <T>(fn: () => Promise<T>) => withRunner(host, fn);

      const first = await inRunner(() => applyTopology(applyOpts(root, state)));
      at("apply");
      const changed = first.changes.map((c) => c.name);
      const el = h.name !== "debian12";
      expect(changed).toEqual(
        expect.arrayContaining([
          "sysctl-file",
          "sysctl:net.ipv4.ip_forward",
          "sysctl:vm.swappiness",
          "thp",
          "thp-tmpfiles",
          "repo-file",
          "repo-fstab",
          "repo-mount",
          "lang",
          "kernel-args",
          ...(el ? ["selinux-config", "selinux-enforce", "firewalld", "repo-aside"] : []),
          ...(h.boot ? ["boot-loader"] : []),
        ]),
      );
      expect(first.applied).toBe(first.changes.length);
      // The reboot is the operator's: reported, never run nor chained to a command.
      expect(first.pending.map((p) => p.command)).toContain(
        "reboot when the host may go down (nfvhost never reboots it)",
      );
      expect(JSON.stringify(first)).not.toMatch(/&& *reboot/);

      // Under the root: every setting as planned.
      const file = (p: string) => readFile(join(root, p), "utf8");
      expect(await file("etc/sysctl.d/90-nfvhost.conf")).toContain("net.ipv4.ip_forward = 1\n");
      expect((await file("proc/sys/net/ipv4/ip_forward")).trim()).toBe("1");
      expect((await file("proc/sys/vm/swappiness")).trim()).toBe("10");
      expect((await file("sys/kernel/mm/transparent_hugepage/enabled")).trim()).toBe(
        "always madvise [never]",
      );
      expect(await file("etc/tmpfiles.d/nfvhost-thp.conf")).toContain(
        "w /sys/kernel/mm/transparent_hugepage/enabled - - - - never",
      );
      expect(await file("etc/fstab")).toMatch(
        /\n\/opt\/iso\/CentOS-7-x86_64-Everything-2003\.iso \/mnt\/cdrom iso9660 loop 0 0\n$/,
      );
      expect((await lstat(join(root, "mnt/cdrom"))).isDirectory()).toBe(true);
      if (el) {
        expect(await file("etc/selinux/config")).toMatch(/^SELINUX=disabled$/m);
        expect(await file("etc/selinux/config")).toMatch(/^SELINUXTYPE=targeted$/m);
        expect((await file("sys/fs/selinux/enforce")).trim()).toBe("0");
        await expect(
          lstat(join(root, "etc/systemd/system/multi-user.target.wants/firewalld.service")),
        ).rejects.toThrow();
        expect(await readdir(join(root, "etc/yum.repos.d/bak"))).toEqual([
          "CentOS-Base.repo",
          "CentOS-Updates.repo",
        ]);
        expect(await readdir(join(root, "etc/yum.repos.d"))).toEqual(["bak", "epel.repo", "local.repo"]);
        expect(await file("etc/locale.conf")).toBe('LANG="en_US.UTF-8"\n');
      } else {
        expect(await file("etc/apt/sources.list.d/nfvhost-local.list")).toContain(
          "deb [trusted=yes] file:/mnt/cdrom stable main",
        );
        expect(await file("etc/default/locale")).toBe('LANG="en_US.UTF-8"\n');
      }
      const bootFile = h.boot ? await file(h.boot) : null;
      if (h.boot) log.push(`# /${h.boot} after apply`, ...bootFile!.trimEnd().split("\n"));
      if (h.name === "debian12") log.push("# update-grub sees", await grubSees(root));
      if (h.name === "el8-grubby")
        log.push("# grubby entries after apply", ...host.entries.map((e) => e.join(" ")));

      // A second apply finds nothing to do and runs nothing.
      const second = await inRunner(() => applyTopology(applyOpts(root, state)));
      expect(second.changes).toEqual([]);
      expect(second.converged).toBe(true);
      expect(host.calls).toEqual([]);

      // verify: every host setting passes; what a snapshot cannot show (run state, mounts) and
      // the kernel arguments waiting for the reboot are warnings, not failures.
      const report = await inRunner(() =>
        verifyTopology({
          topologyFile: TOPO,
          connect: CONNECT,
          stateDir: state,
          root,
          env: {},
          persist: false,
        }),
      );
      expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(report.ok).toBe(true);
      const args = report.checks.find((c) => c.check === "kernel arguments")!;
      expect(args.status).toBe("warn");
      expect(args.have).toContain("pending reboot");
      for (const id of ["kernel parameters at boot", "transparent hugepages never now", "LANG=en_US.UTF-8"])
        expect(report.checks.find((c) => c.check === id)?.status).toBe("pass");

      // rollback puts every file back as it was, and regenerates the boot loader from it.
      const rb = await inRunner(() =>
        rollbackLast(new Virsh(CONNECT), { stateDir: state, yes: new Set(), dryRun: false }),
      );
      at("rollback");
      expect(rb.steps.every((s) => s.done)).toBe(true);
      expect(await tree(root)).toEqual(before);
      if (h.name === "el8-grubby")
        log.push("# grubby entries after rollback", ...host.entries.map((e) => e.join(" ")));
      await expectGolden(join(GOLDEN, `${h.name}.txt`), `${log.join("\n")}\n`);
    });
  }

  it("lab mode leaves the boot loader, SELinux and firewalld alone (npm test never retunes its machine)", async () => {
    const { root, state } = await hostRoot(["el7-common", "el7-bios"]);
    const lab = join(state, "..", "lab.yaml");
    await writeFile(lab, (await readFile(TOPO, "utf8")).replace(/^host:/m, "lab: true\nhost:"));
    const host = new FakeHost();
    const r = await withRunner(host, () =>
      applyTopology(applyOpts(root, state, { topologyFile: lab, dryRun: true })),
    );
    const names = r.changes.map((c) => c.name);
    for (const id of ["kernel-args", "boot-loader", "selinux-config", "selinux-enforce", "firewalld"])
      expect(names).not.toContain(id);
    expect(names).toEqual(expect.arrayContaining(["sysctl-file", "thp", "lang", "repo-file"]));
    expect(r.pending[0]!.what).toContain("lab mode: apply leaves the boot loader alone");
    expect(host.calls).toEqual([]);
  });

  it("under --root without the test hook, the boot loader is not run: it is reported for the host", async () => {
    const { root, state } = await hostRoot(["el7-common", "el7-efi"]);
    const host = new FakeHost();
    const r = await withRunner(host, () => applyTopology(applyOpts(root, state, { hostCommands: false })));
    expect(host.calls).toEqual([]);
    expect(r.changes.map((c) => c.name)).not.toContain("boot-loader");
    expect(r.pending).toContainEqual({
      what: "/boot/efi/EFI/centos/grub.cfg (EFI boot) regenerated: not run under --root (it would change this machine's boot loader)",
      command: "on the host: grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg",
      onHost: true,
    });
    expect(await readFile(join(root, "etc/default/grub"), "utf8")).toContain("intel_iommu=on iommu=pt");
    // verify of that root: the regeneration is the host's to run, a warning with its command.
    const v = await withRunner(host, () =>
      verifyTopology({
        topologyFile: TOPO,
        connect: CONNECT,
        stateDir: state,
        root,
        env: {},
        persist: false,
      }),
    );
    expect(v.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(v.checks.find((c) => c.check.startsWith("/boot/efi/EFI/centos/grub.cfg"))).toMatchObject({
      status: "warn",
      fix: "on the host: grub2-mkconfig -o /boot/efi/EFI/centos/grub.cfg",
    });
    expect(host.calls).toEqual([]);
  });
});

/** GRUB_CMDLINE_LINUX and _DEFAULT as update-grub sees them: /etc/default/grub, then the drop-in. */
async function grubSees(root: string): Promise<string> {
  const r = await spawnRunner.run("sh", [
    "-c",
    '. "$1"; . "$2"; printf \'LINUX=%s\\nDEFAULT=%s\' "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"',
    "sh",
    join(root, "etc/default/grub"),
    join(root, "etc/default/grub.d/nfvhost.cfg"),
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}
