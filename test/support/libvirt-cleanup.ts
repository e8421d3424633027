/**
 * Removes every libvirt domain and network of one test run, found by its unique name prefix. A
 * `virsh define` whose client gave up (a test timeout on a loaded libvirtd) can still land after
 * the test: a list of what the test believes it defined misses it, a listing by prefix does not.
 */
import { run } from "../../src/util/exec.js";

export async function removeByPrefix(prefix: string, uri = "qemu:///system"): Promise<void> {
  if (!/^nfvt-[a-z0-9-]+$/.test(prefix)) throw new Error(`not a test prefix: ${prefix}`);
  const virsh = (args: string[]) => run("virsh", ["-c", uri, ...args], { timeoutMs: 120_000 });
  const names = async (args: string[]) => {
    const r = await virsh(args).catch(() => null);
    if (!r || r.code !== 0) return [];
    return r.stdout
      .split("\n")
      .map((s) => s.trim())
      .filter((s) => s.startsWith(prefix));
  };
  for (const d of await names(["list", "--all", "--name"])) {
    await virsh(["destroy", d]);
    const r = await virsh(["undefine", "--nvram", d]);
    if (r.code !== 0) await virsh(["undefine", d]);
  }
  for (const n of await names(["net-list", "--all", "--name"])) {
    await virsh(["net-destroy", n]);
    await virsh(["net-undefine", n]);
  }
}
