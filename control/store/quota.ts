// What one object and one namespace may take of the store. An object is at most etcd's request
// limit (1.5 MiB, --max-request-bytes), which the API server reaches only through etcd
// ("etcdserver: request is too large", a 500 there; a 413 here, naming the object). A namespace
// holds at most MESH_MAX_OBJECTS_PER_NAMESPACE objects of each resource, as a ResourceQuota's
// `count/<resource>` would cap it, with the API server's `exceeded quota` 403.
import { qualifiedResource, status, type KubeStatus } from "../api/status.ts";
import type { Env } from "../env.ts";
import type { KindSpec } from "../mesh/kinds/types.ts";

/** etcd's default --max-request-bytes. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
// Generous: a large mesh keeps thousands of Deployments in one namespace (the scale benchmark's
// 5,000-service mesh has 1,000 per namespace); the cap is against runaway writers.
const DEFAULT_MAX_OBJECTS_PER_NAMESPACE = 5000;
/** The name the quota goes by in messages (a ResourceQuota's name in Kubernetes). */
export const QUOTA_NAME = "mesh-object-count";

export function maxObjectsPerNamespace(env: Pick<Env, "MESH_MAX_OBJECTS_PER_NAMESPACE">): number {
  const n = Number(env.MESH_MAX_OBJECTS_PER_NAMESPACE ?? DEFAULT_MAX_OBJECTS_PER_NAMESPACE);
  return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_MAX_OBJECTS_PER_NAMESPACE;
}

/** The UTF-8 size of an object serialized as stored. */
export function storedBytes(json: string): number {
  return new TextEncoder().encode(json).length;
}

/** 413 when the object, serialized as it would be stored (`json`), is larger than MAX_OBJECT_BYTES. */
export function objectTooLarge(spec: KindSpec, name: string, json: string): KubeStatus | undefined {
  // At most 3 UTF-8 bytes per UTF-16 unit: most objects are obviously small enough to skip encoding.
  if (json.length * 3 <= MAX_OBJECT_BYTES) return undefined;
  const bytes = storedBytes(json);
  if (bytes <= MAX_OBJECT_BYTES) return undefined;
  return status(
    413,
    "RequestEntityTooLarge",
    `Request entity too large: ${qualifiedResource(spec)} "${name}" would be stored as ${bytes} bytes; ` +
      `an object may be at most ${MAX_OBJECT_BYTES} bytes (etcdserver: request is too large)`,
    { name, group: spec.group, kind: spec.plural },
  );
}

/** 403 when creating one more object of this resource in `namespace` ("" when cluster-scoped), which holds `used`, would pass the quota. */
export function quotaExceeded(spec: KindSpec, namespace: string, name: string, used: number, limit: number): KubeStatus | undefined {
  if (used < limit) return undefined;
  const key = `count/${qualifiedResource(spec)}`;
  return status(
    403,
    "Forbidden",
    `${qualifiedResource(spec)} "${name}" is forbidden: exceeded quota: ${QUOTA_NAME}, requested: ${key}=1, used: ${key}=${used}, limited: ${key}=${limit}` +
      ` (MESH_MAX_OBJECTS_PER_NAMESPACE${namespace ? ` in namespace ${namespace}` : ""})`,
    { name, group: spec.group, kind: spec.plural },
  );
}
