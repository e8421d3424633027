import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HostReader } from "./reader.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "nfvhost-reader-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(name: string, links: "symlink" | "file"): string {
  const root = path.join(tmp, name);
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  const link = (rel: string, target: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    if (links === "symlink") symlinkSync(target, path.join(root, rel));
    else writeFileSync(path.join(root, rel), target);
  };
  put("sys/devices/pci0000:3a/0000:3b:00.0/vendor", "0x8086\n");
  put("sys/devices/pci0000:3a/0000:3b:00.0/net/eno1/mtu", "9216\n");
  link("sys/class/net/eno1", "../../devices/pci0000:3a/0000:3b:00.0/net/eno1");
  link("sys/devices/pci0000:3a/0000:3b:00.0/driver", "../../../bus/pci/drivers/ixgbe");
  link("etc/os-release", "/usr/lib/os-release");
  put("usr/lib/os-release", "ID=debian\n");
  link("sys/escape", "../../../../etc");
  return root;
}

describe.each(["symlink", "file"] as const)("HostReader with links stored as %s", (links) => {
  const root = tree(links, links);

  it("follows links through directories and reads the file", () => {
    const r = new HostReader(root);
    expect(r.readText("sys/class/net/eno1/mtu")).toBe("9216");
    expect(r.linkBasename("sys/devices/pci0000:3a/0000:3b:00.0/driver")).toBe("ixgbe");
    expect(r.list("sys/class/net")).toEqual(["eno1"]);
    expect(r.warnings).toEqual([]);
  });

  it("records the links and files it passed through, by their real paths", () => {
    const r = new HostReader(root);
    r.readText("sys/class/net/eno1/mtu");
    expect(r.trace.get("sys/class/net/eno1")).toEqual({
      kind: "link",
      target: "../../devices/pci0000:3a/0000:3b:00.0/net/eno1",
    });
    const file = r.trace.get("sys/devices/pci0000:3a/0000:3b:00.0/net/eno1/mtu");
    expect(file?.kind === "file" && file.content.toString()).toBe("9216\n");
  });

  it("absolute link targets stay inside the root; links out of the root are missing", () => {
    const r = new HostReader(root);
    expect(r.readText("etc/os-release")).toBe("ID=debian");
    expect(r.readText("sys/escape/passwd")).toBeNull();
    expect(r.warnings).toEqual([{ path: "/sys/escape/passwd", message: "missing", kind: "missing" }]);
  });

  it("missing files warn once by host path unless optional", () => {
    const r = new HostReader(root);
    expect(r.readText("proc/cmdline")).toBeNull();
    expect(r.readText("proc/cmdline")).toBeNull();
    expect(r.readText("sys/class/net/eno1/sriov_totalvfs", { optional: true })).toBeNull();
    expect(r.readLink("sys/class/net/none")).toBeNull();
    expect(r.warnings).toEqual([{ path: "/proc/cmdline", message: "missing", kind: "missing" }]);
  });
});

describe("HostReader on broken trees", () => {
  it("a link loop is a missing file, not a hang or a crash", () => {
    const root = path.join(tmp, "loop");
    mkdirSync(path.join(root, "sys"), { recursive: true });
    symlinkSync("b", path.join(root, "sys/a"));
    symlinkSync("a", path.join(root, "sys/b"));
    const r = new HostReader(root);
    expect(r.readText("sys/a/x")).toBeNull();
    expect(r.readText("sys/a")).toBeNull();
    expect(r.list("sys/a")).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual(["/sys/a/x", "/sys/a"]);
  });

  it("a directory where a file is expected is a warning naming it", () => {
    const root = path.join(tmp, "dir-as-file");
    mkdirSync(path.join(root, "proc/cmdline"), { recursive: true });
    const r = new HostReader(root);
    expect(r.readText("proc/cmdline")).toBeNull();
    expect(r.warnings).toEqual([
      { path: "/proc/cmdline", message: "is a directory, expected a file", kind: "garbage" },
    ]);
  });

  it("a regular file where a link is expected is reported, and its content is not taken as a target", () => {
    const root = path.join(tmp, "file-not-link");
    mkdirSync(path.join(root, "sys/dev"), { recursive: true });
    writeFileSync(path.join(root, "sys/dev/driver"), "hello world\n");
    const r = new HostReader(root);
    expect(r.readLink("sys/dev/driver")).toBeNull();
    expect(r.warnings[0]?.path).toBe("/sys/dev/driver");
  });
});
