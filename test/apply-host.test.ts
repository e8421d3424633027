/**
 * The host steps of apply (hugepages per node, sriov_numvfs, NetworkManager keyfiles) against a
 * copy of the seed server's snapshot root: this machine has no SR-IOV hardware, so the sysfs
 * writes land in the copy. libvirt is only read (the plan keeps what runs there).
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeChanges } from "../src/apply/changes.js";
import { executeChange } from "../src/apply/execute.js";
import { prepare } from "../src/apply/index.js";
import { Virsh } from "../src/libvirt/virsh.js";
import { Journal } from "../src/state/journal.js";
import { run } from "../src/util/exec.js";

const SEED = new URL("../examples/hosts/seed-c240m5", import.meta.url).pathname;
const TOPO = new URL("../examples/topologies/seed-csr1kv.yaml", import.meta.url).pathname;
const PF_DIR = "sys/devices/pci0000:3a/0000:3a:00.0/0000:3b:00.1";
const env = { CSR_ADMIN_PASSWORD: "nfvt-seed-Secret1" };

let dir: string;
let root: string;
let state: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-apply-host-"));
  root = join(dir, "root");
  state = join(dir, "state");
  await cp(SEED, root, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * The snapshot's libvirt: nothing defined. Not this machine's libvirtd, whose domains (other
 * suites' lab VNFs running side by side) are not the seed server's and would count as taken.
 */
class EmptyLibvirt extends Virsh {
  override async listDomains() {
    return [];
  }
  override async autostartDomains() {
    return new Set<string>();
  }
  override async listNetworks() {
    return [];
  }
}

async function changeSet(yes: string[] = []) {
  const virsh = new EmptyLibvirt("qemu:///system");
  const ctx = await prepare({ topologyFile: TOPO, root, stateDir: state, allowUnlocked: false, env }, virsh);
  return {
    ctx,
    set: computeChanges(ctx.desired, ctx.live, {
      yes: new Set(yes),
      adopt: false,
      topologyName: ctx.parsed.topology.name,
    }),
  };
}

describe("apply's host steps on a snapshot root", () => {
  it("creates the VFs through sriov_numvfs, writes the NetworkManager keyfiles, and then has nothing left to do", async () => {
    await writeFile(join(root, PF_DIR, "sriov_numvfs"), "0\n");
    const { ctx, set } = await changeSet();
    const host = set.changes.filter((c) => c.kind === "sysfs" || c.kind === "file");
    expect(host.filter((c) => c.kind === "sysfs")).toEqual([
      { kind: "sysfs", path: `/${PF_DIR}/sriov_numvfs`, from: "0", to: "4", what: "VFs of eno2" },
    ]);
    const files = host.filter((c) => c.kind === "file").map((c) => (c as { path: string }).path);
    expect(files).toContain("/etc/NetworkManager/system-connections/eno2.nmconnection");
    // The seed already boots with the planned arguments: no reboot pending.
    expect(ctx.pre.pending, JSON.stringify(ctx.pre.pending)).toEqual([]);

    const run = await new Journal(state).begin(TOPO, "qemu:///system");
    const exec = {
      virsh: new Virsh("qemu:///system"),
      journal: run,
      root,
      stateDir: state,
      stopTimeoutMs: 0,
      notes: [] as string[],
    };
    for (const c of host) await executeChange(c, exec);
    await run.finish("complete");

    expect((await readFile(join(root, PF_DIR, "sriov_numvfs"), "utf8")).trim()).toBe("4");
    const keyfile = join(root, "etc/NetworkManager/system-connections/eno2.nmconnection");
    expect(await readFile(keyfile, "utf8")).toMatch(
      /\[sriov\][\s\S]*total-vfs=4[\s\S]*vf\.0=mac=8e:df:08:c1:d1:de/i,
    );
    expect((await stat(keyfile)).mode & 0o777).toBe(0o600);
    expect(exec.notes.join("\n")).toContain("NetworkManager is not running");
    expect(run.entry.items.every((i) => i.done)).toBe(true);

    const again = await changeSet();
    expect(again.set.changes.filter((c) => c.kind === "sysfs" || c.kind === "file")).toEqual([]);
  });

  it("holds back changing a non-zero VF count (it removes every VF) unless --yes names the PF", async () => {
    await writeFile(join(root, PF_DIR, "sriov_numvfs"), "2\n");
    const { set } = await changeSet();
    expect(set.changes.some((c) => c.kind === "sysfs" && c.path.endsWith("sriov_numvfs"))).toBe(false);
    expect(set.held).toContainEqual(
      expect.objectContaining({ what: "VFs of eno2: 2 -> 4", fix: "re-run with --yes eno2" }),
    );
    const yes = await changeSet(["eno2"]);
    expect(yes.set.changes).toContainEqual(expect.objectContaining({ kind: "sysfs", from: "2", to: "4" }));
  });

  it("only ever raises the per-node hugepage pools", async () => {
    const { ctx } = await changeSet();
    const hp = ctx.plan.host.hugepages.filter((h) => h.reserve > 0);
    expect(hp.length).toBeGreaterThan(0);
    for (const h of hp) await writeFile(join(root, h.sysfsPath), `${h.reserve + 5}\n`);
    const { set } = await changeSet();
    expect(set.changes.filter((c) => c.kind === "sysfs" && c.path.includes("hugepages"))).toEqual([]);
    await writeFile(join(root, hp[0]!.sysfsPath), "0\n");
    const low = await changeSet();
    expect(low.set.changes).toContainEqual(
      expect.objectContaining({ kind: "sysfs", path: hp[0]!.sysfsPath, from: "0" }),
    );
  });

  it("apply --root refuses a link in the snapshot that leads outside it (NFV-ROOT-SYMLINK) and writes nothing there", async () => {
    const outside = join(dir, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "keep"), "mine\n");
    await rm(join(root, "etc/NetworkManager"), { recursive: true, force: true });
    await mkdir(join(root, "etc/NetworkManager"), { recursive: true });
    await symlink(outside, join(root, "etc/NetworkManager/system-connections"));
    const before = await new Journal(state).list();
    const r = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "test/fixtures/apply/cli.ts",
        "apply",
        TOPO,
        "--root",
        root,
        "--state",
        state,
        "--json",
      ],
      { env: { ...process.env, ...env }, timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    // The refusal comes from reading the keyfiles before any change (NFV-ROOT-SYMLINK, src/host/files.test.ts).
    expect(r.stderr).toContain(`/etc/NetworkManager/system-connections -> ${outside}`);
    expect(r.stderr).toContain("expected links inside the snapshot root that stay inside it");
    expect(r.stderr).toContain(`fix: replace ${join(root, "etc/NetworkManager/system-connections")}`);
    expect(await readdir(outside)).toEqual(["keep"]);
    expect(await new Journal(state).list()).toEqual(before);
    await rm(join(root, "etc/NetworkManager"), { recursive: true, force: true });
  });
});
