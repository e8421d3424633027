/**
 * Shell steps: the commands of one concern (sysctl, hugepages, NetworkManager...), written once and
 * emitted both as that concern's own script and as a section of out/apply.sh, so the two can never
 * disagree. Every command is built from validated names; quoting goes through displayCommand.
 */
import { displayCommand } from "../util/exec.js";
import { MODE_SCRIPT, type RenderedFile } from "./types.js";

export interface ShellStep {
  /** Script name without extension, e.g. "kernel-args". */
  id: string;
  /** Heading in apply.sh and the script's first comment. */
  title: string;
  /** What this step changes on the host, one line each, for the summary at the top of apply.sh. */
  changes: string[];
  /** Shell lines, run from the output directory. */
  lines: string[];
  /** Set when what this step changes takes effect only after a reboot: what, in a few words. */
  reboot?: string;
}

/** Quotes one command line for a script. */
export function sh(command: string, ...args: string[]): string {
  return displayCommand(command, args);
}

/** A single-quoted shell word (always quoted, for values inside larger lines). */
export function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export const SCRIPT_HEADER = ["#!/bin/bash", "set -euo pipefail"];

/** One step as a standalone script at `path` (relative to the output directory). */
export function stepScript(path: string, step: ShellStep, topology: string): RenderedFile {
  const depth = path.split("/").length - 1;
  const root = depth === 0 ? '"$(dirname "$0")"' : `"$(dirname "$0")/${Array(depth).fill("..").join("/")}"`;
  const content = [
    ...SCRIPT_HEADER,
    `# ${step.title}`,
    `# Rendered by nfvhost for topology ${topology}; out/apply.sh runs the same commands in order.`,
    ...step.changes.map((c) => `#   - ${c}`),
    `cd ${root}`,
    "",
    ...step.lines,
    "",
  ].join("\n");
  return { path, content, mode: MODE_SCRIPT, description: step.title };
}
