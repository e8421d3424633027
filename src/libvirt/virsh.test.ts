import { describe, expect, it } from "vitest";
import { NfvError } from "../util/errors.js";
import { isUnreachable, Virsh } from "./virsh.js";

describe("virsh errors when libvirtd is gone", () => {
  it("recognises libvirt's words for a stopped, crashed or vanished daemon, and nothing else", () => {
    // Stopped cleanly (socket removed), crashed (socket left), killed during a call.
    expect(
      isUnreachable(
        "failed to connect to the hypervisor: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory",
      ),
    ).toBe(true);
    expect(
      isUnreachable("Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused"),
    ).toBe(true);
    expect(isUnreachable("End of file while reading data: Input/output error")).toBe(true);
    expect(isUnreachable("failed to get domain 'r1'")).toBe(false);
    expect(isUnreachable("Cannot access storage file '/x.qcow2': No such file or directory")).toBe(false);
  });

  it("names libvirtd, the URI and the fix when no daemon answers (a socket nobody listens on)", async () => {
    const uri = "qemu:///system?socket=/nonexistent/nfvt-faults-libvirt-sock";
    const err = await new Virsh(uri).ping().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(NfvError);
    expect(err!.message).toContain(`(libvirtd is not running or not reachable at ${uri})`);
    expect(err!.message).toContain(
      "fix: start libvirtd (systemctl start libvirtd, or `libvirtd -d` without systemd)",
    );
    expect(err!.message).toContain(`check \`virsh --connect '${uri}' version\``);
  });
});
