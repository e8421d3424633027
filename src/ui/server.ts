/**
 * `nfvhost ui`: a small read-only dashboard served from the CLI process. The page is static
 * (ui/ at the package root, no CDN) and draws the JSON of the documented /api endpoints.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP, type AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { HostFacts } from "../facts/types.js";
import type { DeployedVnf, Plan, PlanProblem } from "../plan/types.js";
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
  /** What runs on the host now, for a previewed plan to keep in place (none when absent). */
  deployed?(facts: HostFacts): Promise<DeployedVnf[]>;
}

export interface UiOptions {
  /** Required on every request when set (the CLI sets one when binding beyond loopback). */
  token?: string | (() => string | null);
  /** How often live state is polled for /api/events, in ms. */
  pollMs?: number;
  /**
   * Host header names (no port) this dashboard answers to; others get 421. A page on another
   * site that rebinds its DNS name to 127.0.0.1 sends its own name, so it cannot read /api/*.
   * Default: localhost, 127.0.0.1 and [::1]; a list given here replaces it.
   */
  allowedHosts?: string[] | (() => string[]);
  /** A preview planned longer than this is stopped (its worker thread ended), in ms. */
  previewTimeoutMs?: number;
}

/** The body limit of POST /api/preview; reading stops at the first byte beyond it. */
export const PREVIEW_LIMIT = 1_000_000;

/** Previews planned at once; more wait for none but get 429 (each is a worker thread). */
const PREVIEW_CONCURRENCY = 2;

/**
 * Media types a cross-site page cannot send without a CORS preflight, which this server never
 * answers: a form or a "simple" fetch from another origin cannot reach the planner.
 */
const PREVIEW_TYPES = new Set([
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
  "text/x-yaml",
  "application/json",
]);

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

/**
 * Whether an address (an IP literal, as the socket reports it after binding) is loopback. Not a
 * host name: `127.example.com` resolves wherever its owner wants.
 */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, "");
  if (isIP(a) === 4) return a.startsWith("127.");
  if (isIP(a) === 6) return a === "::1" || /^::ffff:127\./i.test(a);
  return false;
}

/** The name part of a Host header: "h:8080" -> "h", "[::1]:8080" -> "::1". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon > 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

export const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/**
 * Reads a request body up to `limit` bytes and stops there: a 400 MB upload costs one chunk over
 * the limit, not 400 MB of memory. Null when the body is larger.
 */
async function readLimited(req: Request, limit: number): Promise<string | null> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

type PreviewOutcome =
  | { ok: true; plan: Plan | null; problems: PlanProblem[]; file: string | null }
  | { ok: false; input: boolean; message: string };

/** Runs the preview worker (the .ts source under tsx in development and tests, .js when built). */
function planInWorker(job: { text: string; facts: HostFacts; deployed: DeployedVnf[] }, timeoutMs: number) {
  const entry = new URL(`./preview-worker.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url);
  // From source, tsx's loader is registered inside the worker first (Node starts a worker's entry
  // before loaders given in execArgv); built, the .js entry runs as it is.
  const worker = entry.pathname.endsWith(".ts")
    ? new Worker(
        `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, workerData: job },
      )
    : new Worker(entry, { workerData: job });
  return new Promise<PreviewOutcome | "timeout">((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve("timeout");
    }, timeoutMs);
    worker.once("message", (m: PreviewOutcome) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
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

  const tokenNow =
    typeof opts.token === "function" ? opts.token : () => (opts.token as string | undefined) ?? null;
  const hostsNow =
    typeof opts.allowedHosts === "function"
      ? opts.allowedHosts
      : () => (opts.allowedHosts as string[] | undefined) ?? LOOPBACK_NAMES;

  app.use("*", async (c, next) => {
    const token = tokenNow();
    if (token) {
      const header = c.req.header("authorization")?.replace(/^Bearer\s+/i, "");
      const given = header ?? c.req.query("token");
      if (!tokenMatches(given, token)) {
        return c.json({ error: "missing or wrong token: add ?token=<token printed by nfvhost ui>" }, 401);
      }
    } else {
      // Without a token the Host header is what tells this server from a rebinding attacker's name.
      const host = hostName(c.req.header("host") ?? new URL(c.req.url).host);
      if (!hostsNow().includes(host)) {
        return c.json(
          { error: `this dashboard answers to ${hostsNow().join(", ")}, not ${host.slice(0, 64)}` },
          421,
        );
      }
    }
    await next();
  });

  const view = async (): Promise<HostView & { topologyFile: string | null }> => {
    const [facts, planned, live, verified] = await Promise.all([
      sources.facts(),
      sources.plan(),
      sources.live(),
      sources.lastVerify(),
    ]);
    return {
      ...buildHostView(facts, planned.plan, live, planned.problems, verified),
      topologyFile: planned.file,
    };
  };

  let previewing = 0;
  const previewTimeoutMs = opts.previewTimeoutMs ?? 20_000;
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
    // A cross-site page's POST carries its Origin; and only a "simple" type skips the preflight.
    const origin = c.req.header("origin");
    const self = new URL(c.req.url);
    if (origin !== undefined && origin !== `${self.protocol}//${c.req.header("host") ?? self.host}`) {
      return c.json({ error: "cross-site request refused (Origin is not this dashboard)" }, 403);
    }
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!PREVIEW_TYPES.has(type)) {
      return c.json(
        { error: `send the topology as content-type application/yaml (got ${type.slice(0, 40) || "none"})` },
        415,
      );
    }
    const text = await readLimited(c.req.raw, PREVIEW_LIMIT);
    if (text === null) return c.json({ error: "topology larger than 1 MB" }, 413);
    if (previewing >= PREVIEW_CONCURRENCY) {
      return c.json({ error: "another preview is being planned; try again in a moment" }, 429);
    }
    previewing++;
    try {
      const facts = await sources.facts();
      const [deployed, live] = await Promise.all([
        sources.deployed ? sources.deployed(facts) : Promise.resolve([]),
        sources.live(),
      ]);
      const out = await planInWorker({ text, facts, deployed }, previewTimeoutMs);
      if (out === "timeout") {
        return c.json(
          { error: `planning this preview took longer than ${previewTimeoutMs / 1000} s; it was stopped` },
          503,
        );
      }
      if (!out.ok) {
        if (out.input) return c.json({ error: out.message }, 400);
        throw new Error(out.message);
      }
      return c.json({ ...buildHostView(facts, out.plan, live, out.problems, null), topologyFile: out.file });
    } finally {
      previewing--;
    }
  });

  // Server-sent events: a new view whenever the live VNF states change. One poller for every
  // client: libvirt is asked once per interval, however many browsers watch.
  const watchers = new Set<(view: string) => void>();
  let current: string | null = null;
  let polling: Promise<void> | null = null;
  const poll = async () => {
    let last = "";
    while (watchers.size > 0) {
      const live = await sources.live().catch(() => null);
      const verified = await sources.lastVerify().catch(() => null);
      const key = JSON.stringify([live, verified?.at ?? null]);
      if (live && key !== last) {
        last = key;
        current = JSON.stringify(await view());
        for (const w of watchers) w(current);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    current = null;
    polling = null;
  };
  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      const queue: string[] = current ? [current] : [];
      let wake: (() => void) | null = null;
      const watcher = (v: string) => {
        queue.push(v);
        wake?.();
      };
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
        wake?.();
      });
      watchers.add(watcher);
      polling ??= poll();
      try {
        while (!aborted) {
          const next = queue.splice(0).at(-1);
          if (next !== undefined) await stream.writeSSE({ event: "view", data: next });
          else await new Promise<void>((r) => (wake = r));
          wake = null;
        }
      } finally {
        watchers.delete(watcher);
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
  opts: { host: string; port: number; pollMs?: number; previewTimeoutMs?: number },
): Promise<RunningUi> {
  // Decided from the address the socket is bound to, once it is: a name that looks local
  // ("127.example.com") may resolve anywhere. No request is served before the decision.
  const generated = randomBytes(18).toString("base64url");
  let token: string | null = generated;
  let hosts: string[] = [];
  const app = createUiApp(sources, {
    token: () => token,
    allowedHosts: () => hosts,
    pollMs: opts.pollMs,
    previewTimeoutMs: opts.previewTimeoutMs,
  });
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      const loopback = isLoopbackAddress(info.address);
      token = loopback ? null : generated;
      hosts = [...LOOPBACK_NAMES, info.address.toLowerCase(), opts.host.toLowerCase()];
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
