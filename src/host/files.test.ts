import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NfvError } from "../util/errors.js";
import { readSysfs, resolveInRoot, writeFileAtomic, writeSysfs } from "./files.js";

let dir: string;
let root: string;
let outside: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nfvt-files-"));
  root = join(dir, "root");
  outside = join(dir, "outside");
  mkdirSync(join(root, "sys/devices/pci0000:3a/0000:3b:00.1/net/eno2"), { recursive: true });
  mkdirSync(join(root, "sys/class/net"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "victim"), "precious\n");
  writeFileSync(join(root, "sys/devices/pci0000:3a/0000:3b:00.1/sriov_numvfs"), "0\n");
  // As sysfs has it: a relative link that stays inside the tree.
  symlinkSync("../../devices/pci0000:3a/0000:3b:00.1/net/eno2", join(root, "sys/class/net/eno2"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>): Promise<NfvError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(NfvError);
  return e as NfvError;
}

describe("resolveInRoot: every link of a snapshot root resolved inside it", () => {
  it("follows links that stay inside the root, as the kernel would with the root as /", async () => {
    expect(await resolveInRoot(root, "/sys/class/net/eno2/../../sriov_numvfs")).toBe(
      join(root, "sys/devices/pci0000:3a/0000:3b:00.1/sriov_numvfs"),
    );
    // Components that do not exist yet are plain names: apply creates them as directories.
    expect(await resolveInRoot(root, "/etc/NetworkManager/system-connections/x.nmconnection")).toBe(
      join(root, "etc/NetworkManager/system-connections/x.nmconnection"),
    );
  });

  it("refuses an absolute link, a link climbing above the root and a loop, naming the link and the fix", async () => {
    symlinkSync(outside, join(root, "etc"));
    const abs = await refusal(resolveInRoot(root, "/etc/NetworkManager/system-connections/x.nmconnection"));
    expect(abs.code).toBe("NFV-ROOT-SYMLINK");
    expect(abs.message).toContain(`/etc -> ${outside}`);
    expect(abs.message).toContain("an absolute target leaves the root");
    expect(abs.message).toContain(
      `fix: replace ${join(root, "etc")} with the file or directory it stands for`,
    );

    rmSync(join(root, "etc"));
    symlinkSync("../../outside", join(root, "sys/kernel"));
    const up = await refusal(resolveInRoot(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"));
    expect(up.code).toBe("NFV-ROOT-SYMLINK");
    expect(up.message).toContain("/sys/kernel -> ../../outside");
    expect(up.message).toContain("the target climbs above the root");

    symlinkSync("b", join(root, "a"));
    symlinkSync("a", join(root, "b"));
    const loop = await refusal(resolveInRoot(root, "/a/x"));
    expect(loop.message).toContain("a loop");
  });

  it("the live host (/) keeps its own links", async () => {
    expect(await resolveInRoot("/", "/sys/class/net/lo/mtu")).toBe("/sys/class/net/lo/mtu");
  });
});

describe("host writes under a snapshot root never leave it", () => {
  it("writeSysfs through a link to a file outside refuses and leaves that file as it was", async () => {
    const knob = "sys/devices/pci0000:3a/0000:3b:00.1/sriov_numvfs";
    rmSync(join(root, knob));
    symlinkSync(join(outside, "victim"), join(root, knob));
    const e = await refusal(writeSysfs(root, `/${knob}`, "4"));
    expect(e.code).toBe("NFV-ROOT-SYMLINK");
    expect(readFileSync(join(outside, "victim"), "utf8")).toBe("precious\n");
    // Reading through it is refused too: discovery must not take the machine's files as the snapshot's.
    expect((await refusal(readSysfs(root, `/${knob}`))).code).toBe("NFV-ROOT-SYMLINK");
  });

  it("writeSysfs through an in-root link writes the file it stands for", async () => {
    expect(await writeSysfs(root, "/sys/class/net/eno2/../../sriov_numvfs", "4")).toBe("4");
    expect(readFileSync(join(root, "sys/devices/pci0000:3a/0000:3b:00.1/sriov_numvfs"), "utf8")).toBe("4\n");
  });

  it("writeFileAtomic replaces a link at the final name instead of writing through it", async () => {
    const p = join(root, "sys", "x.nmconnection");
    symlinkSync(join(outside, "victim"), p);
    await writeFileAtomic(p, "[connection]\n", 0o600);
    expect(readFileSync(p, "utf8")).toBe("[connection]\n");
    expect(readFileSync(join(outside, "victim"), "utf8")).toBe("precious\n");
  });
});
