import { describe, expect, it } from "vitest";
import { SEED_C240M5, buildHostFacts } from "../../src/facts/shapes.js";
import { createUiApp, startUi, type UiSources } from "../../src/ui/server.js";
import { createSources } from "../../src/ui/sources.js";

const facts = buildHostFacts(SEED_C240M5);
const fixed: UiSources = {
  facts: async () => facts,
  plan: async () => ({ plan: null, problems: [], file: null }),
  live: async () => [{ name: "r1", state: "running" }],
  lastVerify: async () => null,
};

describe("dashboard HTTP API", () => {
  it("serves the page and the documented JSON endpoints on loopback without a token", async () => {
    const app = createUiApp(fixed);
    const page = await app.request("/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="app.js"></script>');
    // The page must work offline: no external URL anywhere in what it loads.
    for (const asset of ["/", "/app.js", "/app.css"]) {
      expect(await (await app.request(asset)).text()).not.toMatch(/https?:\/\//);
    }
    const view = (await (await app.request("/api/view")).json()) as { sockets: unknown[]; vnfs: unknown[] };
    expect(view.sockets).toHaveLength(2);
    expect(await (await app.request("/api/vnfs")).json()).toEqual([{ name: "r1", state: "running" }]);
    expect((await app.request("/api/plan")).status).toBe(404);
  });

  it("shows the last verify result of each VNF with its evidence", async () => {
    const app = createUiApp({
      ...fixed,
      lastVerify: async () => ({
        at: "2026-11-25T13:00:00.000Z",
        topology: "lab",
        connect: "qemu:///system",
        ok: false,
        host: { ok: true, checks: [] },
        vnfs: {
          r1: {
            ok: false,
            checks: [
              {
                id: "vcpupin 0",
                ok: false,
                status: "fail",
                expected: "1",
                actual: "0-1",
                evidence: "virsh vcpupin r1",
                fix: "virsh vcpupin r1 0 1 --live --config",
              },
            ],
          },
        },
      }),
    });
    const view = (await (await app.request("/api/view")).json()) as {
      vnfs: { name: string; verify?: { ok: boolean; evidence: string[] } }[];
    };
    expect(view.vnfs[0]).toMatchObject({
      name: "r1",
      verify: { ok: false, evidence: ["FAIL vcpupin 0: 0-1 (virsh vcpupin r1)"] },
    });
    expect(((await (await app.request("/api/verify")).json()) as { ok: boolean }).ok).toBe(false);
  });

  it("refuses every request without the token when one is set", async () => {
    const app = createUiApp(fixed, { token: "s3cret-token" });
    for (const path of ["/", "/app.js", "/api/view", "/api/host", "/api/events"]) {
      expect((await app.request(path)).status).toBe(401);
      expect((await app.request(`${path}?token=wrong-token!`)).status).toBe(401);
    }
    expect((await app.request("/api/view?token=s3cret-token")).status).toBe(200);
    const bearer = await app.request("/api/host", { headers: { authorization: "Bearer s3cret-token" } });
    expect(bearer.status).toBe(200);
  });

  it("binds beyond loopback only with a generated token, enforced over real HTTP", async () => {
    const ui = await startUi(fixed, { host: "0.0.0.0", port: 0 });
    try {
      expect(ui.token).toMatch(/^[\w-]{20,}$/);
      const port = new URL(ui.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/api/view`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/api/view?token=${ui.token}`)).status).toBe(200);
    } finally {
      await ui.close();
    }
    const local = await startUi(fixed, { host: "127.0.0.1", port: 0 });
    try {
      expect(local.token).toBeNull();
      expect((await fetch(`${local.url}api/view`)).status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it("previews a topology text: a plan when it fits, the planner's message when not", async () => {
    const app = createUiApp(createSources({ root: "examples/hosts/seed-c240m5", connect: null }));
    const fits = await app.request("/api/preview", {
      method: "POST",
      body: [
        "name: preview",
        "vnfs:",
        "  r1:",
        "    kind: csr1000v",
        "    image: /var/lib/libvirt/images/r1.qcow2",
        "    vcpus: 4",
        "    memory: 4GiB",
        "    interfaces:",
        "      - type: macvtap",
        "        dev: eno1",
        "        mode: bridge",
      ].join("\n"),
    });
    expect(fits.status).toBe(200);
    const view = (await fits.json()) as { vnfs: { name: string; node: number }[]; problems: unknown[] };
    expect(view.problems).toEqual([]);
    expect(view.vnfs.map((v) => v.name)).toEqual(["r1"]);

    const tooBig = await app.request("/api/preview", {
      method: "POST",
      body: [
        "name: preview",
        "vnfs:",
        "  big:",
        "    kind: generic",
        "    image: /var/lib/libvirt/images/big.qcow2",
        "    vcpus: 64",
        "    memory: 8GiB",
        "    interfaces: []",
      ].join("\n"),
    });
    const body = (await tooBig.json()) as { problems: { vnf: string; resource: string; message: string }[] };
    expect(body.problems.length).toBeGreaterThan(0);
    expect(body.problems[0]).toMatchObject({ vnf: "big" });

    // Several VNFs short of capacity: the summary comes first, with its shortfalls worded as the CLI does.
    const many = await app.request("/api/preview", {
      method: "POST",
      body: [
        "name: preview",
        "vnfs:",
        ...["a", "b", "c", "d", "e"].flatMap((n) => [
          `  ${n}:`,
          "    kind: generic",
          `    image: /var/lib/libvirt/images/${n}.qcow2`,
          "    vcpus: 16",
          "    memory: 8GiB",
          "    interfaces: []",
        ]),
      ].join("\n"),
    });
    const summary = (
      (await many.json()) as { problems: { resource: string; message: string; details: string[] }[] }
    ).problems[0]!;
    expect(summary.resource).toBe("capacity");
    expect(summary.message).toMatch(/^\d+ of 5 VNFs do not fit this host/);
    expect(summary.details.length).toBeGreaterThan(0);
    expect(summary.details[0]).toMatch(/they need \d+, \d+ of \d+ .* short$/);

    const broken = await app.request("/api/preview", { method: "POST", body: "name: [unclosed" });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/preview\.yaml:1/);
  });
});
