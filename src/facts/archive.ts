/**
 * Snapshot archives: a host root packed as .tar.gz (what `nfvhost snapshot OUT.tar.gz` writes)
 * is unpacked into a private temporary directory for reading.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NfvError } from "../util/errors.js";
import { FILE_MAX_BYTES } from "./reader.js";

export function isArchivePath(p: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(p);
}

/** Unpacks a snapshot archive; the caller must call cleanup() (it removes the temp directory). */
export async function extractArchive(file: string): Promise<{ dir: string; cleanup: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nfvhost-root-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // A snapshot is a few hundred KiB: an entry bigger than any kernel file is not one, and is never
  // written out (a gzip bomb would otherwise fill the temporary directory).
  const oversized: string[] = [];
  // Loaded here, not at the top: most commands read the live host and never unpack an archive.
  const tar = await import("tar");
  try {
    // preservePaths off: absolute paths and ".." entries are refused, the archive stays inside dir.
    await tar.x({
      file,
      cwd: dir,
      strict: true,
      filter: (p, entry) => {
        if (("size" in entry ? entry.size : 0) <= FILE_MAX_BYTES) return true;
        oversized.push(p);
        return false;
      },
    });
  } catch (e) {
    cleanup();
    throw new NfvError({
      what: `snapshot archive ${file}`,
      value: (e as Error).message,
      expected: "a .tar.gz written by `nfvhost snapshot OUT.tar.gz`",
      fix: "check the file is complete (gzip -t FILE) or take the snapshot again",
    });
  }
  if (oversized.length > 0) {
    cleanup();
    throw new NfvError({
      what: `snapshot archive ${file}`,
      value: oversized.slice(0, 3),
      expected: `files of at most ${FILE_MAX_BYTES} bytes (what \`nfvhost snapshot\` writes)`,
      fix: "check this is a host snapshot, or take the snapshot again",
    });
  }
  return { dir: hostRootIn(dir), cleanup };
}

/** An archive of the snapshot directory itself (`tar czf s.tgz snap/`) holds the root one level down. */
function hostRootIn(dir: string): string {
  if (existsSync(path.join(dir, "proc")) || existsSync(path.join(dir, "sys"))) return dir;
  const entries = readdirSync(dir, { withFileTypes: true });
  const only = entries.length === 1 && entries[0]!.isDirectory() ? path.join(dir, entries[0]!.name) : null;
  return only && existsSync(path.join(only, "proc")) ? only : dir;
}
