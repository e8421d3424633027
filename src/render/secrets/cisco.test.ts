import { describe, expect, it } from "vitest";
import { NfvError } from "../../util/errors.js";
import { cisco64, makeSalt, type8Secret, type9Secret } from "./cisco.js";
import { readSecret } from "./env.js";

function split(hash: string): { salt: string; password?: string } {
  return { salt: hash.split("$")[2]! };
}

describe("IOS-XE type 9 (scrypt)", () => {
  // hashcat's published example (mode 9300), its self-test hash, and a device-generated sample.
  const vectors: [string, string][] = [
    ["hashcat", "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"],
    ["hashcat", "$9$87023684531115$phio0TBQwaO7KZ8toQFyGFyDvyOzidaypRWN0uKX0hU"],
    ["123456", "$9$cvWdfQlRRDKq/U$VFTPha5VHTCbSgSUAo.nPoh50ZiXOw1zmljEjXkaq1g"],
  ];
  it.each(vectors)("reproduces %s -> %s", (password, hash) => {
    expect(type9Secret(password, split(hash).salt)).toBe(hash);
  });
  it("differs for another password", () => {
    expect(type9Secret("hashcaT", "2MJBozw/9R3UsU")).not.toBe(vectors[0]![1]);
  });
});

describe("IOS-XE type 8 (PBKDF2-SHA256)", () => {
  const vectors: [string, string][] = [
    ["hashcat", "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk"],
    ["hashcat", "$8$84486783037343$pYNyVrtyMalQrZLxRi7ZLQS1Fl.jkYCgASUi5P8JNb2"],
    ["cisco", "$8$aGvFwbeWFD/edQ$aZTg6XAsBhnVP9UfiKkM.OG7oHhnH9nnwFQRQrYbBao"],
    ["password", "$8$1234567890ABCD$OJBv3j89uAbnIc07nJwvdbs1ghfiTsAH2d7IrHWXSNA"],
  ];
  it.each(vectors)("reproduces %s -> %s", (password, hash) => {
    expect(type8Secret(password, split(hash).salt)).toBe(hash);
  });
});

describe("salts and encoding", () => {
  it("encodes 32 bytes to 43 characters of the Cisco alphabet", () => {
    expect(cisco64(Buffer.alloc(32, 0))).toBe(".".repeat(43));
    expect(cisco64(Buffer.alloc(32, 0xff))).toHaveLength(43);
  });
  it("refuses a salt of the wrong length or alphabet", () => {
    expect(() => type9Secret("x", "short")).toThrow(NfvError);
    expect(() => type9Secret("x", "abcdefghijklm+")).toThrow(/14 characters/);
  });
  it("derives stable, per-context salts from a seed and random ones without", () => {
    const a = makeSalt("csr1kv-1/username/admin", "seed");
    expect(a).toMatch(/^[./0-9A-Za-z]{14}$/);
    expect(makeSalt("csr1kv-1/username/admin", "seed")).toBe(a);
    expect(makeSalt("csr1kv-1/enable", "seed")).not.toBe(a);
    expect(makeSalt("csr1kv-1/username/admin", "other")).not.toBe(a);
    expect(makeSalt("x")).not.toBe(makeSalt("x"));
  });
});

describe("secrets from the environment", () => {
  it("names the missing variable and never echoes a value", () => {
    expect(() => readSecret({}, "CSR_ADMIN_PASSWORD", "password of user admin")).toThrow(
      /environment variable CSR_ADMIN_PASSWORD \(password of user admin\): "not set"/,
    );
    expect(() => readSecret({ X: "" }, "X", "p")).toThrow(/"empty"/);
    expect(readSecret({ X: "s3cret" }, "X", "p")).toBe("s3cret");
  });
  it("refuses a variable name that is not one", () => {
    expect(() => readSecret({}, "BAD-NAME", "p")).toThrow(NfvError);
  });
});
