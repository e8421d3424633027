/**
 * The domain and network XML that `nfvhost render` writes (with its own context: day-0 ISO path,
 * name-based UUID, metadata) is accepted by the running libvirtd: `virsh define` / `net-define`
 * under unique test names, undefined again afterwards, even on failure.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import { planDeployment } from "../../src/plan/planner.js";
import { renderArtifacts } from "../../src/render/index.js";
import { loadTopology } from "../../src/topology/load.js";
import { run } from "../../src/util/exec.js";
import { removeByPrefix } from "../support/libvirt-cleanup.js";
import { REPO, SEED_ENV, SEED_ROOT } from "./seed.js";

const URI = "qemu:///system";
const PREFIX = `nfvt-r4-${randomBytes(3).toString("hex")}`;
const ENV = { ...SEED_ENV, C8KV_ADMIN_PASSWORD: "a", C8KV_ENABLE_SECRET: "b", C8KV_SL_TOKEN: "T0KEN" };
const defined: { kind: "domain" | "network"; name: string }[] = [];

afterAll(async () => {
  for (const d of defined) {
    await run("virsh", ["-c", URI, d.kind === "domain" ? "undefine" : "net-undefine", d.name]);
  }
  await removeByPrefix(PREFIX, URI);
});

describe("rendered libvirt XML on the running libvirtd", () => {
  it("defines every domain and network of the seed and the C8000V example", async () => {
    const facts = await discoverHost({ root: SEED_ROOT });
    const dir = await mkdtemp(join(tmpdir(), "nfvhost-render-define-"));
    try {
      let count = 0;
      for (const name of ["seed-csr1kv", "c8000v-autonomous"]) {
        const parsed = await loadTopology(join(REPO, "examples/topologies", `${name}.yaml`));
        const result = planDeployment(facts, parsed.topology);
        if (!result.ok) throw new Error(JSON.stringify(result.problems));
        const files = renderArtifacts(result.plan, facts, { env: ENV, saltSeed: "x" });
        for (const f of files.filter((x) => /^libvirt\/(domains|networks)\/.+\.xml$/.test(x.path))) {
          const kind = f.path.includes("/domains/") ? "domain" : "network";
          const original = /<name>([^<]+)<\/name>/.exec(f.content)![1]!;
          const testName = `${PREFIX}-${original}`.slice(0, 60);
          // A unique name and no UUID: nothing here can collide with a real or another test's object.
          const xml = f.content
            .replace(`<name>${original}</name>`, `<name>${testName}</name>`)
            .replace(/<uuid>[^<]*<\/uuid>/, "");
          const file = join(dir, `${testName}.xml`);
          await writeFile(file, xml);
          defined.push({ kind, name: testName });
          const r = await run("virsh", ["-c", URI, kind === "domain" ? "define" : "net-define", file]);
          expect(r.code, `${name} ${f.path}: ${r.stderr}`).toBe(0);
          count++;
        }
      }
      expect(count).toBeGreaterThanOrEqual(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
