/**
 * `nfvhost ui`: a small read-only dashboard served from the CLI process. The page is static
 * (ui/ at the package root, no CDN) and draws the JSON of the documented /api endpoints.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { HostFacts } from "../facts/types.js";
import type { Plan, PlanProblem } from "../plan/types.js";
import { NfvError } from "../util/errors.js";
import type { LastVerify } from "../verify/last.js";
import { buildHostView, type HostView, type LiveVnf } from "./view.js";

/** Where the dashboard gets its data; the CLI wires these to discover, plan and libvirt. */
export interface UiSources {
  facts(): Promise<HostFacts>;
  /** Plans a topology text (the file given with --topology when text is omitted). */
  plan(text?: string): Promise<{ plan: Plan | null; problems: PlanProblem[]; file: string | null }>;
  live(): Promise<LiveVnf[]>;
  /** The last `nfvhost verify` result, when one was recorded. */
  lastVerify(): Promise<LastVerify | null>;
}

export interface UiOptions {
  /** Required on every request when set (the CLI sets one when binding beyond loopback). */
  token?: string;
  /** How often live state is polled for /api/events, in ms. */
  pollMs?: number;
}

const STATIC: Record<string, string> = {
  "/": "index.html",
  "/app.js": "app.js",
  "/app.css": "app.css",
};
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

export function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1" || /^127\./.test(host);
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createUiApp(sources: UiSources, opts: UiOptions = {}): Hono {
  const app = new Hono();
  const pollMs = opts.pollMs ?? 1000;

  if (opts.token) {
    const token = opts.token;
    app.use("*", async (c, next) => {
      const header = c.req.header("authorization")?.replace(/^Bearer\s+/i, "");
      const given = header ?? c.req.query("token");
      if (!tokenMatches(given, token)) {
        return c.json({ error: "missing or wrong token: add ?token=<token printed by nfvhost ui>" }, 401);
      }
      await next();
    });
  }

  const view = async (text?: string): Promise<HostView & { topologyFile: string | null }> => {
    const [facts, planned, live, verified] = await Promise.all([
      sources.facts(),
      sources.plan(text),
      sources.live(),
      text === undefined ? sources.lastVerify() : Promise.resolve(null),
    ]);
    return {
      ...buildHostView(facts, planned.plan, live, planned.problems, verified),
      topologyFile: planned.file,
    };
  };

  for (const [route, file] of Object.entries(STATIC)) {
    app.get(route, async (c) => {
      const body = await readFile(new URL(`../../ui/${file}`, import.meta.url), "utf8");
      const ext = file.split(".").pop()!;
      return c.body(body, 200, { "content-type": TYPES[ext]!, "cache-control": "no-store" });
    });
  }

  app.get("/api/host", async (c) => c.json(await sources.facts()));
  app.get("/api/plan", async (c) => {
    const p = await sources.plan();
    if (!p.file) return c.json({ error: "no topology: start with --topology FILE" }, 404);
    return c.json(p.plan ? { ok: true, plan: p.plan } : { ok: false, problems: p.problems });
  });
  app.get("/api/vnfs", async (c) => c.json(await sources.live()));
  app.get("/api/verify", async (c) =>
    c.json((await sources.lastVerify()) ?? { error: "no verify recorded yet" }),
  );
  app.get("/api/view", async (c) => c.json(await view()));
  app.post("/api/preview", async (c) => {
    const text = await c.req.text();
    if (text.length > 1_000_000) return c.json({ error: "topology larger than 1 MB" }, 413);
    try {
      return c.json(await view(text));
    } catch (err) {
      if (err instanceof NfvError || (err instanceof Error && "errors" in err)) {
        return c.json({ error: err.message }, 400);
      }
      throw err;
    }
  });
  // Server-sent events: a new view whenever the live VNF states change (libvirt polled).
  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      let last = "";
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      while (!aborted) {
        const live = await sources.live().catch(() => null);
        const verified = await sources.lastVerify().catch(() => null);
        const key = JSON.stringify([live, verified?.at ?? null]);
        if (live && key !== last) {
          last = key;
          await stream.writeSSE({ event: "view", data: JSON.stringify(await view()) });
        }
        await stream.sleep(pollMs);
      }
    }),
  );
  return app;
}

export interface RunningUi {
  url: string;
  token: string | null;
  close(): Promise<void>;
}

export async function startUi(
  sources: UiSources,
  opts: { host: string; port: number; pollMs?: number },
): Promise<RunningUi> {
  const token = isLoopback(opts.host) ? null : randomBytes(18).toString("base64url");
  const app = createUiApp(sources, { ...(token ? { token } : {}), pollMs: opts.pollMs });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}/${token ? `?token=${token}` : ""}`,
        token,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        new NfvError({
          what: `cannot listen on ${opts.host}:${opts.port}`,
          value: e.code,
          expected: "a free port on an address of this host",
          fix: "pick another --port, or stop what uses it",
          exitCode: 1,
        }),
      ),
    );
  });
}
