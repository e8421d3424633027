/**
 * Scratch directories for the host trees these suites write (thousands of small files): on tmpfs
 * (/dev/shm) when it is writable, since a loaded disk makes each create cost milliseconds.
 */
import { accessSync, constants, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function scratchDir(prefix: string): string {
  let base = os.tmpdir();
  try {
    accessSync("/dev/shm", constants.W_OK);
    base = "/dev/shm";
  } catch {
    /* no tmpfs: the usual temp directory */
  }
  return mkdtempSync(path.join(base, prefix));
}
