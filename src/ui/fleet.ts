/**
 * The dashboard's fleet page (`nfvhost fleet ui DIR -i INVENTORY`, wired in src/cli/commands/fleet.ts): every host of a rendered fleet
 * as a tile with its CPU, hugepage and VF use and the VNFs on it (state from the last fetched
 * verify report), one click to that host's picture: today's dashboard (ui/), served per host under
 * /host/<name>/ from the host's snapshot and its topology.yaml.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import type { Plan } from "../plan/types.js";
import { createUiApp, hostName, isLoopbackAddress, LOOPBACK_NAMES, type UiSources } from "./server.js";
import { NfvError } from "../util/errors.js";

export interface HostTile {
  host: string;
  labels: Record<string, string>;
  cpus: { used: number; total: number };
  pages: { used: number; total: number; sizeKiB: number };
  vfs: { used: number; total: number };
  vnfs: { name: string; node: number; vcpus: number; state: string }[];
  verified: "ok" | "drift" | "not verified";
}

/** A tile from the host's plan and its last verify report. */
export function hostTile(
  host: string,
  labels: Record<string, string>,
  plan: Plan,
  verify: { ok: boolean; checks: { subject: string; check: string; have: string }[] } | null,
): HostTile {
  const used = plan.host.cpuRoles.filter((r) => r.role.role === "vcpu" || r.role.role === "emulator").length;
  const online = plan.host.cpuRoles.filter((r) => r.role.role !== "offline").length;
  const pages = plan.host.hugepages;
  const vfTotal = plan.host.sriov.reduce((s, p) => s + p.numVfs, 0);
  const vfUsed = plan.vnfs.reduce(
    (s, v) => s + v.interfaces.filter((i) => i.type === "sriov-pool" || i.type === "sriov-hostdev").length,
    0,
  );
  const state = (name: string) =>
    verify?.checks.find((c) => c.subject === name && c.check === "domain running")?.have ?? "not verified";
  return {
    host,
    labels,
    cpus: { used, total: online },
    pages: {
      used: pages.reduce((s, p) => s + p.needed, 0),
      total: pages.reduce((s, p) => s + p.reserve, 0),
      sizeKiB: pages[0]?.sizeKiB ?? 0,
    },
    vfs: { used: vfUsed, total: vfTotal },
    vnfs: plan.vnfs.map((v) => ({ name: v.name, node: v.node, vcpus: v.vcpus, state: state(v.name) })),
    verified: verify === null ? "not verified" : verify.ok ? "ok" : "drift",
  };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function bar(label: string, used: number, total: number): string {
  const pct = total > 0 ? Math.min(100, Math.round((100 * used) / total)) : 0;
  return `<div class="meter"><span>${esc(label)} ${used}/${total}</span><div class="bar"><i style="width:${pct}%"></i></div></div>`;
}

export function fleetPageHtml(fleet: string, tiles: readonly HostTile[]): string {
  const vnfs = tiles.reduce((s, t) => s + t.vnfs.length, 0);
  const drift = tiles.filter((t) => t.verified === "drift").length;
  const cards = tiles
    .map(
      (
        t,
      ) => `<a class="tile ${t.verified === "drift" ? "drift" : ""}" href="host/${encodeURIComponent(t.host)}/">
  <h2>${esc(t.host)}</h2>
  <p class="labels">${Object.entries(t.labels)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join(" ")}</p>
  ${bar("CPUs pinned", t.cpus.used, t.cpus.total)}
  ${bar(`${t.pages.sizeKiB >= 1048576 ? "1G" : "2M"} pages`, t.pages.used, t.pages.total)}
  ${bar("VFs", t.vfs.used, t.vfs.total)}
  <ul>${t.vnfs.map((v) => `<li>${esc(v.name)} <small>node ${v.node}, ${v.vcpus} vCPU, ${esc(v.state)}</small></li>`).join("") || "<li><small>no VNFs</small></li>"}</ul>
  <p class="verified">${esc(t.verified)}</p>
</a>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nfvhost fleet ${esc(fleet)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;background:#f7f7f8;color:#222}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:1rem}
.tile{display:block;background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem;color:inherit;text-decoration:none}
.tile:hover{border-color:#3b6fd4}.tile.drift{border-color:#c33}
.tile h2{margin:0;font-size:1.1rem}.labels,.verified{color:#666;font-size:.85rem;margin:.2rem 0}
.meter span{font-size:.8rem}.bar{background:#eee;height:6px;border-radius:3px}.bar i{display:block;height:6px;background:#3b6fd4;border-radius:3px}
ul{padding-left:1rem;margin:.4rem 0}small{color:#666}
</style></head><body>
<h1>fleet ${esc(fleet)}</h1>
<p id="summary">${tiles.length} hosts, ${vnfs} VNFs, ${drift} with drift</p>
<div class="grid">
${cards}
</div>
<footer><small>JSON: <a href="api/fleet">api/fleet</a> · each tile opens that host's picture</small></footer>
</body></html>
`;
}

export interface FleetUiHost {
  tile: HostTile;
  sources: UiSources;
}

export function createFleetUiApp(fleet: string, hosts: readonly FleetUiHost[]): Hono {
  const app = new Hono();
  // The page carries no token, so the Host header is what tells it from a DNS-rebinding name.
  app.use("*", async (c, next) => {
    const host = hostName(c.req.header("host") ?? new URL(c.req.url).host);
    if (!LOOPBACK_NAMES.includes(host))
      return c.json(
        { error: `this page answers to ${LOOPBACK_NAMES.join(", ")}, not ${host.slice(0, 64)}` },
        421,
      );
    await next();
  });
  app.get("/", (c) =>
    c.html(
      fleetPageHtml(
        fleet,
        hosts.map((h) => h.tile),
      ),
    ),
  );
  app.get("/api/fleet", (c) => c.json({ fleet, hosts: hosts.map((h) => h.tile) }));
  for (const h of hosts) {
    const path = `/host/${encodeURIComponent(h.tile.host)}`;
    // The host page's URLs are relative: it must be loaded with the trailing slash.
    const sub = createUiApp(h.sources);
    app.get(path, (c) => c.redirect(`${path}/`));
    app.get(`${path}/`, (c) => sub.fetch(new Request(new URL("/", c.req.url), c.req.raw)));
    app.route(path, sub);
  }
  return app;
}

/** The tile inputs of a rendered fleet: DIR/<host>/plan.json and DIR/reports/<host>/verify.json. */
export async function readHostPlan(
  dir: string,
  reports: string,
  host: string,
): Promise<{ plan: Plan; verify: Parameters<typeof hostTile>[3] }> {
  const plan = JSON.parse(await readFile(join(dir, host, "plan.json"), "utf8")) as Plan;
  const verify = await readFile(join(reports, host, "verify.json"), "utf8")
    .then((t) => JSON.parse(t) as Parameters<typeof hostTile>[3])
    .catch(() => null);
  return { plan, verify };
}

export async function serveFleetUi(
  app: Hono,
  opts: { host: string; port: number },
): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    // Decided from the address the socket is bound to: a name that looks local may resolve anywhere.
    let bound = false;
    const guarded = (req: Request) => (bound ? app.fetch(req) : new Response("starting", { status: 503 }));
    const server = serve({ fetch: guarded, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      if (!isLoopbackAddress(info.address)) {
        server.close();
        reject(
          new NfvError({
            code: "NFV-FLEET-UI",
            what: "--host",
            value: `${opts.host} (bound to ${info.address})`,
            expected: "a loopback address (the fleet page carries no token)",
            fix: "use 127.0.0.1 and an SSH tunnel to reach it",
          }),
        );
        return;
      }
      bound = true;
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
    server.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        new NfvError({
          code: "NFV-FLEET-UI",
          what: `cannot listen on ${opts.host}:${opts.port}`,
          value: e.code,
          exitCode: 1,
        }),
      ),
    );
  });
}
