/**
 * Name-based UUIDs (RFC 4122 version 5): the same topology and name always give the same UUID, so
 * a re-render produces identical NetworkManager connections and apply can recognise its own.
 */
import { createHash } from "node:crypto";

/** nfvhost's namespace: uuidv5(DNS namespace, "nfvhost.dev"). */
export const NFVHOST_NAMESPACE = "dc67704e-e64d-521c-90c9-795447460eab";
/** RFC 4122 appendix C: the DNS namespace, used by the test vector. */
export const DNS_NAMESPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

export function uuidV5(name: string, namespace: string = NFVHOST_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error(`namespace is not a UUID: ${namespace}`);
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
