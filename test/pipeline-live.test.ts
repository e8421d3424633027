/**
 * Issue 11, "Done when", on the real libvirtd: a foreign domain pinned to CPU 1 makes `plan` and
 * `apply --dry-run` agree and name it, and nothing of it changes; after an apply that used the
 * router password, `verify` passes without it; the domain XML `render` writes is what apply
 * defined (`virsh dumpxml --inactive`, managed fields and UUID). Unique nfvt-pipe- names, removed
 * in afterAll.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTopology } from "../src/apply/index.js";
import { parseDomainXml, projectionLines } from "../src/libvirt/domain-xml.js";
import { runChecked } from "../src/util/exec.js";
import { verifyTopology } from "../src/verify/index.js";
import { guestCmdline, removeDomain } from "./support/guest.js";
import { createLab } from "./support/lab.js";

const lab = createLab({
  prefix: "pipe",
  letter: "p",
  suite: "test/pipeline-live.test.ts",
  cliTimeoutMs: 300_000,
});
const { sfx, vnf: VNF } = lab.names;
const FOREIGN = `nfvt-pipe-${sfx}-foreign`;
const URI = lab.uri;
const virsh = (args: string[]) => runChecked("virsh", ["--connect", URI, ...args]);

beforeAll(async () => {
  await lab.setUp();
}, 1_800_000);

afterAll(async () => {
  await removeDomain(FOREIGN);
  await lab.tearDown();
});

describe("one pipeline on the real libvirtd", () => {
  it("a foreign domain pinned to CPU 1: plan and apply --dry-run agree, name it, and leave it alone", async () => {
    const file = await lab.writeTopology("lab.yaml");
    // A transient domain nfvhost did not create, vCPU pinned to CPU 1 (the lab VNF's CPU).
    const xml = `<domain type='qemu'><name>${FOREIGN}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
      <cputune><vcpupin vcpu='0' cpuset='1'/><emulatorpin cpuset='0'/></cputune>
      <os><type arch='x86_64'>hvm</type><kernel>${lab.guest.kernel}</kernel><initrd>${lab.guest.initrd}</initrd>
      <cmdline>${guestCmdline({ holdSeconds: "forever" })}</cmdline></os><devices><serial type='pty'/></devices></domain>`;
    const xmlFile = join(lab.dir, "foreign.xml");
    await runChecked("sh", ["-c", 'cat > "$1"', "sh", xmlFile], { input: xml });
    await virsh(["create", xmlFile]);
    const before = (await virsh(["dumpxml", FOREIGN])).stdout;

    const plan = await lab.cli(["plan", file, "--json", "--state", lab.state]);
    const dry = await lab.cli(["apply", file, "--dry-run", "--json", "--state", lab.state]);
    const planDoc = JSON.parse(plan.stdout) as {
      notes?: string[];
      warnings?: string[];
      problems?: unknown[];
      vnfs?: { vcpuPins: number[] }[];
    };
    const dryDoc = JSON.parse(dry.stdout) as {
      notes?: string[];
      warnings?: string[];
      problems?: unknown[];
      changes?: { kind: string; diff: string[] }[];
    };
    const said = [...(planDoc.notes ?? []), ...(planDoc.warnings ?? [])].join("\n");
    expect(said).toContain(`CPU 1 taken by domain ${FOREIGN}`);
    expect([...(dryDoc.notes ?? []), ...(dryDoc.warnings ?? [])].join("\n")).toContain(
      `CPU 1 taken by domain ${FOREIGN}`,
    );
    // Same verdict: both fit (and then neither pins the VNF to CPU 1) or both report the same problems.
    expect(plan.code).toBe(dry.code);
    if (planDoc.problems) expect(dryDoc.problems).toEqual(planDoc.problems);
    else {
      expect(planDoc.vnfs![0]!.vcpuPins).not.toContain(1);
      const dom = dryDoc.changes!.find((c) => c.kind === "domain")!;
      expect(dom.diff.join("\n")).not.toContain('<vcpupin vcpu="0" cpuset="1"/>');
    }
    expect((await virsh(["dumpxml", FOREIGN])).stdout).toBe(before);
    expect((await virsh(["domstate", FOREIGN])).stdout.trim()).toBe("running");
    await removeDomain(FOREIGN);
  }, 600_000);

  it("verify passes with no password after an apply that used one; render writes what apply defined", async () => {
    const file = await lab.writeTopology("lab.yaml");
    const report = await applyTopology(lab.applyOptions(file));
    expect(report.applied).toBeGreaterThan(0);

    const noSecret = Object.fromEntries(Object.entries(lab.env).filter(([k]) => k !== lab.passwordEnv));
    const v = await verifyTopology({
      topologyFile: file,
      connect: URI,
      stateDir: lab.state,
      root: "/",
      env: noSecret,
    });
    expect(v.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(v.checks.find((c) => c.check === "day-0 ISO as built")?.status).toBe("pass");

    const out = join(lab.dir, "rendered");
    const r = await lab.cli(["render", file, "--out", out, "--state", lab.state, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rendered = parseDomainXml(await readFile(join(out, "libvirt/domains", `${VNF}.xml`), "utf8"));
    const defined = parseDomainXml((await virsh(["dumpxml", "--inactive", VNF])).stdout);
    expect(rendered.uuid).toBe(defined.uuid);
    expect(projectionLines(rendered)).toEqual(projectionLines(defined));
  }, 900_000);
});
