/**
 * Files a newcomer can pass where a topology is expected: a FIFO (would block forever), a directory,
 * a device, bytes that are not UTF-8, binary data, absurd numbers. Each is bad input (exit 2) with
 * the file and, where there is one, the line and column.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NfvError, NfvErrors } from "../util/errors.js";
import { TOPOLOGY_MAX_BYTES, loadTopology, parseTopology } from "./load.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "nfvhost-hostile-topo-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GENERIC = readFileSync("examples/topologies/generic-qcow2.yaml", "utf8");

async function loadError(file: string): Promise<NfvError> {
  const err = await loadTopology(file).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NfvError);
  return err as NfvError;
}

function messages(text: string): string[] {
  try {
    parseTopology(text, "t.yaml");
  } catch (e) {
    if (e instanceof NfvErrors) return e.errors.map((x) => x.message);
    throw e;
  }
  return [];
}

describe("topology files that are not topology files", () => {
  it("a FIFO is refused without opening it (reading would block forever)", async () => {
    const fifo = path.join(tmp, "fifo.yaml");
    execFileSync("mkfifo", [fifo]);
    const err = await loadError(fifo);
    expect(err.message).toBe(
      `${fifo}: topology file: "${fifo}"; expected a regular file; fix: copy the topology to a regular file`,
    );
    expect(err.exitCode).toBe(2);
  }, 10_000);

  it("a directory and a device are refused as not regular files", async () => {
    expect((await loadError(tmp)).message).toContain("expected a regular file; fix: name a .yaml file");
    expect((await loadError("/dev/null")).message).toContain("expected a regular file");
  });

  it("an oversized file is refused by its size, before reading", async () => {
    const big = path.join(tmp, "big.yaml");
    writeFileSync(big, "");
    truncateSync(big, TOPOLOGY_MAX_BYTES + 1);
    expect((await loadError(big)).message).toContain(`expected at most ${TOPOLOGY_MAX_BYTES} bytes`);
  });

  it("bytes that are not UTF-8 are located at their line and column", async () => {
    const file = path.join(tmp, "latin1.yaml");
    writeFileSync(
      file,
      Buffer.concat([Buffer.from("name: ok\n# caf"), Buffer.from([0xe9]), Buffer.from("\n")]),
    );
    const err = await loadError(file);
    expect(err.details.location).toEqual({ file, line: 2, column: 6 });
    expect(err.message).toContain("expected a UTF-8 text file (YAML)");
  });

  it("UTF-16 (Windows 'Unicode') is named as such", async () => {
    const file = path.join(tmp, "utf16.yaml");
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("name: t\n", "utf16le")]));
    expect((await loadError(file)).message).toBe(
      `${file}:1:1: topology file: "UTF-16 text (byte-order mark)"; expected a UTF-8 text file (YAML); ` +
        "fix: save it as UTF-8 (e.g. iconv -f utf-16 -t utf-8 FILE), or check this is the topology and not a binary",
    );
  });

  it("binary data (NUL bytes) is named as such", async () => {
    const file = path.join(tmp, "nul.yaml");
    writeFileSync(file, Buffer.from("name: a\u0000b\n"));
    const err = await loadError(file);
    expect(err.message).toContain('"a NUL byte (binary data)"');
    expect(err.details.location).toEqual({ file, line: 1, column: 8 });
  });
});

describe("absurd numbers are bad input, not planner work", () => {
  it("vCPUs, NUMA node, page count and sizes have upper bounds", () => {
    const text = GENERIC.replace("vcpus: 3", "vcpus: 99999999999999999999999")
      .replace("memory: 3072MiB", "memory: 99999999999999TiB\n    node: 5000")
      .replace("size: 2M", "size: 2M\n    count: 1000000000")
      .replace("memory: 128", "memory: 1e30");
    const m = messages(text);
    expect(m).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/vnfs\.fw-1\.vcpus: 1e\+23; expected .*a value <= 1024/),
        expect.stringMatching(/vnfs\.fw-1\.memory: "99999999999999TiB"; expected .*at most 64 TiB/),
        expect.stringMatching(/vnfs\.fw-1\.node: 5000; expected .*a value <= 1023/),
        expect.stringMatching(/host\.hugepages\.count: 1000000000; expected .*a value <= 16777216/),
        expect.stringMatching(/vnfs\.tiny-lab\.memory: 1e\+30; expected .*a value <= 67108864/),
      ]),
    );
  });

  it("a CPU list beyond NR_CPUS is refused, not expanded", () => {
    const text = GENERIC.replace("hugepages:\n", 'cpus:\n    isolate: "1-4000000000"\n  hugepages:\n');
    expect(messages(text)).toEqual([
      expect.stringMatching(/^t\.yaml:8:14: host\.cpus\.isolate: "1-4000000000"/),
    ]);
  });
});

describe("names that would clobber what the host already has", () => {
  it("a network called default (libvirt's own NAT network) is refused", () => {
    const text = GENERIC.replace("  lan:\n", "  default:\n").replace("network: lan", "network: default");
    expect(messages(text)).toEqual([
      't.yaml:17:3: networks.default: network name: "default"; expected a name other than ' +
        "libvirt's own NAT network `default` (virbr0); fix: rename it, e.g. net-default, and update the interfaces that use it",
    ]);
  });
});
