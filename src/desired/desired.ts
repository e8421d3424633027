/**
 * The desired state of the host, rendered from the plan with the renderers (libvirt XML,
 * NetworkManager keyfiles, day-0 files) and the preflight's adjustments (TCG, <locked/>), plus
 * the sysfs values the guide writes by hand (hugepages per node, sriov_numvfs).
 */
import { readFile, readlink, lstat } from "node:fs/promises";
import { dirname, posix } from "node:path";
import type { HostFacts } from "../facts/types.js";
import type { Plan } from "../plan/types.js";
import { libvirtState } from "../render/libvirt/desired.js";
import { buildConnections } from "../render/nm/model.js";
import { KEYFILE_DIR, keyfileName, renderKeyfile } from "../render/nm/keyfile.js";
import { assertIfName } from "../util/names.js";
import type { Desired, DesiredSysfs } from "./types.js";
import { sha256, underRoot } from "../host/files.js";
import { day0IsoPath } from "../host/paths.js";
import type { PreflightResult } from "./preflight.js";

export interface DesiredOptions {
  /** UUIDs of domains that exist: a redefinition must keep the UUID. */
  uuids: Record<string, string>;
  root: string;
  stateDir: string;
  topologyName: string;
  /** Day-0 files per VNF (name in the ISO -> content), from the day-0 renderer. */
  day0: Record<string, { label: string; files: { name: string; content: Buffer }[]; dirs?: string[] }>;
}

export { day0IsoPath, overlayPath, serialLogPath } from "../host/paths.js";

/**
 * The PF's PCI device directory (host path). /sys/class/net/PF is a symlink on a host and a small
 * file holding the link target in a stored snapshot: both are followed.
 */
export async function pfDeviceDir(root: string, pf: string): Promise<string> {
  assertIfName(pf, "SR-IOV PF");
  const link = `/sys/class/net/${pf}`;
  const p = underRoot(root, link);
  const st = await lstat(p);
  const target = st.isSymbolicLink() ? await readlink(p) : (await readFile(p, "utf8")).trim();
  const abs = posix.resolve(posix.dirname(link), target);
  // .../0000:3b:00.1/net/eno2 -> .../0000:3b:00.1
  return dirname(dirname(abs));
}

export async function buildDesired(
  plan: Plan,
  facts: HostFacts,
  pre: PreflightResult,
  opts: DesiredOptions,
): Promise<Desired> {
  const sysfs: DesiredSysfs[] = plan.host.hugepages
    .filter((h) => h.reserve > 0)
    .map((h) => ({
      path: h.sysfsPath,
      value: h.reserve,
      rule: "at-least" as const,
      what: `hugepages ${h.sizeKiB} KiB on node ${h.node}`,
    }));
  for (const pf of plan.host.sriov) {
    sysfs.push({
      path: `${await pfDeviceDir(opts.root, pf.pf)}/sriov_numvfs`,
      value: pf.numVfs,
      rule: "exact",
      what: `VFs of ${pf.pf}`,
      owner: pf.pf,
    });
  }

  const nm = buildConnections(plan).map((c) => ({
    path: `${KEYFILE_DIR}/${keyfileName(c)}`,
    content: Buffer.from(renderKeyfile(c)),
    mode: 0o600,
    what: `NetworkManager connection ${c.id} (${c.summary})`,
  }));

  const isos: Desired["isos"] = [];
  for (const v of plan.vnfs) {
    const d0 = opts.day0[v.name];
    if (!d0) continue;
    const digest = sha256(
      JSON.stringify([
        d0.label,
        d0.files.map((f) => [f.name, sha256(f.content)]),
        ...(d0.dirs ? [d0.dirs] : []),
      ]),
    );
    isos.push({
      vnf: v.name,
      path: day0IsoPath(opts.stateDir, v.name),
      label: d0.label,
      files: d0.files,
      ...(d0.dirs ? { dirs: d0.dirs } : {}),
      digest,
    });
  }

  const { networks, domains } = libvirtState(plan, {
    stateDir: opts.stateDir,
    day0: new Set(Object.keys(opts.day0)),
    uuids: opts.uuids,
    domainType: pre.domainType,
    locked: pre.locked,
  });
  void facts;
  return { sysfs, nm, isos, networks, domains };
}
