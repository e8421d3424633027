/**
 * Reads a topology file: YAML (with source positions) -> JSON-schema validation -> semantic checks
 * -> Topology. Every problem in the file is collected and thrown at once as NfvErrors, each pointing
 * at file:line:column; nothing is returned unless the whole file is valid.
 */
import { isUtf8 } from "node:buffer";
import { readFile, stat } from "node:fs/promises";
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document } from "yaml";
import { NfvError, NfvErrors } from "../util/errors.js";
import { buildTopology } from "./build.js";
import { mapSchemaErrors, schemaValidator } from "./schema-errors.js";
import { checkSemantics } from "./semantic.js";
import { excerpt, SourceMap } from "./source.js";
import type { ParsedTopology } from "./types.js";

const YAML_FIX: Record<string, string> = {
  DUPLICATE_KEY: "remove or rename the repeated key",
  TAG_RESOLVE_FAILED: "remove the tag: topology files use plain YAML values",
  TAB_AS_INDENT: "indent with spaces",
};

function byPosition(a: NfvError, b: NfvError): number {
  const la = a.details.location;
  const lb = b.details.location;
  return (
    (la?.line ?? 0) - (lb?.line ?? 0) ||
    (la?.column ?? 0) - (lb?.column ?? 0) ||
    a.message.localeCompare(b.message)
  );
}

/** Problems listed one by one; a file with more is the wrong file or generated wrong. */
const MAX_LISTED = 50;

function fail(found: NfvError[], file: string): never {
  // Every refusal says what to do: where a check named only what it expected, that is the fix.
  const errors = found.map((e) =>
    e.details.fix || !e.details.expected
      ? e
      : new NfvError({ ...e.details, fix: `change it to ${e.details.expected}` }),
  );
  // ajv can report one spot twice (e.g. through two schema paths); say each thing once.
  // Every topology problem carries the NFV-TOPO- family code (stable for scripts reading --json).
  const coded = errors.map((e) =>
    e.details.code ? e : new NfvError({ ...e.details, code: "NFV-TOPO-INVALID" }),
  );
  let unique = [...new Map(coded.map((e) => [e.message, e])).values()].sort(byPosition);
  if (unique.length > MAX_LISTED) {
    const rest = unique.length - MAX_LISTED;
    const last = unique[MAX_LISTED - 1]!.details.location;
    unique = [
      ...unique.slice(0, MAX_LISTED),
      new NfvError({
        what: `${rest} more problem(s) not listed`,
        expected: `a topology file (${MAX_LISTED} problems are listed; fix those first)`,
        fix: "check that this is the topology file you meant; run validate again after fixing the ones above",
        location: { file, ...(last?.line !== undefined ? { line: last.line } : {}) },
        code: "NFV-TOPO-INVALID",
      }),
    ];
  }
  throw new NfvErrors(
    unique,
    `${file}: ${unique.length} problem(s)\n${unique.map((e) => e.message).join("\n")}`,
  );
}

/**
 * Repeated keys, found with one set per mapping. The yaml library's own check (uniqueKeys) scans
 * the mapping for every key it adds: 40,000 keys took minutes.
 */
function duplicateKeys(doc: Document, src: SourceMap): NfvError[] {
  const out: NfvError[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        if (seen.has(k)) {
          out.push(
            new NfvError({
              what: "YAML syntax error",
              expected: `each key once in a mapping: ${JSON.stringify(excerpt(k))} is repeated`,
              fix: YAML_FIX.DUPLICATE_KEY,
              location: src.at(pair.key.range?.[0] ?? 0),
            }),
          );
        }
        seen.add(k);
      }
    },
  });
  return out;
}

/** Parses and validates topology text; `file` is only used in messages. */
export function parseTopology(text: string, file: string): ParsedTopology {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const src = new SourceMap(doc, lines, file);

  // Warnings (unknown tags, stringified keys) mean the file does not say what it seems to: refuse.
  const problems = [...doc.errors, ...doc.warnings];
  const duplicates = problems.length === 0 ? duplicateKeys(doc, src) : [];
  if (duplicates.length > 0) fail(duplicates, file);
  if (problems.length > 0) {
    fail(
      problems.map(
        (e) =>
          new NfvError({
            what: "YAML syntax error",
            code: "NFV-TOPO-YAML",
            value: undefined,
            expected: `valid YAML: ${e.message}`,
            fix: YAML_FIX[e.code] ?? "check indentation, quotes and brackets on this line",
            location: src.at(e.pos[0]),
          }),
      ),
      file,
    );
  }

  let raw: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    fail(
      [
        new NfvError({
          what: "YAML aliases",
          expected: `resolvable aliases (*name refers to an &name anchor defined earlier): ${(err as Error).message}`,
          fix: "define the anchor before its aliases, and do not nest aliases deeply",
          location: src.locate([]),
        }),
      ],
      file,
    );
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(
      [
        new NfvError({
          what: "topology",
          expected: "a mapping with name, host, networks and vnfs (see docs/topology.md)",
          fix: "start from examples/topologies/seed-csr1kv.yaml",
          location: src.locate([]),
        }),
      ],
      file,
    );
  }

  // Something that is not a topology at all (/etc/shadow, a compose file): say so once, without
  // repeating its content back key by key.
  const TOP = ["name", "host", "networks", "vnfs", "lab"];
  const keys = Object.keys(raw as Record<string, unknown>);
  if (keys.length > 0 && !keys.some((k) => TOP.includes(k))) {
    fail(
      [
        new NfvError({
          what: "not a topology file",
          value: `${keys.length} top-level key(s), none of ${TOP.join(", ")}`,
          expected: "a topology: a mapping with name, host, networks and vnfs (see docs/topology.md)",
          fix: "check the file name; start from examples/topologies/seed-csr1kv.yaml",
          location: src.locate([]),
        }),
      ],
      file,
    );
  }

  const validate = schemaValidator();
  const errors: NfvError[] = [];
  if (!validate(raw)) errors.push(...mapSchemaErrors(validate.errors ?? [], raw, src));
  errors.push(...checkSemantics(raw, src));
  if (errors.length > 0) fail(errors, file);

  return {
    topology: buildTopology(raw),
    file,
    locate: (path) => src.locate(path),
  };
}

/** A topology of hundreds of VNFs is well under 1 MiB; anything bigger is the wrong file. */
export const TOPOLOGY_MAX_BYTES = 4 * 1024 * 1024;

function notText(file: string, value: string, line: number, column: number, from = "latin1"): NfvError {
  return new NfvError({
    what: "topology file",
    value,
    expected: "a UTF-8 text file (YAML)",
    fix: `save it as UTF-8 (e.g. iconv -f ${from} -t utf-8 FILE), or check this is the topology and not a binary`,
    location: { file, line, column },
  });
}

/** The file's text; refuses bytes that are not UTF-8 (the YAML parser would turn them into U+FFFD). */
export function decodeTopologyText(buf: Buffer, file: string): string {
  // Windows editors' "Unicode" is UTF-16 with a byte-order mark: name it rather than "binary".
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)))
    throw notText(file, "UTF-16 text (byte-order mark)", 1, 1, "utf-16");
  const lines = buf.toString("latin1").split("\n");
  let offset = 0;
  for (const [i, latin] of lines.entries()) {
    const bytes = buf.subarray(offset, offset + latin.length);
    offset += latin.length + 1;
    if (!isUtf8(bytes)) {
      const column = bytes.toString("utf8").indexOf("\ufffd") + 1;
      throw notText(file, "bytes that are not UTF-8", i + 1, Math.max(column, 1));
    }
    const nul = bytes.indexOf(0);
    if (nul !== -1)
      throw notText(
        file,
        "a NUL byte (binary data)",
        i + 1,
        bytes.subarray(0, nul).toString("utf8").length + 1,
      );
  }
  return buf.toString("utf8");
}

/** Reads and parses a topology file. */
export async function loadTopology(file: string): Promise<ParsedTopology> {
  let st;
  try {
    st = await stat(file);
  } catch {
    st = null;
  }
  // A FIFO or device would block the read (or never end); only a regular file is a topology.
  if (st && !st.isFile()) {
    throw new NfvError({
      what: "topology file",
      value: file,
      expected: "a regular file",
      fix: st.isDirectory()
        ? "name a .yaml file inside that directory"
        : "copy the topology to a regular file",
      location: { file },
    });
  }
  if (st && st.size > TOPOLOGY_MAX_BYTES) {
    throw new NfvError({
      what: "topology file",
      value: `${st.size} bytes`,
      expected: `at most ${TOPOLOGY_MAX_BYTES} bytes (a topology of hundreds of VNFs is well under 1 MiB)`,
      fix: "check that this is the topology file",
      location: { file },
    });
  }
  let text: string;
  try {
    text = decodeTopologyText(await readFile(file), file);
  } catch (err) {
    if (err instanceof NfvError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new NfvError({
      what: "topology file",
      value: file,
      expected: code === "ENOENT" ? "an existing file" : "a readable file",
      fix: code === "ENOENT" ? "check the path" : `cannot read it (${code ?? String(err)})`,
      location: { file },
    });
  }
  return parseTopology(text, file);
}
