import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { strictPem, yamlScalar } from "./sdwan.js";

const CERT = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBszCCAVmgAwIBAgIUQk",
  "Zm9vYmFy==",
  "-----END CERTIFICATE-----",
];

describe("SD-WAN cloud-config values", () => {
  it("are YAML scalars that read back (YAML 1.1, as cloud-init's PyYAML reads them) as exactly the string", () => {
    for (const v of [
      "a #b",
      "Acme: Lab",
      "0x1f",
      "yes",
      "no",
      "on",
      "~",
      "null",
      "1.5",
      "- x",
      "[a]",
      "{a}",
      "it's",
      '"q"',
      "a\\b",
      "",
      " lead",
      "trail ",
      "%x",
      "@x",
      "`x",
      "!x",
      "&x",
      "*x",
      "|",
      ">",
    ]) {
      expect(parse(`k: ${yamlScalar(v)}`, { version: "1.1" }).k, v).toBe(v);
    }
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
        (v) => {
          expect(parse(`k: ${yamlScalar(v)}`, { version: "1.1" }).k).toBe(v);
          expect(yamlScalar(v)).not.toContain("\n");
        },
      ),
    );
  });
});

describe("root CA PEM", () => {
  it("accepts certificates with LF or CRLF line ends, several in a row", () => {
    expect(strictPem(CERT.join("\n"))).toBe(true);
    expect(strictPem(`${CERT.join("\r\n")}\r\n`)).toBe(true);
    expect(strictPem([...CERT, ...CERT].join("\n"))).toBe(true);
  });

  it("refuses anything else: a lone CR (MIME part injection), other lines, keys, empty bodies", () => {
    const inject = `${CERT.join("\n")}\r--BOUNDARY\rContent-Type: text/x-shellscript\r\rid > /tmp/pwned`;
    expect(strictPem(inject)).toBe(false);
    expect(strictPem(CERT.join("\r"))).toBe(false);
    expect(strictPem([CERT[0], "not base64!", CERT[3]].join("\n"))).toBe(false);
    expect(strictPem([CERT[0], CERT[3]].join("\n"))).toBe(false);
    expect(strictPem([...CERT, "Content-Type: text/x-shellscript"].join("\n"))).toBe(false);
    expect(strictPem(["-----BEGIN PRIVATE KEY-----", "Zm9v", "-----END PRIVATE KEY-----"].join("\n"))).toBe(
      false,
    );
    expect(strictPem(CERT.slice(0, 3).join("\n"))).toBe(false);
  });
});
