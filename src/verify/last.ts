/**
 * The last verify result, kept at STATE/verify/last.json for the dashboard ("last verify result
 * with its evidence" per VNF). Written atomically by `nfvhost verify`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../host/files.js";
import type { Check, VerifyReport } from "./index.js";

export interface LastVerifyCheck {
  id: string;
  ok: boolean;
  /** "warn" checks are ok (they do not fail verify) but flagged. */
  status: Check["status"];
  expected: string;
  actual: string;
  evidence: string;
  fix?: string;
}

export interface LastVerifyGroup {
  ok: boolean;
  checks: LastVerifyCheck[];
}

export interface LastVerify {
  at: string;
  topology: string;
  connect: string;
  ok: boolean;
  vnfs: Record<string, LastVerifyGroup>;
  /** The host itself and its PFs (the PF name prefixes the id). */
  host: LastVerifyGroup;
}

export function lastVerifyPath(stateDir: string): string {
  return join(stateDir, "verify", "last.json");
}

export function toLastVerify(r: VerifyReport, vnfNames: string[], at = new Date()): LastVerify {
  const conv = (c: Check, prefix: string): LastVerifyCheck => ({
    id: `${prefix}${c.check}`,
    ok: c.status !== "fail",
    status: c.status,
    expected: c.want,
    actual: c.have,
    evidence: c.evidence,
    ...(c.status !== "pass" && c.fix ? { fix: c.fix } : {}),
  });
  const vnfs: Record<string, LastVerifyGroup> = {};
  for (const n of vnfNames) vnfs[n] = { ok: true, checks: [] };
  const host: LastVerifyGroup = { ok: true, checks: [] };
  for (const c of r.checks) {
    const group = vnfs[c.subject] ?? host;
    const lc = conv(c, group === host && c.subject !== "host" ? `${c.subject}: ` : "");
    group.checks.push(lc);
    if (!lc.ok) group.ok = false;
  }
  return { at: at.toISOString(), topology: r.topology, connect: r.connect, ok: r.ok, vnfs, host };
}

export async function writeLastVerify(stateDir: string, v: LastVerify): Promise<void> {
  await writeFileAtomic(lastVerifyPath(stateDir), `${JSON.stringify(v, null, 2)}\n`, 0o644);
}

export async function readLastVerify(stateDir: string): Promise<LastVerify | null> {
  try {
    return JSON.parse(await readFile(lastVerifyPath(stateDir), "utf8")) as LastVerify;
  } catch {
    return null;
  }
}
