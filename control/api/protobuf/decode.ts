// Kubernetes' protobuf request bodies, for the core kinds this API stores that kubectl sends that
// way (`kubectl create namespace|configmap|secret|serviceaccount|service`): the envelope (magic `k8s\0`, then a
// runtime.Unknown holding the type and the object's bytes), decoded with @bufbuild/protobuf from
// the upstream message definitions (k8s-core.json, made by scripts/k8s-protobuf-descriptor.ts),
// into the JSON form the rest of the API takes.
import { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";
import { createFileRegistry, fromBinary, isFieldSet, type DescField, type DescMessage, type FileRegistry, type Message } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { KubeObject } from "../../mesh/kinds/types.ts";
import { status } from "../status.ts";
import type { Decoded } from "../body.ts";
import descriptor from "./k8s-core.json";

export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const KINDS = new Set(["Namespace", "ConfigMap", "Secret", "ServiceAccount", "Service"]);
const META = "k8s.io.apimachinery.pkg.apis.meta.v1";

let registry: FileRegistry | undefined;
/** Built on first use: no start-up work for a Worker that never sees protobuf. */
function types(): FileRegistry {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, base64Decode(descriptor.fileDescriptorSet)));
  return registry;
}

export function decodeProtobufObject(bytes: Uint8Array): Decoded<KubeObject> {
  if (bytes.length < 4 || MAGIC.some((b, i) => bytes[i] !== b))
    return { ok: false, status: status(400, "BadRequest", "the protobuf body does not start with the Kubernetes envelope (k8s\\0)") };
  try {
    const unknown = fromBinary(types().getMessage("k8s.io.apimachinery.pkg.runtime.Unknown")!, bytes.subarray(4)) as unknown as Envelope;
    const typeMeta = unknown.typeMeta ?? {};
    if (unknown.contentEncoding) return { ok: false, status: status(415, "UnsupportedMediaType", `protobuf content encoding "${unknown.contentEncoding}" is not supported`) };
    if (typeMeta.apiVersion !== "v1" || !KINDS.has(typeMeta.kind ?? ""))
      return {
        ok: false,
        status: status(415, "UnsupportedMediaType", `protobuf bodies are accepted for v1 ${[...KINDS].join(", ")}; send ${typeMeta.apiVersion ?? "?"}/${typeMeta.kind ?? "?"} as JSON`),
      };
    const object = message(types().getMessage(`k8s.io.api.core.v1.${typeMeta.kind}`)!, unknown.raw);
    return { ok: true, value: { apiVersion: "v1", kind: typeMeta.kind, ...object } as KubeObject };
  } catch (e) {
    return { ok: false, status: status(400, "BadRequest", `the protobuf body cannot be decoded: ${e instanceof Error ? e.message : String(e)}`) };
  }
}

type Json = Record<string, unknown>;

/** runtime.Unknown: what the envelope holds. */
interface Envelope {
  typeMeta?: { apiVersion?: string; kind?: string };
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** A message's set fields in Kubernetes' JSON form. */
function message(desc: DescMessage, bytes: Uint8Array): Json {
  return toKubeJson(desc, fromBinary(desc, bytes) as unknown as Json);
}

/**
 * Go marshals every non-pointer field, set or not (`status: {phase: ""}` for a new Namespace),
 * where its JSON would omit it (`omitempty`): zero strings, numbers, times and empty messages are
 * left out, as the JSON a client would have sent.
 */
function toKubeJson(desc: DescMessage, msg: Json): Json {
  const out: Json = {};
  for (const field of desc.fields) {
    if (!isFieldSet(msg as unknown as Message, field)) continue;
    const value = msg[field.localName];
    let json: unknown;
    if (field.fieldKind === "map") json = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, fieldValue(field, v)]));
    else if (field.fieldKind === "list") json = (value as unknown[]).map((v) => fieldValue(field, v));
    else json = fieldValue(field, value);
    if (!isEmpty(json)) out[field.name] = json;
  }
  return out;
}

function isEmpty(json: unknown): boolean {
  if (json === undefined || json === "" || json === 0) return true;
  return typeof json === "object" && json !== null && !Array.isArray(json) && Object.keys(json).length === 0;
}

/** One value, with Kubernetes' own JSON forms for its special types. */
function fieldValue(field: DescField, value: unknown): unknown {
  const desc = field.message;
  if (!desc) {
    if (value instanceof Uint8Array) return base64Encode(value);
    return typeof value === "bigint" ? Number(value) : value;
  }
  const m = value as Json;
  switch (desc.typeName) {
    case `${META}.Time`:
    case `${META}.MicroTime`:
      return m.seconds ? new Date(Number(m.seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined;
    case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
      return Number(m.type ?? 0) === 1 ? m.strVal : m.intVal;
    case "k8s.io.apimachinery.pkg.api.resource.Quantity":
      return m.string;
    case `${META}.FieldsV1`:
      return JSON.parse(new TextDecoder().decode(m.Raw as Uint8Array));
    default:
      return toKubeJson(desc, m);
  }
}
