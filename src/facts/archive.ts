/**
 * Snapshot archives: a host root packed as .tar.gz (what `nfvhost snapshot OUT.tar.gz` writes)
 * is unpacked into a private temporary directory for reading.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { NfvError } from "../util/errors.js";

export function isArchivePath(p: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(p);
}

/** Unpacks a snapshot archive; the caller must call cleanup() (it removes the temp directory). */
export async function extractArchive(file: string): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nfvhost-root-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    // preservePaths off: absolute paths and ".." entries are refused, the archive stays inside dir.
    await tar.x({ file, cwd: dir, strict: true });
  } catch (e) {
    cleanup();
    throw new NfvError({
      what: `snapshot archive ${file}`,
      value: (e as Error).message,
      expected: "a .tar.gz written by `nfvhost snapshot OUT.tar.gz`",
      fix: "check the file is complete (gzip -t FILE) or take the snapshot again",
    });
  }
  return { dir, cleanup };
}
