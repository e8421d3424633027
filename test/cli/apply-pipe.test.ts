/**
 * `nfvhost apply` to a pipe or a file (issue 15, section 5): no progress lines, the diff printed
 * once. The CLI runs in-process with stdout captured (not a terminal), as `apply ... | tee log`
 * sees it. The topology only sets the VF count and NetworkManager keyfiles of a copied snapshot
 * root: libvirt is only read (its domains are left as they are). Also as a real process whose
 * stdout and stderr are a file (`apply ... > apply.log 2>&1`).
 */
import { spawn } from "node:child_process";
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { REPO } from "../render/seed.js";

/** listr2's progress: spinner frames, ticks, or a line per started/finished step. */
const PROGRESS = /[✔✖⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏❯]|\[(STARTED|COMPLETED)\]/;

function vfTopology(name: string): { root: string; topology: string } {
  const root = join(dir, `${name}-root`);
  cpSync("examples/hosts/seed-c240m5", root, { recursive: true });
  const topology = join(dir, `${name}.yaml`);
  writeFileSync(topology, "name: pipe-test\nhost:\n  sriov:\n    - pf: eno2\n      vfs: 6\nvnfs: {}\n");
  return { root, topology };
}

const dir = mkdtempSync(join(tmpdir(), "nfvt-apply-pipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("apply to a pipe", () => {
  it("prints no progress frames and each change's diff once", async () => {
    const { root, topology } = vfTopology("pipe");
    const r = await runCli([
      "apply",
      topology,
      "--root",
      root,
      "--connect",
      "qemu:///system",
      "--state",
      join(dir, "state"),
      "--yes",
      "eno2",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).not.toMatch(PROGRESS);
    expect(out).not.toContain("\u001b[");
    expect(out.split("/0000:3b:00.1/sriov_numvfs 4 -> 6")).toHaveLength(2);
    expect(out.split("+vf.0=mac=")).toHaveLength(2);
    expect(out.split("+total-vfs=6")).toHaveLength(2);
    // The 9th: the kernel arguments in /etc/default/grub of the root (its grub.cfg is the host's to
    // regenerate: pending on the host, not run here).
    expect(out.split('+GRUB_CMDLINE_LINUX="hugepagesz=1G')).toHaveLength(2);
    expect(out).toMatch(/pending on the host: .*grub\.cfg.* not run under --root/);
    expect(out).toMatch(/applied 9 change\(s\); journal: /);
    expect(
      readFileSync(
        join(root, "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.1/sriov_numvfs"),
        "utf8",
      ).trim(),
    ).toBe("6");
  });

  it("as a process writing to a file: the same, once, and no terminal control codes", async () => {
    const { root, topology } = vfTopology("file");
    const log = join(dir, "apply.log");
    const fd = openSync(log, "w");
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          join(REPO, "src/cli/run.ts"),
          "apply",
          topology,
          "--root",
          root,
          "--connect",
          "qemu:///system",
          "--state",
          join(dir, "file-state"),
          "--yes",
          "eno2",
        ],
        { cwd: REPO, stdio: ["ignore", fd, fd] },
      );
      child.on("error", reject);
      child.on("close", resolve);
    });
    closeSync(fd);
    const out = readFileSync(log, "utf8");
    expect(code, out).toBe(0);
    expect(out).not.toMatch(PROGRESS);
    expect(out).not.toContain("\u001b[");
    expect(out).not.toContain("\r");
    expect(out.split("/0000:3b:00.1/sriov_numvfs 4 -> 6")).toHaveLength(2);
    expect(out.split("+total-vfs=6")).toHaveLength(2);
    // The 9th: the root's /etc/default/grub, as in the pipe test above.
    expect(out.split('+GRUB_CMDLINE_LINUX="hugepagesz=1G')).toHaveLength(2);
    expect(out).toMatch(/applied 9 change\(s\); journal: /);
  }, 120_000);
});
