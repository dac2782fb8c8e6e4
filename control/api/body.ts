// Decodes a request body by its content type. Everything that can go wrong here is the client's
// mistake, so it becomes a 4xx Status, never an exception.
import { bodyLimit } from "hono/body-limit";
import { parse as parseYaml } from "yaml";
import type { PatchType } from "../store/requests.ts";
import { duplicateKey } from "./json-duplicates.ts";
import { status, type KubeStatus } from "./status.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Every request body, whichever endpoint and whoever sends it: at most MAX_BODY_BYTES, else 413. */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: async (c) => {
    // Drain (and drop) the rest of the upload: an HTTP/1.1 client without `Expect: 100-continue`
    // (kubectl, Node) reads the answer only after sending everything. The platform caps bodies.
    try {
      const reader = c.req.raw.body?.getReader();
      while (reader && !(await reader.read()).done);
    } catch {
      // Already read as far as the limit (a chunked upload); nothing left to drain.
    }
    return c.json(status(413, "RequestEntityTooLarge", `the request body is larger than ${MAX_BODY_BYTES} bytes`), 413);
  },
});

export type Decoded<T> = { ok: true; value: T } | { ok: false; status: KubeStatus };

const PATCH_TYPES: Record<string, PatchType> = {
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/json-patch+json": "json",
  "application/apply-patch+yaml": "apply",
};

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

export function patchTypeOf(contentType: string | undefined): Decoded<PatchType> {
  const type = PATCH_TYPES[mediaType(contentType)];
  if (type) return { ok: true, value: type };
  return {
    ok: false,
    status: status(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(", ")}`),
  };
}

/** How deep a body may nest (Kubernetes objects need a few dozen levels at most). */
export const MAX_BODY_DEPTH = 100;

/**
 * Why a parsed body is not a plain JSON tree at most MAX_BODY_DEPTH deep (an alias cycle in YAML
 * is infinitely deep), naming where; undefined when it is one. Iterative: the depth it checks
 * is the depth that would overflow the stack of everything that walks the object later.
 */
function treeProblem(root: unknown): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: "", depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth === MAX_BODY_DEPTH) return `the request body nests deeper than ${MAX_BODY_DEPTH} levels (at ${path.slice(0, 200)}…)`;
    if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype)
      return `${path.slice(1) || "the request body"}: only JSON values (objects, arrays, strings, numbers, booleans, null) are accepted`;
    for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`, depth: depth + 1 });
  }
  return undefined;
}

/** Parses JSON (or YAML for YAML media types) into a value: a plain tree, at most MAX_BODY_DEPTH deep. */
export function parseBody(text: string, contentType: string | undefined): Decoded<unknown> {
  const type = mediaType(contentType);
  const yaml = type.endsWith("yaml");
  if (!yaml && !type.endsWith("json") && type !== "")
    return { ok: false, status: status(415, "UnsupportedMediaType", `unsupported media type "${type}": send application/json or application/yaml`) };
  if (text.trim() === "") return { ok: false, status: status(400, "BadRequest", "the request body is empty") };
  let value: unknown;
  try {
    value = yaml ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { ok: false, status: status(400, "BadRequest", `the request body is not valid ${yaml ? "YAML" : "JSON"}: ${detail}`) };
  }
  const duplicate = yaml ? undefined : duplicateKey(text);
  if (duplicate !== undefined) return { ok: false, status: status(400, "BadRequest", `strict decoding error: duplicate field "${duplicate.slice(0, 300)}"`) };
  const problem = treeProblem(value);
  return problem ? { ok: false, status: status(400, "BadRequest", problem) } : { ok: true, value };
}

/** A body that must be one Kubernetes object. */
export function asObject(value: unknown): Decoded<{ apiVersion: string; kind: string; metadata: { name: string } & Record<string, unknown> } & Record<string, unknown>> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return { ok: false, status: status(400, "BadRequest", "the request body must be a JSON object") };
  const obj = value as Record<string, unknown>;
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string")
    return { ok: false, status: status(400, "BadRequest", "Object 'Kind' is missing or 'apiVersion' is missing in the request body") };
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== "object" || Array.isArray(obj.metadata)))
    return { ok: false, status: status(400, "BadRequest", "metadata must be an object") };
  return { ok: true, value: { ...obj, metadata: { ...(obj.metadata as object) } } as never };
}
