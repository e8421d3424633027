/**
 * `nfvhost export kubevirt|openstack TOPOLOGY... --out DIR`: discover -> plan (as `nfvhost plan`)
 * -> the engine's own files, checked offline, plus the degradation report (docs/export.md).
 * Several TOPOLOGY files, each with its --root (snapshot) and --host (node name), export as one
 * multi-host deployment: hosts with the same tuning share one PerformanceProfile / policy set.
 */
import { existsSync } from "node:fs";
import { readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import Table from "cli-table3";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  type ExportHost,
  type ExportOutcome,
  degradationReport,
  exportDeployment,
  formatDegradation,
} from "../../export/index.js";
import { DEFAULT_STATE_DIR } from "../../host/paths.js";
import { resolveConnect } from "../../libvirt/virsh.js";
import { writeArtifacts } from "../../render/index.js";
import { MODE_FILE, type RenderedFile } from "../../render/types.js";
import { NfvError } from "../../util/errors.js";
import { makePrivateWorkDir } from "../../util/private-files.js";
import { type CommandModule, printJson, returning } from "../command.js";
import { pipelineFor } from "../pipeline.js";
import { reportPlanProblems } from "../plan-problems.js";

/** Marks a directory nfvhost exported into, so a later export may replace it without --force. */
export const EXPORT_MARKER = ".nfvhost-export.json";

interface CommonOptions {
  out: string;
  inventory?: string;
  snapshots?: string;
  root: string[];
  host: string[];
  name?: string;
  pinHost?: boolean;
  strict?: boolean;
  json?: boolean;
  force?: boolean;
  saltSeed?: string;
}

interface KubevirtCliOptions extends CommonOptions {
  namespace: string;
  sriovNamespace: string;
  diskSize: string;
}

interface OpenstackCliOptions extends CommonOptions {
  format: "heat" | "cli";
  diskGb: number;
  engineCheck: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

async function checkOutDir(out: string, force: boolean): Promise<"absent" | "replace"> {
  if (!existsSync(out)) return "absent";
  if (!(await stat(out)).isDirectory()) {
    throw new NfvError({
      code: "NFV-EXPORT-OUT",
      what: "--out",
      value: out,
      expected: "a directory (or a path that does not exist yet)",
    });
  }
  const entries = await readdir(out);
  if (entries.length === 0 || entries.includes(EXPORT_MARKER) || force) return "replace";
  throw new NfvError({
    code: "NFV-EXPORT-OUT",
    what: "--out",
    value: out,
    expected: "an empty directory, or one an earlier nfvhost export wrote",
    fix: `choose another directory, or pass --force to replace ${out} and everything in it`,
  });
}

/**
 * A fleet (docs/fleet.md): the fleet plan places every VNF on a host; each host's plan is one
 * export host. Nothing is exported when a VNF fits nowhere.
 */
async function planFleetHosts(
  files: string[],
  opts: CommonOptions & { inventory: string },
): Promise<{ name: string; hosts: ExportHost[] }> {
  if (files.length !== 1 || opts.root.length > 0 || opts.host.length > 0) {
    throw new NfvError({
      code: "NFV-EXPORT-HOSTS",
      what: "-i/--inventory",
      value: files,
      expected: "one fleet topology, hosts and their facts from the inventory (no --root, no --host)",
      fix: "give the fleet file once; per-host snapshots go in the inventory (nfvhost_snapshot) or --snapshots",
    });
  }
  const { computeFleetPlan } = await import("./fleet.js");
  const plan = await computeFleetPlan(files[0]!, {
    inventory: opts.inventory,
    ...(opts.snapshots !== undefined ? { snapshots: opts.snapshots } : {}),
  });
  if (plan.misfits.length > 0) {
    throw new NfvError({
      code: "NFV-EXPORT-MISFIT",
      what: `fleet ${plan.fleet}`,
      value: plan.misfits.map((m) => `${m.vnf}: ${m.message}`),
      expected: "every VNF placed on a host",
      fix: "see nfvhost plan FLEET -i INVENTORY for the per-host reasons; nothing was written",
      exitCode: 1,
    });
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  return {
    name: opts.name ?? plan.fleet,
    hosts: plan.hosts.map((h) => ({ name: h.host, facts: h.facts, plan: h.plan })),
  };
}

/** Plans every (topology, root) pair; null when one does not fit (already reported). */
async function planHosts(
  files: string[],
  opts: CommonOptions,
): Promise<{ name: string; hosts: ExportHost[] } | null> {
  if (opts.inventory !== undefined) return planFleetHosts(files, { ...opts, inventory: opts.inventory });
  const roots = opts.root.length === 0 ? ["/"] : opts.root;
  if (roots.length !== 1 && roots.length !== files.length) {
    throw new NfvError({
      code: "NFV-EXPORT-HOSTS",
      what: "--root",
      value: roots,
      expected: `one --root for all topologies, or one per topology (${files.length})`,
      fix: "repeat --root once per TOPOLOGY, in the same order",
    });
  }
  if (opts.host.length > 0 && opts.host.length !== files.length) {
    throw new NfvError({
      code: "NFV-EXPORT-HOSTS",
      what: "--host",
      value: opts.host,
      expected: `one --host per topology (${files.length})`,
      fix: "repeat --host once per TOPOLOGY, in the same order, or leave it out to use each host's hostname",
    });
  }
  const hosts: ExportHost[] = [];
  let name = opts.name;
  for (const [i, file] of files.entries()) {
    // The same pipeline as plan and apply: on this host (--root /) the running VMs count.
    const { parsed, facts, result } = await pipelineFor(file, {
      root: roots[roots.length === 1 ? 0 : i]!,
      connect: resolveConnect(),
      connectGiven: false,
      state: DEFAULT_STATE_DIR,
      json: opts.json === true,
    });
    if (!result.ok) {
      reportPlanProblems(result.problems, parsed, {
        json: opts.json === true,
        consequence: "nothing was written",
      });
      return null;
    }
    for (const w of result.plan.warnings) process.stderr.write(`warning: ${w}\n`);
    name ??= files.length === 1 ? parsed.topology.name : undefined;
    hosts.push({ name: opts.host[i] ?? facts.hostname ?? parsed.topology.name, facts, plan: result.plan });
  }
  return { name: name ?? "nfvhost", hosts };
}

function readmeFile(o: ExportOutcome): RenderedFile {
  const lines = [
    `nfvhost export for ${o.result.engine}`,
    "",
    "Files:",
    ...o.result.files.map((f) => `  ${f.path}  ${f.description}`),
    "",
    "Checked offline with:",
    ...o.checkedWith.map((c) => `  ${c}`),
    ...o.unchecked.map((c) => `  NOT CHECKED: ${c}`),
    ...(o.needsCloud.length > 0
      ? ["", "Only a live cloud can check:", ...o.needsCloud.map((c) => `  ${c}`)]
      : []),
    "",
    "Notes:",
    ...o.result.notes.map((n) => `  ${n}`),
    "",
    `Guarantees the engine loses: ${o.result.degradations.length} (degradation.txt).`,
    "",
  ];
  return {
    path: "README.txt",
    content: lines.join("\n"),
    mode: MODE_FILE,
    description: "what is here, how it was checked",
  };
}

async function writeOut(
  out: string,
  mode: "absent" | "replace",
  files: RenderedFile[],
  engine: string,
): Promise<void> {
  // Private (0700), named after this process: a killed run's staging is removed by the next one.
  const staging = await makePrivateWorkDir(dirname(out), "export");
  try {
    await writeArtifacts(files, staging);
    const marker = { engine, exportedAt: new Date().toISOString(), files: files.map((f) => f.path) };
    await writeFile(join(staging, EXPORT_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o644 });
    if (mode === "replace") await rm(out, { recursive: true, force: true });
    await rename(staging, out);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function runExport(
  engine: "kubevirt" | "openstack",
  topologies: string[],
  opts: KubevirtCliOptions | OpenstackCliOptions,
): Promise<number> {
  const out = resolve(opts.out);
  const mode = await checkOutDir(out, opts.force === true);
  const planned = await planHosts(topologies, opts);
  // A topology that does not fit was reported; nothing was written, and scripts see exit 1.
  if (!planned) return 1;
  const saltSeed = opts.saltSeed ?? process.env.NFVHOST_SECRET_SALT_SEED;
  const input = {
    name: planned.name,
    hosts: planned.hosts,
    env: process.env,
    ...(saltSeed !== undefined && saltSeed !== "" ? { saltSeed } : {}),
  };
  const outcome =
    engine === "kubevirt"
      ? await exportDeployment("kubevirt", input, {
          kubevirt: {
            pinHost: opts.pinHost === true,
            namespace: (opts as KubevirtCliOptions).namespace,
            sriovNamespace: (opts as KubevirtCliOptions).sriovNamespace,
            diskSize: (opts as KubevirtCliOptions).diskSize,
          },
        })
      : await exportDeployment("openstack", input, {
          openstack: {
            pinHost: opts.pinHost === true,
            format: (opts as OpenstackCliOptions).format,
            diskGb: (opts as OpenstackCliOptions).diskGb,
          },
          engineCheck: (opts as OpenstackCliOptions).engineCheck,
        });
  const failed = outcome.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    // A file the engine would reject is a bug in nfvhost's export, not the user's input.
    throw new NfvError({
      code: "NFV-EXPORT-CHECK",
      what: `export ${engine}`,
      value: failed.flatMap((c) => c.problems.map((p) => `${c.file}: ${p}`)),
      expected: "files the engine accepts",
      fix: "nothing was written; report this as a bug in nfvhost with the topology",
      exitCode: 1,
    });
  }
  const report = degradationReport(outcome.result.degradations);
  const files = [
    ...outcome.result.files,
    {
      path: "degradation.txt",
      content: report,
      mode: MODE_FILE,
      description: "one line per guarantee the engine loses",
    },
    readmeFile(outcome),
  ];
  await writeOut(out, mode, files, engine);
  process.stderr.write(report);
  for (const u of outcome.unchecked) process.stderr.write(`warning: ${u}\n`);
  const lost = outcome.result.degradations.length;
  if (opts.json) {
    printJson({
      engine,
      out,
      hosts: planned.hosts.map((h) => h.name),
      files: files.map((f) => ({
        path: f.path,
        mode: f.mode.toString(8).padStart(4, "0"),
        description: f.description,
      })),
      checks: outcome.checks,
      checkedWith: outcome.checkedWith,
      unchecked: outcome.unchecked,
      needsCloud: outcome.needsCloud,
      degradations: outcome.result.degradations.map((d) => ({ ...d, line: formatDegradation(d) })),
      notes: outcome.result.notes,
    });
  } else {
    const table = new Table({
      head: ["file", "mode", "what it is"],
      style: { head: [], border: [], compact: true },
    });
    for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
      table.push([f.path, f.mode.toString(8).padStart(4, "0"), f.description]);
    }
    process.stdout.write(`${table.toString()}\n`);
    process.stdout.write(
      `${files.length} files in ${out}; ${outcome.checks.length} checks passed (${outcome.checkedWith.join("; ") || "none run"}); ` +
        `${lost} guarantee(s) lost on ${engine} (degradation.txt)\n`,
    );
  }
  if (opts.strict && (lost > 0 || outcome.unchecked.length > 0)) {
    process.stderr.write(
      `--strict: ${lost} guarantee(s) the engine cannot express${outcome.unchecked.length > 0 ? ", engine checks not run" : ""}\n`,
    );
    return 1;
  }
  return 0;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError("expected a whole number of GB, at least 1");
  return n;
}

function quantity(v: string): string {
  if (!/^[1-9][0-9]*(Mi|Gi|Ti)$/.test(v))
    throw new InvalidArgumentError("expected a size like 16Gi (Mi, Gi or Ti)");
  return v;
}

function common(cmd: Command): Command {
  return cmd
    .argument(
      "<topology...>",
      "topology file(s) (YAML); several = several hosts, paired with --root and --host",
    )
    .requiredOption(
      "--out <dir>",
      "output directory (created; refused when non-empty and not an earlier export)",
    )
    .option(
      "--root <dir>",
      "host facts from a snapshot root (once, or once per topology); default this host",
      collect,
      [],
    )
    .option(
      "--host <name>",
      "the engine's name for the host (node / compute host), once per topology; default its hostname",
      collect,
      [],
    )
    .option(
      "-i, --inventory <file>",
      "TOPOLOGY is a fleet topology planned over this Ansible inventory's hosts (docs/fleet.md)",
    )
    .option("--snapshots <dir>", "with -i: host snapshots (nfvhost fleet snapshot --out DIR)")
    .option(
      "--name <name>",
      "deployment name for the engine objects (default: the topology's or fleet's name)",
    )
    .option("--pin-host", "pin each VNF to the host nfvhost planned it on")
    .option("--strict", "exit 1 when the engine loses any guarantee (or its checks could not run)")
    .option("--force", "replace a non-empty output directory nfvhost did not create")
    .option(
      "--salt-seed <seed>",
      "derive secret salts from this seed for stable output (default: $NFVHOST_SECRET_SALT_SEED, else random)",
    )
    .option("--json", "print files, checks and the degradation report as JSON");
}

export const exportCommand: CommandModule = {
  register(program: Command) {
    const exp = program
      .command("export")
      .description(
        "write a topology's plan as a cluster engine's own files (KubeVirt, OpenStack), checked offline, with what the engine loses",
      );
    common(
      exp
        .command("kubevirt")
        .description(
          "PerformanceProfile / kubelet config, SR-IOV operator policies and networks, VirtualMachines",
        ),
    )
      .option("--namespace <ns>", "namespace of the VMs and their networks", "nfv")
      .option(
        "--sriov-namespace <ns>",
        "namespace the SR-IOV Network Operator watches",
        "openshift-sriov-network-operator",
      )
      .option("--disk-size <quantity>", "size of each VM's disk DataVolume", quantity, "16Gi")
      .action(
        returning(async (topologies: string[], opts: KubevirtCliOptions) =>
          runExport("kubevirt", topologies, opts),
        ),
      );
    common(
      exp
        .command("openstack")
        .description(
          "Nova flavors, Neutron SR-IOV ports, servers with day-0 on the config drive; nova.conf per host",
        ),
    )
      .addOption(
        new Option("--format <format>", "a Heat template or openstack CLI commands")
          .choices(["heat", "cli"])
          .default("heat"),
      )
      .option("--disk-gb <gb>", "root disk of each flavor in GB", positiveInt, 16)
      .option("--no-engine-check", "skip Nova's and Heat's validators (python3-nova, python3-heat)")
      .action(
        returning(async (topologies: string[], opts: OpenstackCliOptions) =>
          runExport("openstack", topologies, opts),
        ),
      );
  },
};
