/**
 * IOS-XE password secrets: type 9 (scrypt) and type 8 (PBKDF2-SHA256), the two forms a day-0 file
 * may carry instead of a clear password. Parameters and encoding follow hashcat modes 9300/9200
 * (docs/reference/cisco-vrouter-facts.md section 5): the 14-character salt is used as ASCII bytes,
 * the 32-byte digest is base64 in the Cisco alphabet without padding.
 */
import { createHmac, pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { NfvError } from "../../util/errors.js";

export const CISCO64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const STD64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
export const SALT_LENGTH = 14;

const SCRYPT = { N: 16384, r: 1, p: 1 } as const;
const PBKDF2_ITERATIONS = 20000;

/** Standard base64 bit order, Cisco alphabet, no '=' padding: 32 bytes -> 43 characters. */
export function cisco64(bytes: Buffer): string {
  const std = bytes.toString("base64").replace(/=+$/, "");
  let out = "";
  for (const ch of std) out += CISCO64[STD64.indexOf(ch)];
  return out;
}

function checkSalt(salt: string): void {
  if (salt.length !== SALT_LENGTH || [...salt].some((c) => !CISCO64.includes(c))) {
    throw new NfvError({
      what: "IOS-XE secret salt",
      value: salt,
      expected: `${SALT_LENGTH} characters from ${CISCO64}`,
    });
  }
}

/** `$9$<salt>$<hash>`: scrypt N=16384 r=1 p=1, 32 bytes. */
export function type9Secret(password: string, salt: string): string {
  checkSalt(salt);
  const dk = scryptSync(Buffer.from(password, "utf8"), Buffer.from(salt, "ascii"), 32, SCRYPT);
  return `$9$${salt}$${cisco64(dk)}`;
}

/** `$8$<salt>$<hash>`: PBKDF2-HMAC-SHA256, 20000 iterations, 32 bytes. */
export function type8Secret(password: string, salt: string): string {
  checkSalt(salt);
  const dk = pbkdf2Sync(
    Buffer.from(password, "utf8"),
    Buffer.from(salt, "ascii"),
    PBKDF2_ITERATIONS,
    32,
    "sha256",
  );
  return `$8$${salt}$${cisco64(dk)}`;
}

function saltFromBytes(bytes: Buffer): string {
  let salt = "";
  for (let i = 0; i < SALT_LENGTH; i++) salt += CISCO64[bytes[i]! & 63];
  return salt;
}

/**
 * A salt for one secret. Random unless a seed is given: then it is derived from the seed and the
 * secret's context (e.g. "csr1kv-1/username/admin"), so rendered files are stable for golden tests
 * and reviews while every secret still gets its own salt.
 */
export function makeSalt(context: string, seed?: string): string {
  if (seed === undefined || seed === "") return saltFromBytes(randomBytes(SALT_LENGTH));
  return saltFromBytes(createHmac("sha256", seed).update(context).digest());
}
