/**
 * Per-VNF qcow2 overlays (topology `image: {base, overlay: per-vnf}`): STATE/overlays/<vnf>.qcow2
 * over a base image that QEMU opens read-only, so ten routers boot from one image and none writes
 * it. apply creates an overlay once and never replaces it (the router's state lives there);
 * `destroy --delete-overlay` is the only way one goes.
 */
import { stat, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { NfvError } from "../util/errors.js";
import { run } from "../util/exec.js";

export { overlayPath } from "../desired/desired.js";

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The backing file qemu-img reports for an image; null when it has none. */
export async function backingFile(image: string): Promise<string | null> {
  const r = await run("qemu-img", ["info", "--output=json", "-U", image]);
  if (r.code !== 0) {
    throw new NfvError({
      what: `disk image ${image}`,
      value: r.stderr.trim(),
      expected: "an image qemu-img can read",
      exitCode: 1,
    });
  }
  const info = JSON.parse(r.stdout) as { "full-backing-filename"?: string; "backing-filename"?: string };
  return info["full-backing-filename"] ?? info["backing-filename"] ?? null;
}

/**
 * Creates the overlay when it is missing (`qemu-img create -f qcow2 -b BASE -F qcow2 OVERLAY`);
 * an existing one must sit on the same base. Returns whether it was created.
 */
export async function ensureOverlay(overlay: string, base: string): Promise<boolean> {
  if (await exists(overlay)) {
    const have = await backingFile(overlay);
    if (have !== base) {
      throw new NfvError({
        what: `overlay ${overlay}`,
        value: have ?? "no backing file",
        expected: `an overlay of ${base}, the topology's image base`,
        fix: `keep the old base, or remove the VNF's overlay with nfvhost destroy <vnf> --delete-overlay (its disk state is lost) and apply again`,
        exitCode: 1,
      });
    }
    return false;
  }
  if (!(await exists(base))) {
    throw new NfvError({
      what: "image base",
      value: base,
      expected: "an existing qcow2 image",
      fix: "copy the vendor image there, or correct image.base",
      exitCode: 1,
    });
  }
  // QEMU runs as its own user: it must reach the overlay's directory.
  await mkdir(dirname(overlay), { recursive: true, mode: 0o755 });
  const r = await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay]);
  if (r.code !== 0) {
    throw new NfvError({
      what: `qemu-img create ${overlay}`,
      value: r.stderr.trim(),
      expected: `a qcow2 overlay of ${base}`,
      fix: "check that the base is a qcow2 image and the state directory is writable",
      exitCode: 1,
    });
  }
  return true;
}
