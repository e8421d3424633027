/**
 * `nfvhost fleet apply|verify|status`: ansible-playbook runs the rendered site.yml; nfvhost reads
 * Ansible's recap (per host ok/changed/unreachable/failed) and the reports the playbook fetched
 * (REPORTS/<host>/apply.json, verify.json) into one picture of the fleet.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { NfvError } from "../util/errors.js";
import { run } from "../util/exec.js";
import { runAnsible, type Runner } from "./inventory.js";
import { PLAYBOOK, REPORTS } from "./playbook.js";
import { FLEET_MARKER } from "./render.js";

export interface PlaybookOptions {
  inventory: string;
  limit?: string;
  check?: boolean;
  forks?: number;
  vaultPasswordFile?: string;
  askVaultPass?: boolean;
  tags?: string;
  /** Extra ansible-playbook arguments, verbatim (-e, -v ...). */
  extra?: string[];
  timeoutMs?: number;
}

export interface RecapLine {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

interface VerifyCheck {
  subject: string;
  check: string;
  status: "pass" | "fail" | "warn";
  want: string;
  have: string;
  fix?: string;
}

export interface HostOutcome {
  host: string;
  status: "ok" | "changed" | "failed" | "unreachable" | "skipped";
  /** Ansible's message for a failed or unreachable host. */
  message?: string;
  apply?: {
    converged: boolean;
    applied: number;
    dryRun: boolean;
    changes: { kind: string; name: string; summary: string }[];
    held: unknown[];
    pending: unknown[];
  };
  verify?: { ok: boolean; checks: VerifyCheck[] };
  /** VNFs of the host's plan and the state verify read. */
  vnfs: { name: string; state: string }[];
  drift: string[];
}

export interface FleetRun {
  dir: string;
  command: string[];
  code: number;
  hosts: HostOutcome[];
  output: string;
}

export async function assertFleetDir(dir: string): Promise<string[]> {
  const marker = join(dir, FLEET_MARKER);
  if (!existsSync(marker) || !existsSync(join(dir, PLAYBOOK)))
    throw new NfvError({
      code: "NFV-FLEET-DIR",
      what: "fleet directory",
      value: dir,
      expected: `the output of nfvhost render FLEET.yaml -i INVENTORY --out DIR (with ${PLAYBOOK} and ${FLEET_MARKER})`,
      fix: "render the fleet first",
    });
  const m = JSON.parse(await readFile(marker, "utf8")) as { hosts: string[] };
  return m.hosts;
}

export function parseRecap(output: string): Map<string, RecapLine> {
  const out = new Map<string, RecapLine>();
  const at = output.lastIndexOf("PLAY RECAP");
  if (at === -1) return out;
  for (const line of output.slice(at).split("\n")) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const n = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(m[2]!)?.[1] ?? 0);
    out.set(m[1]!, {
      ok: n("ok"),
      changed: n("changed"),
      unreachable: n("unreachable"),
      failed: n("failed"),
      skipped: n("skipped"),
      rescued: n("rescued"),
      ignored: n("ignored"),
    });
  }
  return out;
}

/** The first fatal message Ansible printed for a host (`fatal: [h]: UNREACHABLE! => {...}`). */
function fatalOf(output: string, host: string): string | undefined {
  const re = new RegExp(
    `^fatal: \\[${host.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]: ([A-Z!]+) => (.*)$`,
    "m",
  );
  const m = re.exec(output);
  if (!m) return undefined;
  try {
    const body = JSON.parse(m[2]!) as { msg?: string; stderr?: string };
    return `${m[1]} ${body.msg ?? ""}${body.stderr ? `: ${body.stderr}` : ""}`.trim();
  } catch {
    return `${m[1]} ${m[2]}`;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

export async function runFleetPlaybook(
  dir: string,
  opts: PlaybookOptions,
  runner: Runner = (c, a) =>
    run(c, a, {
      timeoutMs: opts.timeoutMs ?? 3_600_000,
      env: {
        // Pipelining saves several SSH round trips per task; a user's own setting wins.
        ANSIBLE_PIPELINING: "True",
        ...process.env,
        ANSIBLE_RETRY_FILES_ENABLED: "false",
        ANSIBLE_NOCOLOR: "1",
      },
    }),
): Promise<FleetRun> {
  const hosts = await assertFleetDir(dir);
  if (opts.forks !== undefined && (!Number.isInteger(opts.forks) || opts.forks < 1))
    throw new NfvError({
      code: "NFV-FLEET-FORKS",
      what: "--forks",
      value: opts.forks,
      expected: "a whole number >= 1",
    });
  // Reports of an earlier run must not pass for this run's.
  await rm(join(dir, REPORTS), { recursive: true, force: true });
  const args = [
    "-i",
    opts.inventory,
    join(dir, PLAYBOOK),
    ...(opts.limit ? ["--limit", opts.limit] : []),
    ...(opts.check ? ["--check"] : []),
    ...(opts.forks !== undefined ? ["--forks", String(opts.forks)] : []),
    ...(opts.vaultPasswordFile ? ["--vault-password-file", opts.vaultPasswordFile] : []),
    ...(opts.askVaultPass ? ["--ask-vault-pass"] : []),
    ...(opts.tags ? ["--tags", opts.tags] : []),
    ...(opts.extra ?? []),
  ];
  const r = await runAnsible(runner, "ansible-playbook", args);
  const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ""}`;
  const recap = parseRecap(r.stdout);
  if (recap.size === 0 && r.code !== 0)
    throw new NfvError({
      code: "NFV-FLEET-ANSIBLE",
      what: "ansible-playbook",
      value: `exit ${r.code}`,
      expected: "a playbook run",
      fix:
        (r.stderr || r.stdout).trim().split("\n").slice(-5).join(" ") ||
        "run ansible-playbook by hand to see why",
      exitCode: 1,
    });
  const outcomes: HostOutcome[] = [];
  for (const host of hosts) {
    const rc = recap.get(host);
    const apply = await readJson<HostOutcome["apply"]>(join(dir, REPORTS, host, "apply.json"));
    const verify = await readJson<HostOutcome["verify"]>(join(dir, REPORTS, host, "verify.json"));
    const plan = await readJson<{ vnfs: { name: string }[] }>(join(dir, host, "plan.json"));
    const log = async (f: string) =>
      (await readFile(join(dir, REPORTS, host, f), "utf8").catch(() => ""))
        .trim()
        .split("\n")
        .filter((l) => l !== "");
    const why = [...(await log("apply.log")), ...(await log("verify.log"))]
      .filter((l) => /error|fail/i.test(l))
      .slice(-3);
    const state = (name: string): string => {
      const c = verify?.checks.find((x) => x.subject === name && x.check === "domain running");
      return c ? c.have : verify ? "unknown" : "not verified";
    };
    const status: HostOutcome["status"] = !rc
      ? "skipped"
      : rc.unreachable > 0
        ? "unreachable"
        : rc.failed > 0
          ? "failed"
          : rc.changed > 0
            ? "changed"
            : "ok";
    const fatal = status === "failed" || status === "unreachable" ? fatalOf(r.stdout, host) : undefined;
    const message = fatal === undefined ? undefined : [fatal, ...why].join(": ");
    outcomes.push({
      host,
      status,
      ...(message !== undefined ? { message } : {}),
      ...(apply ? { apply } : {}),
      ...(verify ? { verify } : {}),
      vnfs: (plan?.vnfs ?? []).map((v) => ({ name: v.name, state: state(v.name) })),
      drift: (verify?.checks ?? [])
        .filter((c) => c.status === "fail")
        .map((c) => `${c.subject}: ${c.check}: want ${c.want}, have ${c.have}`),
    });
  }
  return { dir, command: ["ansible-playbook", ...args], code: r.code, hosts: outcomes, output };
}
