// Maps Kubernetes REST paths to a resource reference:
//   /api/v1/namespaces/{ns}/{plural}[/{name}]        core, namespaced
//   /api/v1/{plural}[/{name}]                         core, cluster-scoped (or all namespaces)
//   /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]
//   /apis/{group}/{version}/{plural}[/{name}]
import { kindForResource } from "../mesh/kinds/index.ts";
import type { KindSpec } from "../mesh/kinds/types.ts";
import { badRequest, status, type KubeStatus } from "./status.ts";

export interface ResourcePath {
  spec: KindSpec;
  version: string;
  /** Undefined: cluster-scoped kind, or a list across all namespaces. */
  namespace?: string;
  name?: string;
}

export type ParsedPath = { ok: true; path: ResourcePath } | { ok: false; status: KubeStatus };

export function parseResourcePath(pathname: string): ParsedPath | undefined {
  let parts: string[];
  try {
    parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { ok: false, status: badRequest("the request path holds a malformed percent-escape (% must be followed by two hex digits of UTF-8)") };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  // `namespaces/{ns}/{plural}...` is a namespaced resource; `namespaces[/{name}]` is the Namespace kind itself.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length > 2) return { ok: false, status: status(404, "NotFound", `the server could not find the requested resource (subresource "${rest[2]}" is not served)`) };
  const [plural, name] = rest;
  const spec = kindForResource(group, version, plural);
  if (!spec) {
    const gv = group ? `${group}/${version}` : version;
    return { ok: false, status: status(404, "NotFound", `the server could not find the requested resource: ${plural} in ${gv}`) };
  }
  if (namespace !== undefined && !spec.namespaced)
    return { ok: false, status: status(404, "NotFound", `${spec.plural} is not a namespaced resource`) };
  return { ok: true, path: { spec, version, namespace, name } };
}
