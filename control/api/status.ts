// Kubernetes `Status` objects: the one shape every error takes, so kubectl prints
// `Error from server (<reason>): <message>` and tools can read `details.causes`.
import type { FieldError, KindSpec } from "../mesh/kinds/types.ts";

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  code: number;
}

export function status(code: number, reason: string, message: string, details?: KubeStatus["details"]): KubeStatus {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

/** `virtualservices.networking.istio.io`, the qualified resource name the API server uses in messages. */
export function qualifiedResource(spec: KindSpec): string {
  return spec.group ? `${spec.plural}.${spec.group}` : spec.plural;
}

export function notFound(spec: KindSpec, name: string): KubeStatus {
  return status(404, "NotFound", `${qualifiedResource(spec)} "${name}" not found`, { name, group: spec.group, kind: spec.plural });
}

export function namespaceNotFound(namespace: string): KubeStatus {
  return status(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" });
}

export function alreadyExists(spec: KindSpec, name: string): KubeStatus {
  return status(409, "AlreadyExists", `${qualifiedResource(spec)} "${name}" already exists`, { name, group: spec.group, kind: spec.plural });
}

export function conflict(spec: KindSpec, name: string): KubeStatus {
  return status(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedResource(spec)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: spec.group, kind: spec.plural },
  );
}

/** 422 Invalid with one cause per field, formatted like the API server's aggregate error. */
export function invalid(spec: KindSpec, name: string, errors: FieldError[]): KubeStatus {
  const lines = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = lines.length === 1 ? lines[0] : `[${lines.join(", ")}]`;
  const kindName = spec.group ? `${spec.kind}.${spec.group}` : spec.kind;
  return status(422, "Invalid", `${kindName} "${name}" is invalid: ${summary}`, {
    name,
    group: spec.group,
    kind: spec.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): KubeStatus {
  return status(400, "BadRequest", message);
}
