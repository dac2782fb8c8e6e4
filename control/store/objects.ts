// The lifecycle of one object's metadata, as the Kubernetes API server manages it:
// who sets uid, resourceVersion, generation and creationTimestamp, and when they change.
// Pure functions, so the Durable Object stays a thin transaction around them.
import { isDns1123Label, isDns1123Subdomain } from "../mesh/schema/meta.ts";
import type { FieldError, KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import { apiVersionOf } from "../mesh/kinds/index.ts";

/** Fields the server owns: whatever the client sends for them is replaced. */
const SERVER_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"] as const;

/** RFC 3339 without fractional seconds, as the API server writes timestamps. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function nameErrors(spec: KindSpec, name: string | undefined): FieldError[] {
  if (!name) return [{ field: "metadata.name", reason: "FieldValueRequired", message: "Required value: name or generateName is required" }];
  // Namespaces and Services become DNS labels (`<svc>.<ns>.svc.cluster.local`); everything else is a subdomain.
  const label = spec.kind === "Namespace" || spec.kind === "Service";
  const ok = label ? isDns1123Label(name) && (spec.kind !== "Service" || /^[a-z]/.test(name)) : isDns1123Subdomain(name);
  if (ok) return [];
  const rule = label
    ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  return [{ field: "metadata.name", reason: "FieldValueInvalid", message: `Invalid value: "${name}": ${rule}` }];
}

function withoutServerFields(obj: KubeObject): KubeObject {
  const metadata = { ...obj.metadata };
  for (const key of SERVER_METADATA) delete metadata[key];
  return { ...obj, metadata };
}

/** The object as it will be stored: storage apiVersion, the URL's namespace, no client-set server fields. */
export function normalize(spec: KindSpec, obj: KubeObject, namespace: string | undefined): KubeObject {
  const clean = withoutServerFields(obj);
  const metadata = { ...clean.metadata };
  if (spec.namespaced) metadata.namespace = namespace;
  else delete metadata.namespace;
  const stored = { ...clean, apiVersion: apiVersionOf(spec), kind: spec.kind, metadata };
  return spec.storedForm ? spec.storedForm(stored) : stored;
}

export interface Stamp {
  revision: number;
  now: Date;
  uid: string;
}

/** A new object, as stored: server-set metadata, and no status (a subresource: what a client sends for it on create is dropped, as the API server drops it). */
export function stampCreated(spec: KindSpec, sent: KubeObject, stamp: Stamp): KubeObject {
  const { status: _dropped, ...obj } = sent;
  const metadata = {
    ...obj.metadata,
    uid: stamp.uid,
    resourceVersion: String(stamp.revision),
    creationTimestamp: timestamp(stamp.now),
    ...(spec.generationFields.length > 0 ? { generation: 1 } : {}),
  };
  const created: KubeObject = { ...obj, metadata };
  if (spec.kind === "Namespace") {
    created.spec = { finalizers: ["kubernetes"], ...(obj.spec as object) };
    created.status = { phase: "Active" };
  }
  return created;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The stored form of an update, or `undefined` when nothing would change (the API server then
 * keeps the resourceVersion, which is what makes a repeated apply report `unchanged`).
 * `status` is a subresource: a write to the main resource never changes it.
 */
export function stampUpdated(spec: KindSpec, current: KubeObject, next: KubeObject, stamp: Stamp): KubeObject | undefined {
  const merged: KubeObject = {
    ...next,
    metadata: {
      ...next.metadata,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      ...(current.metadata.generation !== undefined ? { generation: current.metadata.generation } : {}),
      resourceVersion: current.metadata.resourceVersion,
    },
  };
  if ("status" in current) merged.status = current.status;
  else delete merged.status;
  if (spec.kind === "Namespace") merged.spec = { finalizers: ["kubernetes"], ...(next.spec as object) };
  if (sameJson(sortKeys(merged), sortKeys(current))) return undefined;
  const specChanged = spec.generationFields.some((f) => !sameJson(sortKeys(current[f]), sortKeys(next[f])));
  merged.metadata.resourceVersion = String(stamp.revision);
  if (specChanged && current.metadata.generation !== undefined) merged.metadata.generation = current.metadata.generation + 1;
  return merged;
}

/** Deep copy with object keys sorted, so equality does not depend on key order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
