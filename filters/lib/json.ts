// A small validating JSON parser (RFC 8259) producing a tree. Used off the request path: plugin
// configuration and control-plane config bodies. Depth is capped; any error -> null.
import { hexDigit } from "./chars";

export const enum JsonKind { Null, Bool, Number, String, Array, Object }

export class JsonValue {
  constructor(public kind: JsonKind) {}

  asString(): string | null {
    return this.kind == JsonKind.String ? changetype<JsonString>(this).value : null;
  }
  asObject(): JsonObject | null {
    return this.kind == JsonKind.Object ? changetype<JsonObject>(this) : null;
  }
  asArray(): JsonArray | null {
    return this.kind == JsonKind.Array ? changetype<JsonArray>(this) : null;
  }
  isNumber(): bool {
    return this.kind == JsonKind.Number;
  }
  numberValue(): f64 {
    return this.kind == JsonKind.Number ? changetype<JsonNumber>(this).value : NaN;
  }
  isBool(): bool {
    return this.kind == JsonKind.Bool;
  }
  boolValue(): bool {
    return this.kind == JsonKind.Bool && changetype<JsonBool>(this).value;
  }
}

export class JsonBool extends JsonValue {
  constructor(public value: bool) { super(JsonKind.Bool); }
}
export class JsonNumber extends JsonValue {
  constructor(public value: f64) { super(JsonKind.Number); }
}
export class JsonString extends JsonValue {
  constructor(public value: string) { super(JsonKind.String); }
}
export class JsonArray extends JsonValue {
  items: JsonValue[] = [];
  constructor() { super(JsonKind.Array); }
}
export class JsonObject extends JsonValue {
  keys: string[] = [];
  private byKey: Map<string, JsonValue> = new Map();
  constructor() { super(JsonKind.Object); }

  set(key: string, value: JsonValue): void {
    if (!this.byKey.has(key)) this.keys.push(key);
    this.byKey.set(key, value);
  }
  get(key: string): JsonValue | null {
    return this.byKey.has(key) ? this.byKey.get(key) : null;
  }
  getString(key: string): string | null {
    const v = this.get(key);
    return v === null ? null : v.asString();
  }
}

const MAX_DEPTH = 64;

/** Parses a whole JSON text; null on any syntax error or trailing garbage. */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  p.ws();
  const v = p.value(0);
  if (v === null) return null;
  p.ws();
  return p.pos == text.length ? v : null;
}

class Parser {
  pos: i32 = 0;
  constructor(public s: string) {}

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  lit(word: string): bool {
    if (this.s.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH || this.pos >= this.s.length) return null;
    const c = this.s.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth + 1);
    if (c == 0x5b) return this.array(depth + 1);
    if (c == 0x22) {
      const str = this.string();
      return str === null ? null : new JsonString(str);
    }
    if (c == 0x74) return this.lit("true") ? new JsonBool(true) : null;
    if (c == 0x66) return this.lit("false") ? new JsonBool(false) : null;
    if (c == 0x6e) return this.lit("null") ? new JsonValue(JsonKind.Null) : null;
    return this.number();
  }

  object(depth: i32): JsonValue | null {
    const obj = new JsonObject();
    this.pos++; // {
    this.ws();
    if (this.peek() == 0x7d) { this.pos++; return obj; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return null;
      const key = this.string();
      if (key === null) return null;
      this.ws();
      if (this.peek() != 0x3a) return null;
      this.pos++;
      this.ws();
      const v = this.value(depth);
      if (v === null) return null;
      obj.set(key, v);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return obj;
      if (c != 0x2c) return null;
    }
  }

  array(depth: i32): JsonValue | null {
    const arr = new JsonArray();
    this.pos++; // [
    this.ws();
    if (this.peek() == 0x5d) { this.pos++; return arr; }
    while (true) {
      this.ws();
      const v = this.value(depth);
      if (v === null) return null;
      arr.items.push(v);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return arr;
      if (c != 0x2c) return null;
    }
  }

  peek(): i32 {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  string(): string | null {
    const s = this.s;
    this.pos++; // opening quote
    let out = "";
    let start = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += s.substring(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) return null;
      if (c == 0x5c) {
        out += s.substring(start, this.pos);
        this.pos++;
        if (this.pos >= s.length) return null;
        const e = s.charCodeAt(this.pos);
        this.pos++;
        if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          if (this.pos + 4 > s.length) return null;
          let code = 0;
          for (let i = 0; i < 4; i++) {
            const h = hexDigit(s.charCodeAt(this.pos + i));
            if (h < 0) return null;
            code = (code << 4) | h;
          }
          this.pos += 4;
          out += String.fromCharCode(code);
        } else return null;
        start = this.pos;
        continue;
      }
      this.pos++;
    }
    return null; // unterminated
  }

  number(): JsonValue | null {
    const s = this.s;
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) this.pos++;
    else if (!this.digits()) return null;
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!this.digits()) return null;
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (!this.digits()) return null;
    }
    return new JsonNumber(parseFloat(s.substring(start, this.pos)));
  }

  digits(): bool {
    const start = this.pos;
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos > start;
  }
}
