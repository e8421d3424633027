/**
 * Rendered trees on disk: every script passes `bash -n` and shellcheck, apply.sh runs the step
 * scripts' commands in order, modes are as rendered (0600 for secrets), and each day-0 ISO built
 * with xorriso reads back (file list, volume label, content) equal to the rendered day-0 file.
 */
import { mkdtemp, rm, stat, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import { planDeployment } from "../../src/plan/planner.js";
import { isoVolumeLabel, listIso, readIsoFile } from "../../src/render/iso.js";
import { renderArtifacts, writeArtifacts } from "../../src/render/index.js";
import type { RenderedFile } from "../../src/render/types.js";
import { loadTopology } from "../../src/topology/load.js";
import { run } from "../../src/util/exec.js";
import { REPO, SEED_ENV, SEED_ROOT } from "./seed.js";

const ENV = {
  ...SEED_ENV,
  C8KV_ADMIN_PASSWORD: "c8kv-test-admin",
  C8KV_ENABLE_SECRET: "c8kv-test-enable",
  C8KV_SL_TOKEN: "SmartLicenseTestToken0123456789",
};
const TOPOLOGIES = ["seed-csr1kv", "c8000v-autonomous", "generic-qcow2"];
/** The seed again with its optional local yum repository (seed (3)) and THP off: their scripts too. */
const SEED_EXTRAS = "seed-csr1kv+local-repo";

interface Tree {
  name: string;
  dir: string;
  files: RenderedFile[];
}
const trees: Tree[] = [];
let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "nfvhost-render-written-"));
  const facts = await discoverHost({ root: SEED_ROOT });
  for (const name of [...TOPOLOGIES, SEED_EXTRAS]) {
    const parsed = await loadTopology(join(REPO, "examples/topologies", `${name.split("+")[0]}.yaml`));
    const result = planDeployment(facts, parsed.topology);
    if (!result.ok)
      throw new Error(`${name} does not plan on the seed host: ${JSON.stringify(result.problems)}`);
    if (name === SEED_EXTRAS) {
      result.plan.host.localRepo = {
        iso: "/opt/CentOS-7-x86_64-Everything-2009.iso",
        mountpoint: "/media/cdrom",
      };
      result.plan.host.thp = "never";
    }
    const files = renderArtifacts(result.plan, facts, { env: ENV, saltSeed: "written-test" });
    const dir = join(base, name);
    await writeArtifacts(files, dir);
    trees.push({ name, dir, files });
  }
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("rendered trees on disk", () => {
  it("writes every file with its rendered mode and content", async () => {
    for (const t of trees) {
      for (const f of t.files) {
        const st = await stat(join(t.dir, f.path));
        expect(st.mode & 0o777, `${t.name}/${f.path}`).toBe(f.mode);
        if (!f.iso) expect(await readFile(join(t.dir, f.path), "utf8")).toBe(f.content);
      }
    }
  });

  it("keeps secrets in 0600 files only", () => {
    const secrets = [ENV.CSR_ADMIN_PASSWORD, ENV.C8KV_ADMIN_PASSWORD, ENV.C8KV_ENABLE_SECRET];
    for (const t of trees) {
      for (const f of t.files) {
        for (const s of secrets) expect(f.content, `${t.name}/${f.path}`).not.toContain(s);
        if (f.content.includes(ENV.C8KV_SL_TOKEN) || f.content.includes("secret 9 $9$")) {
          expect(f.mode, `${t.name}/${f.path}`).toBe(0o600);
        }
      }
    }
    const token = trees.flatMap((t) => t.files).filter((f) => f.content.includes(ENV.C8KV_SL_TOKEN));
    // The registration is an EXEC command: its own file, never the configuration on the ISO.
    expect(token.map((f) => f.path)).toEqual(["day0/c8kv-1/license-register.txt"]);
  });

  it("gives scripts that pass bash -n and shellcheck", async () => {
    const scripts = trees.flatMap((t) =>
      t.files.filter((f) => f.path.endsWith(".sh")).map((f) => join(t.dir, f.path)),
    );
    expect(scripts.length).toBeGreaterThanOrEqual(TOPOLOGIES.length * 4);
    const extras = scripts.filter((s) => s.includes(`/${SEED_EXTRAS}/`));
    expect(extras.filter((s) => /local-repo\/setup\.sh$|host\/thp\.sh$/.test(s))).toHaveLength(2);
    for (const s of scripts) {
      const r = await run("bash", ["-n", s]);
      expect(r.code, `${s}: ${r.stderr}`).toBe(0);
    }
    const sc = await run("shellcheck", ["--severity=style", ...scripts]);
    expect(sc.code, sc.stdout).toBe(0);
  });

  it("runs, in apply.sh, each step script's commands in the order README.txt lists them", () => {
    for (const t of trees) {
      const apply = t.files.find((f) => f.path === "apply.sh")!.content;
      const readme = t.files.find((f) => f.path === "README.txt")!.content;
      const order = [...readme.matchAll(/^ {2}[ \d]\d\. (\S+\.sh)/gm)].map((m) => m[1]!);
      expect(order.length, t.name).toBeGreaterThan(2);
      let at = 0;
      for (const script of order) {
        const body = t.files
          .find((f) => f.path === script)!
          .content.split('"\n\n')[1]!
          .trimEnd();
        const found = apply.indexOf(body, at);
        expect(found, `${t.name}: ${script} in apply.sh after offset ${at}`).toBeGreaterThan(at);
        at = found + body.length;
      }
    }
  });

  it("gives libvirt XML that virt-xml-validate accepts", async () => {
    let checked = 0;
    for (const t of trees) {
      for (const f of t.files.filter((x) => /^libvirt\/(domains|networks)\/.+\.xml$/.test(x.path))) {
        const r = await run("virt-xml-validate", [
          join(t.dir, f.path),
          f.path.includes("/domains/") ? "domain" : "network",
        ]);
        expect(r.code, `${t.name}/${f.path}: ${r.stderr}${r.stdout}`).toBe(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it("builds day-0 ISOs that read back with xorriso: label, file list, content", async () => {
    let checked = 0;
    for (const t of trees) {
      for (const f of t.files.filter((x) => x.iso)) {
        const image = join(t.dir, f.path);
        expect(await isoVolumeLabel(image)).toBe("disk");
        const inside = await listIso(image);
        expect(inside).toEqual(f.iso!.from.map((p) => `/${p.split("/").pop()}`));
        for (const src of f.iso!.from) {
          const rendered = t.files.find((x) => x.path === src)!.content;
          expect(await readIsoFile(image, `/${src.split("/").pop()}`)).toBe(rendered);
        }
        checked++;
      }
    }
    expect(checked).toBe(3);
  });

  it("reserves hugepages upwards only, and stops when the kernel gives fewer", async () => {
    const script = trees[0]!.files.find((f) => f.path === "host/hugepages.sh")!.content;
    const node0 = "/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages";
    const lines = script.split("\n").filter((l) => l.includes(node0) && l.startsWith("if "));
    expect(lines).toHaveLength(2);
    const want = Number(/-lt (\d+) \]/.exec(lines[0]!)![1]);
    const sandbox = join(base, "nr_hugepages");
    const probe = async (start: string, kernelGives?: number) => {
      await writeFile(sandbox, start);
      const body = lines.map((l) => l.replaceAll(node0, sandbox)).join("\n");
      // A kernel that cannot find enough free memory reports fewer pages than were written.
      const fake = kernelGives === undefined ? "" : `cat() { echo ${kernelGives}; }\n`;
      const r = await run("bash", ["-c", `set -euo pipefail\n${fake}${body}`]);
      return { code: r.code, value: Number((await readFile(sandbox, "utf8")).trim()), stderr: r.stderr };
    };
    expect(await probe("0\n")).toMatchObject({ code: 0, value: want });
    expect(await probe(`${want + 4}\n`)).toMatchObject({ code: 0, value: want + 4 });
    const short = await probe("0\n", 3);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain(`node 0: only 3 of ${want} x 1G pages: memory is fragmented`);
  });
});
