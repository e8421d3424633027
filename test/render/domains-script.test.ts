/**
 * What libvirt/domains.sh prepares before `virsh start`, run for real: the serial log's directory
 * (virtlogd refuses to start a VM whose log directory is missing, as on a fresh host) and the
 * per-VNF qcow2 overlay over the vendor's base image, made by qemu-img as apply makes it.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { SEED_ROOT } from "./seed.js";

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "nfvhost-domains-sh-"));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("libvirt/domains.sh", () => {
  it("creates the serial log directory and the overlay before defining and starting the VM", async () => {
    const image = join(base, "images", "vendor-base.qcow2");
    expect(spawnSync("mkdir", ["-p", join(base, "images")]).status).toBe(0);
    expect(spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]).status).toBe(0);
    const topo = join(base, "overlay.yaml");
    await writeFile(
      topo,
      [
        "name: ovl",
        "vnfs:",
        "  r1:",
        "    kind: generic",
        `    image: { base: ${image}, overlay: per-vnf }`,
        "    vcpus: 1",
        "    memory: 1GiB",
        "",
      ].join("\n"),
    );
    const state = join(base, "state");
    const out = join(base, "out");
    const r = await runCli(["render", topo, "--root", SEED_ROOT, "--out", out, "--state", state]);
    expect(r.code, r.stderr).toBe(0);
    const script = await readFile(join(out, "libvirt", "domains.sh"), "utf8");
    const lines = script.split("\n");
    const define = lines.findIndex((l) => l.startsWith("virsh define libvirt/domains/r1.xml"));
    const prepared = lines
      .slice(0, define)
      .filter((l) => /^(install -d|\[ -e .* \|\| qemu-img create)/.test(l));
    expect(prepared).toEqual([
      `install -d -m 0755 ${join(state, "console")}`,
      `install -d -m 0755 ${join(state, "overlays")}`,
      expect.stringContaining(`qemu-img create -q -f qcow2 -b ${image} -F qcow2 ${join(state, "overlays")}/`),
    ]);
    // The domain XML names exactly the log file and overlay those lines prepare.
    const xml = await readFile(join(out, "libvirt", "domains", "r1.xml"), "utf8");
    expect(xml).toContain(`<log file="${join(state, "console", "r1.log")}"`);
    const overlay = /qemu-img create .* -F qcow2 (\S+)$/.exec(prepared[2] as string)![1]!;
    expect(xml).toContain(`<source file="${overlay}"`);

    // Run them twice (a re-run keeps the overlay): the VM's files are there, on the right base.
    for (let i = 0; i < 2; i++) {
      const run = spawnSync("bash", ["-euo", "pipefail", "-c", prepared.join("\n")], { encoding: "utf8" });
      expect(run.status, run.stderr).toBe(0);
    }
    expect((await stat(join(state, "console"))).mode & 0o777).toBe(0o755);
    expect(existsSync(overlay)).toBe(true);
    const info = spawnSync("qemu-img", ["info", "--output=json", "-U", overlay], { encoding: "utf8" });
    expect(JSON.parse(info.stdout)["backing-filename"]).toBe(image);
  });
});
