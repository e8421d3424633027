/**
 * Golden files hold reviewed output. UPDATE_GOLDEN=1 rewrites them (then review the diff); a
 * missing one is written on a developer's machine but fails in CI, where nobody reviews it.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { expect } from "vitest";

export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";

/** True when the golden file (or tree) at `path` is to be (re)written by this run. */
export function mayWriteGolden(path: string): boolean {
  if (!UPDATE_GOLDEN && existsSync(path)) return false;
  if (process.env.CI)
    throw new Error(
      `golden ${path} ${existsSync(path) ? "is not rewritten in CI" : "is missing"}; regenerate it locally with UPDATE_GOLDEN=1 and review the diff`,
    );
  return true;
}

export async function expectGolden(path: string, actual: string): Promise<void> {
  if (mayWriteGolden(path)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, actual);
  }
  expect(actual).toBe(await readFile(path, "utf8"));
}
