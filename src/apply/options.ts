/**
 * Command-line values of apply/verify/operate checked before anything runs: a typo in a number
 * or a root must not reach libvirt or sysfs (NfvError, exit 2).
 */
import { NfvError } from "../util/errors.js";

/** Whole seconds >= 0 ("60", "0"); not "abc", "1.5", "-1", "1e3" or "". */
export function wholeSeconds(value: unknown, option: string): number {
  const text = String(value);
  if (!/^\d{1,7}$/.test(text)) {
    throw new NfvError({
      what: option,
      value: text,
      expected: "whole seconds from 0 up (e.g. 60)",
      fix: `pass ${option} 60, or 0 for a hard stop right away`,
      exitCode: 2,
    });
  }
  return Number(text);
}

/**
 * apply writes sysfs values and NetworkManager keyfiles under --root and verify reads sysfs
 * there, so unlike discover/plan they need a directory, not a .tar.gz snapshot.
 */
export function directoryRoot(root: string, command: string): string {
  if (/\.(tar\.gz|tgz)$/i.test(root)) {
    throw new NfvError({
      what: `${command} --root`,
      value: root,
      expected: "a directory (apply and verify read and write sysfs files under it)",
      fix: `extract it first: mkdir snap && tar -xzf ${root} -C snap, then pass --root snap`,
      exitCode: 2,
    });
  }
  return root;
}
