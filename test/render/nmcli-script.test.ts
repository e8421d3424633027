/**
 * The rendered network-manager/nmcli.sh, run as a shell script against a recording nmcli: per
 * connection, its `add` and `modify` arguments (exactly as the shell passes them after quoting)
 * are replayed through the real `nmcli --offline connection add`, and the keyfile NetworkManager
 * 1.42 prints must equal the rendered system-connections/<id>.nmconnection byte for byte.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverHost } from "../../src/facts/discover.js";
import { planDeployment } from "../../src/plan/planner.js";
import { renderArtifacts, writeArtifacts } from "../../src/render/index.js";
import { loadTopology } from "../../src/topology/load.js";
import { run } from "../../src/util/exec.js";
import { REPO, SEED_ENV, SEED_ROOT } from "./seed.js";

const FAKES: Record<string, string> = {
  // Records add/modify arguments NUL-separated per connection; no profile exists yet.
  nmcli: `#!/bin/bash
case "$1 $2" in
  "connection show") exit 10 ;;
  "connection add") shift 2; printf '%s\\0' "$@" >"$NMSTATE/$2.add" ;;
  "connection modify") name=$3; shift 3; printf '%s\\0' "$@" >>"$NMSTATE/$name.modify" ;;
  "connection up") echo "$3" >>"$NMSTATE/up.order" ;;
  *) echo "unexpected nmcli $*" >&2; exit 2 ;;
esac
`,
  udevadm: "#!/bin/sh\nexit 0\n",
  ping: "#!/bin/sh\nexit 0\n",
  ip: "#!/bin/sh\nexit 0\n",
  systemctl: "#!/bin/sh\nexit 1\n",
};

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "nfvhost-render-nmcli-"));
  await mkdir(join(base, "bin"));
  for (const [name, body] of Object.entries(FAKES)) {
    await writeFile(join(base, "bin", name), body);
    await chmod(join(base, "bin", name), 0o755);
  }
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const ENV = { ...SEED_ENV, C8KV_ADMIN_PASSWORD: "a", C8KV_ENABLE_SECRET: "b", C8KV_SL_TOKEN: "T0KEN" };

describe("nmcli.sh replayed through nmcli --offline", () => {
  for (const name of ["seed-csr1kv", "c8000v-autonomous"]) {
    it(`gives the rendered keyfiles for ${name}`, async () => {
      const facts = await discoverHost({ root: SEED_ROOT });
      const parsed = await loadTopology(join(REPO, "examples/topologies", `${name}.yaml`));
      const result = planDeployment(facts, parsed.topology);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      const out = join(base, name);
      const state = join(base, `${name}.state`);
      await mkdir(state);
      await writeArtifacts(renderArtifacts(result.plan, facts, { env: ENV, saltSeed: "x" }), out);

      const env = { ...process.env, NMSTATE: state, PATH: `${join(base, "bin")}:${process.env.PATH}` };
      const r = await run("bash", [join(out, "network-manager/nmcli.sh")], { env });
      expect(r.code, r.stderr).toBe(0);

      const keyfiles = (await readdir(join(out, "network-manager/system-connections"))).sort();
      expect(keyfiles.length).toBeGreaterThan(0);
      for (const file of keyfiles) {
        const id = file.replace(/\.nmconnection$/, "");
        const args = (p: string) => readFile(join(state, p), "utf8").then((s) => s.split("\0").slice(0, -1));
        const all = [...(await args(`${id}.add`)), ...(await args(`${id}.modify`))];
        const nm = await run("nmcli", ["--offline", "connection", "add", ...all]);
        expect(nm.code, `${id}: ${nm.stderr}`).toBe(0);
        expect(await readFile(join(out, "network-manager/system-connections", file), "utf8"), id).toBe(
          nm.stdout,
        );
      }
      const up = (await readFile(join(state, "up.order"), "utf8")).trim().split("\n");
      expect(up.sort()).toEqual(keyfiles.map((f) => f.replace(/\.nmconnection$/, "")).sort());
    });
  }
});
