// Turns a schema's verdict into Kubernetes-style field errors: a field path, a reason, and
// where the mistake is recognisable, what was probably meant.
import type { z } from "zod";
import type { FieldError, KindSpec, KubeObject } from "./kinds/types.ts";
import { isIstioKind, istioMetadataErrors } from "./schema/istio-metadata.ts";

type PathSegment = PropertyKey;

/** `["spec","http",0,"route"]` → `spec.http[0].route` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Fields renamed or moved between Istio API versions, and what they became. */
const MOVED_FIELDS: Record<string, string> = {
  appendHeaders: "headers.request.set",
  appendRequestHeaders: "headers.request.add",
  appendResponseHeaders: "headers.response.add",
  removeRequestHeaders: "headers.request.remove",
  removeResponseHeaders: "headers.response.remove",
  websocketUpgrade: "nothing: websocket upgrades are always allowed now",
};

// zod 4 keeps a schema's structure under `_zod.def`; we only need to walk it to name nearby fields.
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
}

function def(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The object shapes a value at `path` may have (several where the schema is a union). */
function shapesAt(schema: z.ZodType, path: readonly PathSegment[]): Record<string, z.ZodType>[] {
  const d = def(schema);
  switch (d.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
    case "catch":
    case "nonoptional":
      return shapesAt(d.innerType!, path);
    case "pipe":
      return shapesAt(d.in!, path);
    case "union":
      return d.options!.flatMap((o) => shapesAt(o, path));
    case "intersection":
      return [...shapesAt(d.left!, path), ...shapesAt(d.right!, path)];
    case "lazy":
      return shapesAt((schema as unknown as { _zod: { innerType: z.ZodType } })._zod.innerType, path);
  }
  if (path.length === 0) return d.type === "object" && d.shape ? [d.shape] : [];
  const [head, ...rest] = path;
  if (d.type === "array" && typeof head === "number") return shapesAt(d.element!, rest);
  if (d.type === "record" && d.valueType) return shapesAt(d.valueType, rest);
  if (d.type === "object" && d.shape && typeof head === "string" && d.shape[head]) return shapesAt(d.shape[head], rest);
  return [];
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Where did the user probably mean to put `key`, found at `path`? */
function hintForUnknownField(schema: z.ZodType, path: PathSegment[], key: string): string | undefined {
  if (MOVED_FIELDS[key]) return `"${key}" was removed from the Istio API; use ${MOVED_FIELDS[key]}`;
  const here = shapesAt(schema, path);
  // One level too deep: the key belongs to the enclosing object (skipping list indices).
  let up = path.length - 1;
  while (up >= 0 && typeof path[up] === "number") up--;
  if (up >= 0) {
    const parentPath = path.slice(0, up);
    if (shapesAt(schema, parentPath).some((s) => key in s))
      return `did you mean ${formatPath([...parentPath, key])}? "${key}" belongs one level up`;
  }
  // One level too shallow: the key belongs to a child object.
  for (const shape of here)
    for (const child of Object.keys(shape)) {
      const childPath = [...path, child];
      const grandShapes = [...shapesAt(schema, childPath), ...shapesAt(schema, [...childPath, 0])];
      if (grandShapes.some((s) => key in s)) return `did you mean ${formatPath([...childPath, key])}?`;
    }
  // A typo of a sibling field.
  const siblings = here.flatMap((s) => Object.keys(s));
  const close = siblings.filter((s) => editDistance(s.toLowerCase(), key.toLowerCase()) <= 2);
  if (close.length > 0) return `did you mean "${close[0]}"?`;
  if (siblings.length > 0) return `expected one of: ${[...new Set(siblings)].sort().join(", ")}`;
  return undefined;
}

function reasonFor(issue: z.core.$ZodIssue): FieldError["reason"] {
  switch (issue.code) {
    case "invalid_type":
      return (issue as { input?: unknown }).input === undefined ? "FieldValueRequired" : "FieldValueTypeInvalid";
    case "invalid_value":
      return "FieldValueNotSupported";
    default:
      return "FieldValueInvalid";
  }
}

function messageFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return (issue as { input?: unknown }).input === undefined
        ? `Required value: expected ${issue.expected}`
        : `Invalid value: expected ${issue.expected}, got ${describe((issue as { input?: unknown }).input)}`;
    case "invalid_value":
      return `Unsupported value: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return `Invalid value: ${issue.message}`;
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Checks an object against its kind: [] when valid, otherwise one error per problem. */
export function validateObject(spec: KindSpec, obj: unknown): FieldError[] {
  const metadata = isIstioKind(spec) && obj !== null && typeof obj === "object" ? istioMetadataErrors(spec, obj as KubeObject) : [];
  const result = spec.schema.safeParse(obj, { reportInput: true });
  if (result.success) return metadata;
  const errors: FieldError[] = [...metadata];
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const hint = hintForUnknownField(spec.schema, issue.path as PathSegment[], key);
        errors.push({
          field: formatPath([...issue.path, key]),
          reason: "FieldValueUnknown",
          message: `unknown field${hint ? `; ${hint}` : ""}`,
        });
      }
    } else if (issue.code === "invalid_union") {
      // A value of the wrong shape for every alternative: report the alternative that got furthest.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      const inner = best?.[0];
      errors.push({
        field: formatPath(inner ? [...issue.path, ...inner.path] : issue.path),
        reason: inner ? reasonFor(inner) : "FieldValueInvalid",
        message: inner ? messageFor(inner) : `Invalid value: ${issue.message}`,
      });
    } else {
      errors.push({ field: formatPath(issue.path), reason: reasonFor(issue), message: messageFor(issue) });
    }
  }
  return errors;
}
