// Typed reads from a parsed JSON config with error collection: AssemblyScript has no exceptions,
// so each read returns a harmless default on a type error and records the first error with its
// path; the caller checks `ok()` once at the end and rejects the whole config.
import { JsonArray, JsonObject, JsonValue } from "./json";

const EMPTY_OBJECT = new JsonObject();
const NO_ITEMS: JsonValue[] = [];

export class Reader {
  error: string = "";

  ok(): bool {
    return this.error.length == 0;
  }

  fail(path: string, message: string): void {
    if (this.error.length == 0) this.error = path + ": " + message;
  }

  /** `v` as an object (an empty one, with an error, when it is not). */
  object(v: JsonValue | null, path: string): JsonObject {
    const o: JsonObject | null = v === null ? null : v.asObject();
    if (o === null) {
      this.fail(path, "must be an object");
      return EMPTY_OBJECT;
    }
    return o;
  }

  /** o[key] as an object; null when absent (error unless optional). */
  child(o: JsonObject, key: string, path: string, required: bool): JsonObject | null {
    const v = o.get(key);
    if (v === null) {
      if (required) this.fail(path + "." + key, "is required");
      return null;
    }
    return this.object(v, path + "." + key);
  }

  /** o[key] as an array's items; empty when absent (error unless optional). */
  array(o: JsonObject, key: string, path: string, required: bool): JsonValue[] {
    const v = o.get(key);
    if (v === null) {
      if (required) this.fail(path + "." + key, "is required");
      return NO_ITEMS;
    }
    const a: JsonArray | null = v.asArray();
    if (a === null) {
      this.fail(path + "." + key, "must be an array");
      return NO_ITEMS;
    }
    return a.items;
  }

  optString(o: JsonObject, key: string, path: string): string | null {
    const v = o.get(key);
    if (v === null) return null;
    const s = v.asString();
    if (s === null) this.fail(path + "." + key, "must be a string");
    return s;
  }

  string(o: JsonObject, key: string, path: string): string {
    const s = this.optString(o, key, path);
    if (s === null) {
      if (o.get(key) === null) this.fail(path + "." + key, "is required");
      return "";
    }
    return s;
  }

  /** Array of strings (empty when absent). */
  strings(o: JsonObject, key: string, path: string): string[] {
    const items = this.array(o, key, path, false);
    const out = new Array<string>(0);
    for (let i = 0; i < items.length; i++) {
      const s = items[i].asString();
      if (s === null) {
        this.fail(path + "." + key + "[" + i.toString() + "]", "must be a string");
        continue;
      }
      out.push(s);
    }
    return out;
  }

  stringAt(v: JsonValue, path: string): string {
    const s = v.asString();
    if (s === null) {
      this.fail(path, "must be a string");
      return "";
    }
    return s;
  }

  bool(o: JsonObject, key: string, path: string, fallback: bool): bool {
    const v = o.get(key);
    if (v === null) return fallback;
    if (!v.isBool()) {
      this.fail(path + "." + key, "must be a boolean");
      return fallback;
    }
    return v.boolValue();
  }

  /** An integer in [min, max]; `fallback` when absent (error when absent and required). */
  int(o: JsonObject, key: string, path: string, min: f64, max: f64, fallback: f64, required: bool = false): f64 {
    const v = o.get(key);
    if (v === null) {
      if (required) this.fail(path + "." + key, "is required");
      return fallback;
    }
    const n = v.numberValue();
    if (!v.isNumber() || n != Math.floor(n) || !(n >= min && n <= max)) {
      this.fail(path + "." + key, "must be an integer in " + (<i64>min).toString() + ".." + (<i64>max).toString());
      return fallback;
    }
    return n;
  }

  /** A number in [min, max] (fractions allowed), `fallback` when absent. */
  number(o: JsonObject, key: string, path: string, min: f64, max: f64, fallback: f64): f64 {
    const v = o.get(key);
    if (v === null) return fallback;
    const n = v.numberValue();
    if (!v.isNumber() || !(n >= min && n <= max)) {
      this.fail(path + "." + key, "must be a number in " + (<i64>min).toString() + ".." + (<i64>max).toString());
      return fallback;
    }
    return n;
  }

  /** [[name, value], ...] pairs. */
  pairs(o: JsonObject, key: string, path: string): string[][] {
    const items = this.array(o, key, path, false);
    const out = new Array<string[]>(0);
    for (let i = 0; i < items.length; i++) {
      const p = path + "." + key + "[" + i.toString() + "]";
      const a = items[i].asArray();
      if (a === null || a.items.length != 2) {
        this.fail(p, "must be a [name, value] pair");
        continue;
      }
      out.push([this.stringAt(a.items[0], p + "[0]"), this.stringAt(a.items[1], p + "[1]")]);
    }
    return out;
  }
}
