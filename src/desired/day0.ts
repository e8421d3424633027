/**
 * Day-0 files per VNF, as they go on its ISO, from the day-0 renderer. Secrets are hashed with
 * salts derived from a seed kept in the state directory, so the same topology and environment
 * give the same ISO and a second apply has nothing to rebuild.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Plan } from "../plan/types.js";
import { renderDay0 as renderVnfDay0 } from "../render/day0/index.js";
import { writeFileAtomic } from "../host/files.js";

/** Per VNF: the ISO's label, its files by path inside the image, its empty directories. */
export type Day0Files = Record<
  string,
  { label: string; files: { name: string; content: Buffer }[]; dirs?: string[] }
>;

/** STATE/day0/.salt-seed: created once, 0600; losing it only means the ISOs get rebuilt. */
export async function saltSeed(stateDir: string, create: boolean): Promise<string> {
  const path = join(stateDir, "day0", ".salt-seed");
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    const seed = randomBytes(24).toString("hex");
    if (create) await writeFileAtomic(path, `${seed}\n`, 0o600);
    return seed;
  }
}

export async function renderDay0(
  plan: Plan,
  env: Readonly<Record<string, string | undefined>>,
  seed: string,
): Promise<Day0Files> {
  const out: Day0Files = {};
  for (const v of plan.vnfs) {
    const r = renderVnfDay0(v, env, `${seed}:${v.name}`);
    if (!r) continue;
    const wanted = new Set(r.iso.files);
    out[v.name] = {
      label: r.iso.volumeLabel,
      files: r.files
        .filter((f) => wanted.has(f.path))
        .map((f) => ({ name: f.path.slice(r.iso.root.length + 1), content: Buffer.from(f.content) })),
      ...(r.iso.dirs.length > 0 ? { dirs: r.iso.dirs } : {}),
    };
  }
  return out;
}

/**
 * Which VNFs have a day-0 ISO, without rendering it: enough for the domain XML (the cdrom), and
 * needs no secret. verify uses it; the ISO itself is proven by the digest recorded at apply.
 */
export function day0Presence(plan: Plan): Day0Files {
  const out: Day0Files = {};
  for (const v of plan.vnfs) if (v.day0) out[v.name] = { label: "", files: [] };
  return out;
}

/** Sidecar apply writes beside a day-0 ISO it built: `sha256sum -c` format, the ISO's own digest. */
export function day0ImageDigestPath(isoPath: string): string {
  return `${isoPath}.image.sha256`;
}
