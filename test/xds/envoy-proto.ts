// Strict validation of the Envoy JSON we emit against Envoy's own protobuf definitions (the
// envoy-api tree shipped in @grpc/grpc-js-xds, loaded with protobufjs). Stricter than Envoy's
// JSON parser on purpose: an unknown field, a wrong scalar type, an unknown enum name, two
// members of one oneof, a deprecated field, an Any whose type is unknown, or a violated
// protoc-gen-validate rule (required messages, min_len, min_items, numeric bounds, required
// oneofs) is an error naming the JSON path. Any payloads are checked by their `@type`, at any
// depth. Node only (tests); the Worker never loads this.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);
const XDS = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const PROTOBUFJS = dirname(require.resolve("protobufjs/package.json"));
const INCLUDE = [join(XDS, "envoy-api"), join(XDS, "xds"), join(XDS, "googleapis"), join(XDS, "protoc-gen-validate"), PROTOBUFJS];

/** Every message type the control plane puts in a document or an Any. */
const ROOT_FILES = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/service/discovery/v3/discovery.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/filters/http/wasm/v3/wasm.proto",
  "envoy/extensions/filters/http/jwt_authn/v3/config.proto",
  "envoy/extensions/filters/http/fault/v3/fault.proto",
  "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto",
  "envoy/extensions/filters/listener/original_dst/v3/original_dst.proto",
  "envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "envoy/extensions/access_loggers/stream/v3/stream.proto",
];

let root: protobuf.Root | undefined;

export function envoyProtos(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => INCLUDE.map((d) => join(d, target)).find((p) => existsSync(p)) ?? target;
  r.loadSync(ROOT_FILES, { keepCase: false });
  r.resolveAll();
  root = r;
  return r;
}

export const TYPE_PREFIX = "type.googleapis.com/";

const INTEGER = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32", "int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const UNSIGNED = new Set(["uint32", "fixed32", "uint64", "fixed64"]);
const WRAPPERS: Record<string, string> = {
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
};
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

type Json = unknown;

class Checker {
  readonly errors: string[] = [];
  constructor(private readonly r: protobuf.Root) {}

  fail(path: string, msg: string): void {
    this.errors.push(`${path || "<root>"}: ${msg}`);
  }

  /** A message value (not an Any wrapper's inner object unless told). */
  message(type: protobuf.Type, value: Json, path: string): void {
    const name = type.fullName.slice(1);
    if (name === "google.protobuf.Any") return this.any(value, path);
    if (this.wellKnown(name, value, path)) return;
    if (value === null || typeof value !== "object" || Array.isArray(value)) return this.fail(path, `expected an object (${name})`);
    this.fields(type, value as Record<string, Json>, path);
  }

  /** Special JSON mappings of well-known types; true when `name` is one. */
  private wellKnown(name: string, value: Json, path: string): boolean {
    if (name in WRAPPERS) {
      this.scalar(WRAPPERS[name], value, path);
      return true;
    }
    switch (name) {
      case "google.protobuf.Duration":
        if (typeof value !== "string" || !DURATION.test(value)) this.fail(path, `a Duration must be a string like "5s", got ${JSON.stringify(value)}`);
        return true;
      case "google.protobuf.Timestamp":
        if (typeof value !== "string" || Number.isNaN(Date.parse(value))) this.fail(path, "a Timestamp must be an RFC 3339 string");
        return true;
      case "google.protobuf.Struct":
        if (value === null || typeof value !== "object" || Array.isArray(value)) this.fail(path, "a Struct must be a JSON object");
        return true;
      case "google.protobuf.Value":
        return true;
      case "google.protobuf.ListValue":
        if (!Array.isArray(value)) this.fail(path, "a ListValue must be a JSON array");
        return true;
      case "google.protobuf.Empty":
        if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length) this.fail(path, "an Empty must be {}");
        return true;
      case "google.protobuf.FieldMask":
        if (typeof value !== "string") this.fail(path, "a FieldMask must be a string");
        return true;
    }
    return false;
  }

  any(value: Json, path: string): void {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return this.fail(path, "expected an Any object");
    const obj = value as Record<string, Json>;
    const typeUrl = obj["@type"];
    if (typeof typeUrl !== "string" || !typeUrl.startsWith(TYPE_PREFIX)) return this.fail(path, `an Any needs "@type": "${TYPE_PREFIX}<message>"`);
    const inner = this.lookup(typeUrl.slice(TYPE_PREFIX.length));
    if (!inner) return this.fail(path, `unknown Any type ${typeUrl}`);
    const name = inner.fullName.slice(1);
    const { ["@type"]: _, ...rest } = obj;
    if (name in WRAPPERS || this.isSpecial(name)) {
      const keys = Object.keys(rest);
      if (keys.length !== 1 || keys[0] !== "value") return this.fail(path, `an Any of ${name} carries exactly {"value": ...}`);
      this.wellKnown(name, rest.value, `${path}.value`);
      return;
    }
    this.fields(inner, rest, path);
  }

  private isSpecial(name: string): boolean {
    return ["Duration", "Timestamp", "Struct", "Value", "ListValue", "FieldMask", "Empty"].some((n) => name === `google.protobuf.${n}`);
  }

  lookup(name: string): protobuf.Type | undefined {
    try {
      return this.r.lookupType(name);
    } catch {
      return undefined;
    }
  }

  private fields(type: protobuf.Type, obj: Record<string, Json>, path: string): void {
    const present = new Map<string, protobuf.Field>();
    for (const [key, value] of Object.entries(obj)) {
      const camel = protobuf.util.camelCase(key);
      const field = type.fields[camel];
      const at = `${path}.${key}`;
      if (!field) {
        this.fail(at, `unknown field "${key}" in ${type.fullName.slice(1)}`);
        continue;
      }
      if (present.has(camel)) this.fail(at, `field given twice (as snake_case and camelCase)`);
      present.set(camel, field);
      if (field.options?.deprecated === true) this.fail(at, `deprecated field "${key}" in ${type.fullName.slice(1)}`);
      if (value === null) {
        this.fail(at, "null is not emitted by this control plane (omit the field)");
        continue;
      }
      this.value(field, value, at);
    }
    // oneofs: at most one member; (validate.required) oneofs exactly one.
    for (const oneof of type.oneofsArray) {
      if (oneof.name.startsWith("_")) continue; // proto3 `optional`
      const set = oneof.oneof.filter((f) => present.has(f));
      if (set.length > 1) this.fail(path, `oneof ${oneof.name} of ${type.fullName.slice(1)} has ${set.join(" and ")}`);
      if (set.length === 0 && oneof.options?.["(validate.required)"] === true) this.fail(path, `oneof ${oneof.name} of ${type.fullName.slice(1)} is required`);
    }
    for (const field of type.fieldsArray) this.rules(field, present.has(field.name) ? obj[keyOf(obj, field.name)] : undefined, `${path}.${snake(field.name)}`);
  }

  /** The protoc-gen-validate rules worth checking. A oneof member is only checked when set. */
  private rules(field: protobuf.Field, value: Json | undefined, path: string): void {
    const o = field.options ?? {};
    if (value === undefined && field.partOf && !field.partOf.name.startsWith("_")) return;
    if ((o["(validate.rules).message.required"] === true || o["(validate.rules).any.required"] === true || o["(validate.rules).duration.required"] === true) && value === undefined)
      this.fail(path, "required");
    const minLen = o["(validate.rules).string.min_len"] ?? o["(validate.rules).string.min_bytes"];
    if (typeof minLen === "number" && minLen > 0 && !o["(validate.rules).string.ignore_empty"] && String(value ?? "").length < minLen) this.fail(path, `must have at least ${minLen} characters`);
    const minItems = o["(validate.rules).repeated.min_items"];
    if (typeof minItems === "number" && !o["(validate.rules).repeated.ignore_empty"] && (Array.isArray(value) ? value.length : 0) < minItems) this.fail(path, `must have at least ${minItems} items`);
    if (typeof value === "number" || (typeof value === "string" && INTEGER.has(field.type))) {
      const n = Number(value);
      for (const kind of ["uint32", "int32", "uint64", "int64", "double"]) {
        const bound = (op: string) => o[`(validate.rules).${kind}.${op}`];
        if (bound("gt") !== undefined && !(n > bound("gt"))) this.fail(path, `must be > ${bound("gt")}`);
        if (bound("gte") !== undefined && !(n >= bound("gte"))) this.fail(path, `must be >= ${bound("gte")}`);
        if (bound("lt") !== undefined && !(n < bound("lt"))) this.fail(path, `must be < ${bound("lt")}`);
        if (bound("lte") !== undefined && !(n <= bound("lte"))) this.fail(path, `must be <= ${bound("lte")}`);
      }
    }
  }

  private value(field: protobuf.Field, value: Json, path: string): void {
    if (field.map) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) return this.fail(path, "a map must be a JSON object");
      for (const [k, v] of Object.entries(value as Record<string, Json>)) this.single(field, v, `${path}["${k}"]`);
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) return this.fail(path, "a repeated field must be a JSON array");
      value.forEach((v, i) => this.single(field, v, `${path}[${i}]`));
      return;
    }
    this.single(field, value, path);
  }

  private single(field: protobuf.Field, value: Json, path: string): void {
    const t = field.resolvedType;
    if (t instanceof protobuf.Type) return this.message(t, value, path);
    if (t instanceof protobuf.Enum) {
      if (typeof value === "string" ? !(value in t.values) : !(typeof value === "number" && Object.values(t.values).includes(value)))
        this.fail(path, `${JSON.stringify(value)} is not a value of enum ${t.fullName.slice(1)}`);
      return;
    }
    this.scalar(field.type, value, path);
  }

  private scalar(type: string, value: Json, path: string): void {
    if (type === "string") {
      if (typeof value !== "string") this.fail(path, `expected a string, got ${JSON.stringify(value)}`);
    } else if (type === "bool") {
      if (typeof value !== "boolean") this.fail(path, `expected a boolean, got ${JSON.stringify(value)}`);
    } else if (type === "bytes") {
      if (typeof value !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) this.fail(path, "expected base64 bytes");
    } else if (type === "double" || type === "float") {
      if (typeof value !== "number" && !["NaN", "Infinity", "-Infinity"].includes(value as string)) this.fail(path, `expected a number, got ${JSON.stringify(value)}`);
    } else if (INTEGER.has(type)) {
      const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== "number" || !Number.isInteger(n)) this.fail(path, `expected an integer (${type}), got ${JSON.stringify(value)}`);
      else if (UNSIGNED.has(type) && n < 0) this.fail(path, `expected a non-negative integer (${type})`);
      else if (type.endsWith("32") && Math.abs(n) > 0xffffffff) this.fail(path, `out of range for ${type}`);
    } else this.fail(path, `unhandled scalar type ${type}`);
  }
}

function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function keyOf(obj: Record<string, unknown>, camel: string): string {
  return Object.keys(obj).find((k) => protobuf.util.camelCase(k) === camel)!;
}

/** Errors (empty when valid) of `doc` as the message `typeName` (a full name, or a type URL). */
export function validateEnvoyJson(typeName: string, doc: unknown): string[] {
  const checker = new Checker(envoyProtos());
  const name = typeName.startsWith(TYPE_PREFIX) ? typeName.slice(TYPE_PREFIX.length) : typeName;
  const type = checker.lookup(name);
  if (!type) return [`unknown message type ${name}`];
  checker.message(type, doc, "");
  return checker.errors;
}

/** Throws with every error when `doc` is not a valid `typeName`. */
export function assertEnvoyJson(typeName: string, doc: unknown, what = typeName): void {
  const errors = validateEnvoyJson(typeName, doc);
  if (errors.length) throw new Error(`${what} is not a valid ${typeName}:\n  ${errors.slice(0, 20).join("\n  ")}`);
}
