/**
 * out/apply.sh (every step in order, the guide as a script, with a summary of what changes at the
 * top) and out/README.txt (what is where).
 */
import type { Plan } from "../plan/types.js";
import { SCRIPT_HEADER, type ShellStep } from "./script.js";
import { MODE_FILE, MODE_SCRIPT, type RenderedFile } from "./types.js";

function rule(title: string): string {
  return `# ${"=".repeat(4)} ${title} ${"=".repeat(Math.max(4, 96 - title.length))}`;
}

export function applyScript(plan: Plan, steps: ShellStep[]): RenderedFile {
  const changes = steps.flatMap((s) => s.changes);
  const reboots = steps.flatMap((s) => (s.reboot !== undefined ? [s.reboot] : []));
  const lines = [
    ...SCRIPT_HEADER,
    `# nfvhost apply script for topology ${plan.topology}: the seed guide's steps, in its order, for this plan.`,
    "# Read it, then run it as root: bash apply.sh. Every step can run again safely; anything that is",
    `# redefined is saved under /var/lib/nfvhost/backup first.`,
    "#",
    "# What changes on this host:",
    ...(changes.length > 0
      ? changes.map((c) => `#   - ${c}`)
      : ["#   - nothing: the host already matches the plan"]),
    "#",
    ...(reboots.length > 0
      ? [
          `# Reboot needed afterwards for: ${reboots.join("; ")}.`,
          "# VMs start only once the kernel runs with the planned arguments: reboot, then run this script again.",
        ]
      : ["# No reboot needed."]),
    ...(plan.warnings.length > 0
      ? ["#", "# Planner warnings:", ...plan.warnings.map((w) => `#   ! ${w}`)]
      : []),
    'cd "$(dirname "$0")"',
    "umask 077",
  ];
  steps.forEach((s, i) => {
    lines.push(
      "",
      rule(`${i + 1}. ${s.title}`),
      `echo ${JSON.stringify(`==> ${i + 1}. ${s.title}`)}`,
      ...s.lines,
    );
  });
  lines.push("", 'echo "==> done"');
  if (reboots.length > 0) lines.push(`echo ${JSON.stringify(`Reboot needed for: ${reboots.join("; ")}`)}`);
  lines.push("");
  return {
    path: "apply.sh",
    content: lines.join("\n"),
    mode: MODE_SCRIPT,
    description: "every step in order, with a summary of what changes",
  };
}

export function readme(
  plan: Plan,
  files: RenderedFile[],
  steps: { step: ShellStep; script: string }[],
  notes: string[],
): RenderedFile {
  const width = Math.max(...files.map((f) => f.path.length), "README.txt".length) + 2;
  const row = (path: string, mode: number, text: string) =>
    `  ${path.padEnd(width)}${mode.toString(8).padStart(4, "0")}  ${text}`;
  const lines = [
    `nfvhost render of topology ${plan.topology}`,
    "",
    "Everything the seed guide types or edits by hand, for this plan. Nothing here has been applied.",
    "Review it, then run `bash apply.sh` as root (or the step scripts one by one, in this order):",
    "",
    ...steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.script.padEnd(32)}${s.step.title}`),
    "",
    "Files (path, mode, what it is):",
    row("README.txt", MODE_FILE, "this file"),
    ...[...files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => row(f.path, f.mode, f.description)),
    "",
    '"seed (N)" names the section of the seed guide (docs/reference/seed-guide.zh.txt) a step comes from.',
    "",
    "Files with mode 0600 hold secrets (password hashes, tokens) or NetworkManager keyfiles:",
    "keep them root-only. Clear-text passwords are never written anywhere.",
  ];
  if (notes.length > 0 || plan.warnings.length > 0) {
    lines.push("", "Notes:", ...notes.map((n) => `  - ${n}`), ...plan.warnings.map((w) => `  ! ${w}`));
  }
  lines.push("");
  return { path: "README.txt", content: lines.join("\n"), mode: MODE_FILE, description: "what is where" };
}
