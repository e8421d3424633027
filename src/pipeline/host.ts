/**
 * A host is one binding of three things that must name the same machine: where its facts come
 * from (`root`), where host steps act (sysfs, files under `root`), and its libvirt URI. A libvirt
 * of another machine with this machine's facts plans the wrong CPUs and writes the wrong sysfs, so
 * such a binding is refused before anything is read or changed.
 */
import { hostname } from "node:os";
import { NfvError } from "../util/errors.js";

export type UriKind = "local" | "remote" | "test";

export interface HostBinding {
  /** Facts source and host-file root: "/" for this machine, a snapshot directory otherwise. */
  root: string;
  /** libvirt URI; null when no libvirt belongs to the facts (a snapshot of another machine). */
  connect: string | null;
  /** Host steps (sysfs, NetworkManager, boot loader) may run: apply on this machine only. */
  hostSteps: boolean;
}

/** What a libvirt URI points at: this machine, another one, or libvirt's in-memory test driver. */
export function uriKind(uri: string): UriKind {
  const m = /^([a-z0-9]+)(?:\+([a-z0-9]+))?:\/\/([^/?]*)/i.exec(uri);
  if (!m) return "remote"; // not a URI libvirt knows the shape of: never assume it is this host
  const [, driver, transport, authority] = m;
  if (driver!.toLowerCase() === "test") return "test";
  const host = authority!
    .replace(/^[^@]*@/, "")
    .replace(/:\d+$/, "")
    .replace(/^\[|\]$/g, "");
  if (host === "" && (!transport || transport === "unix")) return "local";
  const me = new Set(["localhost", "127.0.0.1", "::1", hostname(), hostname().split(".")[0]]);
  return me.has(host.toLowerCase()) ? "local" : "remote";
}

export interface BindOptions {
  root: string;
  connect: string;
  /** What the command will do with the binding. */
  purpose: "plan" | "apply" | "apply-dry-run" | "verify";
}

/**
 * Binds facts, executor and libvirt for one command, or refuses with the fix (NFV-HOST-CONNECT).
 * - this host's libvirt: facts of this host (or of a snapshot root, for tests and dry runs);
 * - another host's libvirt: only read (plan, apply --dry-run) and only with that host's facts
 *   (`--root` of its snapshot); until fleets land, nothing is changed there from here;
 * - the test driver: it runs no real VM, so no host step may be taken for it.
 */
export function bindHost(o: BindOptions): HostBinding {
  const kind = uriKind(o.connect);
  const live = o.root === "/";
  if (kind === "local") return { root: o.root, connect: o.connect, hostSteps: o.purpose === "apply" };
  const what = kind === "test" ? "libvirt's test driver (no real VM, no real host)" : "another machine";
  const readOnly = o.purpose === "plan" || o.purpose === "apply-dry-run";
  if (readOnly && !live) return { root: o.root, connect: o.connect, hostSteps: false };
  const fix = readOnly
    ? `give that host's facts: --root SNAPSHOT (taken there with \`nfvhost snapshot\`)`
    : o.purpose === "verify"
      ? "run `nfvhost verify` on that host: its evidence (/proc of the qemu processes, sysfs) is there"
      : `run nfvhost on that host, or preview from here with --root SNAPSHOT-OF-THAT-HOST --dry-run`;
  throw new NfvError({
    what: "--connect",
    value: o.connect,
    expected: `the libvirt of the machine whose facts nfvhost ${o.purpose === "verify" ? "verifies" : "plans and changes"} (${live ? "this host" : o.root}); it is ${what}`,
    fix: `${fix}; nothing was changed`,
    code: "NFV-HOST-CONNECT",
  });
}
