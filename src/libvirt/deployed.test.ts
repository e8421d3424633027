import { describe, expect, it } from "vitest";
import { readLibvirt, readLive } from "../pipeline/index.js";
import type { Desired } from "../desired/types.js";
import type { RunResult } from "../util/exec.js";
import { readDomains } from "./deployed.js";
import { Virsh } from "./virsh.js";

const dom = (name: string, vcpu: number, mine: boolean) =>
  `<domain type='qemu'><name>${name}</name>${
    mine
      ? `<metadata><x:vnf xmlns:x="https://nfvhost.dev/xmlns/1" topology="lab" vnf="${name}"/></metadata>`
      : ""
  }<memory>1024</memory><vcpu>${vcpu}</vcpu><os><type>hvm</type></os><devices/></domain>`;

/**
 * A libvirt of three domains answered from memory: r1 running (its live XML differs from its
 * persistent one), r2 shut off, gone listed but undefined before its dumpxml. Counts the virsh
 * processes a read costs.
 */
class FakeVirsh extends Virsh {
  calls: string[] = [];
  constructor() {
    super("test:///nowhere");
  }
  override async raw(args: readonly string[]): Promise<RunResult> {
    const a = args.join(" ");
    this.calls.push(a);
    const ok = (stdout: string) => ({ command: "virsh", args: [...args], code: 0, stdout, stderr: "" });
    const gone = (name: string) => ({
      command: "virsh",
      args: [...args],
      code: 1,
      stdout: "",
      stderr: `error: failed to get domain '${name}'\n`,
    });
    switch (a) {
      case "list --all":
        return ok(
          " Id   Name   State\n--------------------\n 3    r1     running\n -    r2     shut off\n -    gone   shut off\n",
        );
      case "list --all --autostart --name":
        return ok("r1\n\n");
      case "net-list --all":
        return ok(
          " Name   State    Autostart   Persistent\n-----\n lab    active   yes         yes\n other  active   no          yes\n",
        );
      case "net-dumpxml --inactive lab":
        return ok("<network><name>lab</name><bridge name='br-lab'/></network>");
      case "dumpxml --inactive r1":
        return ok(dom("r1", 1, true));
      case "dumpxml r1":
        return ok(dom("r1", 2, true));
      case "dumpxml --inactive r2":
        return ok(dom("r2", 1, false));
      default:
        return a.endsWith(" gone") ? gone("gone") : gone(a);
    }
  }
}

describe("reading what libvirt runs", () => {
  it("reads each domain's definitions once: live XML only for running ones, vanished ones skipped", async () => {
    const virsh = new FakeVirsh();
    const domains = await readDomains(virsh);
    expect(domains.map((d) => [d.name, d.state, d.managed, d.config.vcpus, d.summary.vcpus])).toEqual([
      ["r1", "running", true, 1, 2],
      ["r2", "shut off", false, 1, 1],
    ]);
    expect([...virsh.calls].sort()).toEqual(
      [
        "list --all",
        "dumpxml --inactive r1",
        "dumpxml r1",
        "dumpxml --inactive r2",
        "dumpxml --inactive gone",
        "domstate gone",
      ].sort(),
    );
  });

  it("reads libvirt once per run: the diff reuses the planner's snapshot; autostart in one call", async () => {
    const virsh = new FakeVirsh();
    const snapshot = await readLibvirt(virsh);
    const before = virsh.calls.length;
    const desired: Desired = {
      sysfs: [],
      nm: [],
      isos: [],
      networks: [{ name: "lab", xml: "<network/>" }],
      domains: [],
    };
    const live = await readLive(virsh, desired, "/", snapshot);
    // Only the desired network's XML is read on top of the snapshot; no domain is read again.
    expect(virsh.calls.slice(before)).toEqual(["net-dumpxml --inactive lab"]);
    expect([...live.domains.values()].map((d) => [d.name, d.autostart])).toEqual([
      ["r1", true],
      ["r2", false],
    ]);
    expect([...live.networks.keys()]).toEqual(["lab"]);
    expect(virsh.calls.filter((c) => c.startsWith("dominfo"))).toEqual([]);
    expect(virsh.calls.filter((c) => c === "list --all --autostart --name")).toHaveLength(1);
  });
});
