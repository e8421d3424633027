/**
 * Offline validation of the Kubernetes objects an export writes, against the pinned CRD schemas in
 * schema/export/ (see its PROVENANCE.md). The API server treats a CRD's schema as *structural*:
 * fields the schema does not name are pruned, except below x-kubernetes-preserve-unknown-fields.
 * Pruning a misspelled `isolateEmulatorThread` would silently drop a guarantee, so nfvhost rejects
 * what the server would prune: the pinned files already close every nested object
 * (additionalProperties: false); here the root and `metadata` are closed too, and apiVersion/kind
 * are fixed per file.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

export interface K8sKind {
  apiVersion: string;
  kind: string;
  /** Path under schema/export/; absent for core kinds nfvhost describes itself (Secret). */
  file?: string;
}

export const KINDS: readonly K8sKind[] = [
  { apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", file: "kubevirt.io/virtualmachine_v1.json" },
  {
    apiVersion: "k8s.cni.cncf.io/v1",
    kind: "NetworkAttachmentDefinition",
    file: "k8s.cni.cncf.io/networkattachmentdefinition_v1.json",
  },
  {
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetworkNodePolicy",
    file: "sriovnetwork.openshift.io/sriovnetworknodepolicy_v1.json",
  },
  {
    apiVersion: "sriovnetwork.openshift.io/v1",
    kind: "SriovNetwork",
    file: "sriovnetwork.openshift.io/sriovnetwork_v1.json",
  },
  {
    apiVersion: "performance.openshift.io/v2",
    kind: "PerformanceProfile",
    file: "performance.openshift.io/performanceprofile_v2.json",
  },
  { apiVersion: "v1", kind: "Secret" },
];

/** The pinned schemas' directory, from src/export or dist/export alike. */
export const SCHEMA_DIR = new URL("../../schema/export/", import.meta.url);

const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/** ObjectMeta as a client may write it (the server fills the rest); unknown fields rejected. */
const OBJECT_META = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", maxLength: 253, pattern: DNS_SUBDOMAIN },
    namespace: { type: "string", maxLength: 63, pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
    labels: { type: "object", additionalProperties: { type: "string", maxLength: 63 } },
    annotations: { type: "object", additionalProperties: { type: "string" } },
  },
  additionalProperties: false,
};

/** core/v1 Secret, the fields a client writes (Kubernetes API reference, v1.30). */
const SECRET = {
  type: "object",
  required: ["apiVersion", "kind", "metadata"],
  properties: {
    type: { type: "string" },
    immutable: { type: "boolean" },
    data: { type: "object", additionalProperties: { type: "string", contentEncoding: "base64" } },
    stringData: { type: "object", additionalProperties: { type: "string" } },
  },
};

type Json = Record<string, unknown>;

/** The structural-schema rule at the root: only apiVersion, kind, metadata, spec, status. */
function closeRoot(schema: Json, k: K8sKind): Json {
  const props = { ...((schema.properties as Json | undefined) ?? {}) };
  props.apiVersion = { type: "string", const: k.apiVersion };
  props.kind = { type: "string", const: k.kind };
  props.metadata = OBJECT_META;
  const required = new Set([
    ...((schema.required as string[] | undefined) ?? []),
    "apiVersion",
    "kind",
    "metadata",
  ]);
  return { ...schema, properties: props, required: [...required], additionalProperties: false };
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  // The OpenAPI formats the pinned schemas use outside `status`, checked as the server does.
  ajv.addFormat("int32", {
    type: "number",
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat("date-time", { type: "string", validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  return ajv;
}

let compiled: Map<string, ValidateFunction> | undefined;

function validators(): Map<string, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = newAjv();
  const m = new Map<string, ValidateFunction>();
  for (const k of KINDS) {
    const raw: Json = k.file
      ? (JSON.parse(readFileSync(new URL(k.file, SCHEMA_DIR), "utf8")) as Json)
      : SECRET;
    m.set(`${k.apiVersion}/${k.kind}`, ajv.compile(closeRoot(raw, k)));
  }
  compiled = m;
  return m;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath.slice(1).replace(/\//g, ".");
  if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return `${where}.${extra}: unknown field (the schema has no such field; the API server would drop it)`;
  }
  if (e.keyword === "enum") {
    return `${where}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")})`;
  }
  return `${where}: ${e.message ?? e.keyword}`;
}

/**
 * Validates one object; returns the problems (empty when valid). An object of a kind without a
 * pinned schema is a problem too: export writes nothing it cannot check.
 */
export function validateK8sObject(obj: unknown): string[] {
  const o = obj as { apiVersion?: unknown; kind?: unknown };
  const key = `${String(o?.apiVersion)}/${String(o?.kind)}`;
  const validate = validators().get(key);
  if (!validate)
    return [
      `(root): no pinned schema for ${key}; nfvhost validates only ${KINDS.map((k) => k.kind).join(", ")}`,
    ];
  if (validate(obj)) return [];
  // Collapse the noise of anyOf/oneOf branches: keep the most specific message per path.
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of validate.errors ?? []) {
    const line = describe(e);
    if (!seen.has(line)) {
      seen.add(line);
      out.push(line);
    }
  }
  return out;
}
