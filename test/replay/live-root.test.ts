/**
 * verify of this very host (root "/"), on the recorded libvirt answers of one VNF's life
 * (test/fixtures/virsh-sessions/lifecycle.json). A snapshot root and the live root are proven
 * differently: under a root, what apply --root wrote there (NetworkManager keyfiles, VF counts);
 * on "/", the PFs' links through `ip -d -j link`. The facts are the recording host's snapshot
 * (VerifyOptions.facts), so the plan, and with it every VNF check, is the same on any machine;
 * what "/" reads of the machine itself (hugepage counters) is not asserted. No libvirtd.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import type { HostFacts } from "../../src/facts/types.js";
import { verifyTopology, type Check, type VerifyReport } from "../../src/verify/index.js";
import { StoryReplay } from "./story.js";

let s: StoryReplay;
let facts: HostFacts;
/** The lab topology with a Linux bridge on the host (a NetworkManager keyfile apply writes). */
let topologyFile: string;
const BRIDGE = "nfvtqlive0";

beforeAll(async () => {
  s = await StoryReplay.open("lifecycle");
  await s.files("proc-1");
  facts = await discoverHost({ root: s.e.root });
  const v1 = await readFile(join(s.e.dir, "v1.yaml"), "utf8");
  expect(v1).toMatch(/^host:$/m);
  topologyFile = join(s.e.dir, "bridge.yaml");
  await writeFile(topologyFile, v1.replace(/^host:\n/m, `host:\n  bridges:\n    - name: ${BRIDGE}\n`));
});
afterAll(() => s?.close());

/** verify on the recorded answers of a running, converged VNF (the step "verify-pass"). */
async function verifyOn(root: string) {
  const links: string[] = [];
  const { result, error, replay } = await s.step("verify-pass", (e) =>
    verifyTopology({
      topologyFile,
      connect: e.uri,
      stateDir: e.state,
      root,
      facts,
      procRoot: join(e.dir, "proc-1"),
      env: {},
      persist: false,
      ipLink: async (pf) => {
        links.push(pf);
        return "[]";
      },
    }),
  );
  expect(error).toBeUndefined();
  expect(s.unasked("verify-pass", replay)).toEqual([]);
  return { v: result as VerifyReport, links };
}

const of = (v: VerifyReport, subject: string) => v.checks.filter((c) => c.subject === subject);
const underRoot = (c: Check) => c.evidence.includes(s.e.root);

describe("replayed virsh: verify of this very host (root /) against a snapshot root", () => {
  it("a snapshot root is proven by the files under it: the bridge's keyfile there, no link asked", async () => {
    const { v, links } = await verifyOn(s.e.root);
    expect(links).toEqual([]);
    expect(v.checks.filter(underRoot)).toEqual([
      expect.objectContaining({
        subject: "host",
        check: `NetworkManager profile /etc/NetworkManager/system-connections/${BRIDGE}.nmconnection`,
        status: "fail",
        have: "absent",
        evidence: join(s.e.root, "etc/NetworkManager/system-connections", `${BRIDGE}.nmconnection`),
        fix: `nfvhost apply ${topologyFile} --root ${s.e.root}`,
      }),
    ]);
  });

  it("the live root reads nothing under a snapshot root, asks `ip link` of each planned PF (none here), reads the keyfile on this host, and proves the VNF and its network as on the snapshot", async () => {
    const snap = await verifyOn(s.e.root);
    const { v, links } = await verifyOn("/");
    // The plan (from the same facts) has no SR-IOV PF: verifyPfs runs and has nothing to ask.
    expect(facts.nics.some((n) => n.sriov)).toBe(false);
    expect(links).toEqual([]);
    expect(v.checks.filter(underRoot)).toEqual([]);
    // The bridge's keyfile is read on this host's /etc (this run's bridge name: no machine has it),
    // and the fix is a plain apply, no --root.
    expect(of(v, "host").filter((c) => c.check.startsWith("NetworkManager profile"))).toEqual([
      expect.objectContaining({
        check: `NetworkManager profile /etc/NetworkManager/system-connections/${BRIDGE}.nmconnection`,
        status: "fail",
        have: "absent",
        evidence: `/etc/NetworkManager/system-connections/${BRIDGE}.nmconnection`,
        fix: `nfvhost apply ${topologyFile}`,
      }),
    ]);
    // Everything libvirt and qemu's /proc answer is the same wherever the host's files are read.
    for (const subject of [s.e.names.vnf, s.e.names.net]) {
      const live = of(v, subject).filter((c) => !c.evidence.includes("day0"));
      expect(live.length).toBeGreaterThan(0);
      expect(live).toEqual(of(snap.v, subject).filter((c) => !c.evidence.includes("day0")));
      expect(live.every((c) => c.status === "pass")).toBe(true);
    }
    expect(v.checks.find((c) => c.check === "vCPU 0 thread affinity (kernel)")).toMatchObject({
      status: "pass",
      want: "1",
    });
  });
});
