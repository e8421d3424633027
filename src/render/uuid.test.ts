import { describe, expect, it } from "vitest";
import { DNS_NAMESPACE, NFVHOST_NAMESPACE, uuidV5 } from "./uuid.js";

describe("uuidV5", () => {
  it("matches the RFC 4122 / Python uuid.uuid5 vector", () => {
    expect(uuidV5("www.example.com", DNS_NAMESPACE)).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });
  it("derives nfvhost's namespace as documented", () => {
    expect(uuidV5("nfvhost.dev", DNS_NAMESPACE)).toBe(NFVHOST_NAMESPACE);
  });
  it("is stable per name and differs between names", () => {
    expect(uuidV5("seed-csr1kv/eno2")).toBe(uuidV5("seed-csr1kv/eno2"));
    expect(uuidV5("seed-csr1kv/eno2")).not.toBe(uuidV5("seed-csr1kv/eno1"));
    expect(uuidV5("a")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
