/**
 * `nfvhost render FLEET -i INVENTORY` stages every host's files (day-0 secrets included) in a
 * private work dir next to --out, as single-host render does: a killed run's staging is removed by
 * the next fleet render there, and the output is 0700.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { writeHostTrees, writeInventory } from "./support.js";

let dir: string | undefined;
afterAll(async () => {
  vi.restoreAllMocks();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("removes a dead fleet render's staging dir on the next run there; the output is 0700", async () => {
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  dir = await mkdtemp(join(tmpdir(), "nfvt-fleet-staging-"));
  const inventory = await writeInventory(dir, await writeHostTrees(dir));
  const topology = join(dir, "fleet.yaml");
  await writeFile(
    topology,
    stringify({
      name: "fleet-staging",
      vnfs: {
        "pe-a": { kind: "generic", image: "/var/lib/libvirt/images/pe-a.qcow2", vcpus: 2, memory: "2GiB" },
      },
    }),
  );
  const dead = spawnSync("true").pid!;
  const left = `.nfvhost-fleet-${dead}-abcdef`;
  await mkdir(join(dir, left, "edge-seed", "day0"), { recursive: true, mode: 0o700 });
  expect(
    await main(["node", "nfvhost", "render", topology, "-i", inventory, "--out", join(dir, "out")]),
  ).toBe(0);
  expect((await readdir(dir)).filter((n) => n.startsWith(".nfvhost-"))).toEqual([]);
  expect((await stat(join(dir, "out"))).mode & 0o777).toBe(0o700);
});
