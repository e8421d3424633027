/**
 * Bounded parallelism for independent reads (one `virsh` process per item). A small limit keeps a
 * host with many domains from spawning dozens of virsh processes at once against one libvirtd.
 */

/** Default number of virsh reads in flight: enough to overlap process start-up, gentle on libvirtd. */
export const READ_CONCURRENCY = 4;

/**
 * `items.map(fn)` with at most `limit` calls running at a time; results keep the input order.
 * The first rejection rejects the whole call (like Promise.all); calls already running finish.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return out;
}
