import { spawn, spawnSync } from "node:child_process";
import { chown, mkdir, mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePrivateWorkDir, processStartMs, removeStaleWorkDirs } from "./private-files.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nfvt-private-files-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("stale work directories", () => {
  it("reads when a process started", () => {
    const me = processStartMs(process.pid)!;
    expect(me).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - me).toBeLessThan(process.uptime() * 1000 + 1000);
    expect(processStartMs(spawnSync("true").pid!)).toBeNull();
  });

  it("removes ours whose owner is dead or whose pid was reused since; keeps live owners', other users' and links", async () => {
    const parent = join(dir, "parent");
    await mkdir(parent);
    const dead = spawnSync("true").pid!;
    // A process that started after the directory named by its pid was last written: a reused pid.
    const reuser = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const names = {
        dead: `.nfvhost-render-${dead}-aaaaaa`,
        reused: `.nfvhost-day0-${reuser.pid}-bbbbbb`,
        // pid 1 started long before this directory was made: its owner may still be at work.
        live: `.nfvhost-iso-1-cccccc`,
        foreign: `.nfvhost-render-${dead}-dddddd`,
        other: "out",
      };
      for (const n of Object.values(names)) await mkdir(join(parent, n), { mode: 0o700 });
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(parent, names.reused), hourAgo, hourAgo);
      await chown(join(parent, names.foreign), 65534, 65534);
      expect((await removeStaleWorkDirs(parent)).sort()).toEqual([names.dead, names.reused].sort());
      expect((await readdir(parent)).sort()).toEqual([names.foreign, names.live, names.other].sort());
      // A fresh directory of the same live pid stays: its process may have made it.
      await mkdir(join(parent, `.nfvhost-day0-${reuser.pid}-eeeeee`), { mode: 0o700 });
      expect(await removeStaleWorkDirs(parent)).toEqual([]);
    } finally {
      reuser.kill("SIGKILL");
    }
  });

  it("makes a 0700 work dir named after this process, after clearing the dead runs'", async () => {
    const parent = join(dir, "make");
    await mkdir(join(parent, `.nfvhost-render-${spawnSync("true").pid!}-zzzzzz`), { recursive: true });
    const work = await makePrivateWorkDir(parent, "render");
    expect(work).toMatch(new RegExp(`/\\.nfvhost-render-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(await readdir(parent)).toEqual([work.split("/").at(-1)]);
  });
});
