// String matchers compiled from the config (Istio StringMatch, Gateway API path prefixes, Istio
// authorization values) and CIDR blocks. Matching never allocates: case-insensitive comparison
// is done in place on ASCII letters.
import { compileRegex, Regex } from "./regex";
import { regexError } from "./regex-syntax";
import { Reader } from "./schema";
import { hexDigit, lowerAscii } from "./chars";
import { JsonValue } from "./json";
import { toLowerAscii } from "./request";
import { isPathTemplate, matchPathTemplate, parsePathTemplate, PathTemplate } from "./path-template";

export const enum MatchKind { Exact, Prefix, Suffix, Regex, SegmentPrefix, Present, PathTemplate }

export class StringMatcher {
  regex: Regex | null = null;
  template: PathTemplate | null = null;
  constructor(public kind: MatchKind, public value: string, public ignoreCase: bool) {
    if (ignoreCase) this.value = toLowerAscii(value);
  }

  matches(s: string): bool {
    const v = this.value;
    switch (this.kind) {
      case MatchKind.Exact:
        return s.length == v.length && regionEquals(s, 0, v, this.ignoreCase);
      case MatchKind.Prefix:
        return s.length >= v.length && regionEquals(s, 0, v, this.ignoreCase);
      case MatchKind.Suffix:
        return s.length >= v.length && regionEquals(s, s.length - v.length, v, this.ignoreCase);
      case MatchKind.SegmentPrefix: {
        // Gateway API PathPrefix: element-wise; "/foo" matches "/foo", "/foo/", "/foo/bar".
        const n = v.length;
        if (n == 0 || (n == 1 && v.charCodeAt(0) == 0x2f)) return true;
        const trimmed = v.charCodeAt(n - 1) == 0x2f ? n - 1 : n;
        if (s.length < trimmed || !regionEqualsN(s, 0, v, trimmed, this.ignoreCase)) return false;
        return s.length == trimmed || s.charCodeAt(trimmed) == 0x2f;
      }
      case MatchKind.Regex:
        return (<Regex>this.regex).fullMatch(s);
      case MatchKind.Present:
        return s.length > 0;
      case MatchKind.PathTemplate:
        return matchPathTemplate(<PathTemplate>this.template, s);
    }
    return false;
  }

  /** How many leading characters of a matching `s` the match consumed (prefix rewrites). */
  prefixLength(s: string): i32 {
    if (this.kind == MatchKind.Prefix) return this.value.length;
    if (this.kind == MatchKind.SegmentPrefix) {
      const n = this.value.length;
      return n > 0 && this.value.charCodeAt(n - 1) == 0x2f ? n - 1 : n;
    }
    return s.length;
  }

  isPrefix(): bool {
    return this.kind == MatchKind.Prefix || this.kind == MatchKind.SegmentPrefix;
  }
}

function regionEquals(s: string, at: i32, v: string, ignoreCase: bool): bool {
  return regionEqualsN(s, at, v, v.length, ignoreCase);
}

function regionEqualsN(s: string, at: i32, v: string, n: i32, ignoreCase: bool): bool {
  if (!ignoreCase) {
    return memory.compare(changetype<usize>(s) + (<usize>at << 1), changetype<usize>(v), <usize>n << 1) == 0;
  }
  for (let i = 0; i < n; i++) {
    if (lowerAscii(s.charCodeAt(at + i)) != v.charCodeAt(i)) return false;
  }
  return true;
}

/** Reads a StringMatch object ({exact|prefix|regex|segmentPrefix, ignoreCase}); regexes are
 * compiled here, once. */
export function readStringMatch(r: Reader, v: JsonValue | null, path: string): StringMatcher | null {
  if (v === null) return null;
  const o = r.object(v, path);
  const ignoreCase = r.bool(o, "ignoreCase", path, false);
  let found = 0;
  let m: StringMatcher | null = null;
  const keys = ["exact", "prefix", "regex", "segmentPrefix"];
  const kinds = [MatchKind.Exact, MatchKind.Prefix, MatchKind.Regex, MatchKind.SegmentPrefix];
  for (let i = 0; i < keys.length; i++) {
    const s = r.optString(o, keys[i], path);
    if (s === null) continue;
    found++;
    m = new StringMatcher(kinds[i], s, ignoreCase);
    if (kinds[i] == MatchKind.Regex) {
      const re = compileRegex(s, ignoreCase);
      if (re === null) r.fail(path + ".regex", "unsupported regex " + JSON_quote(s) + ": " + regexError);
      m.regex = re;
    }
  }
  if (found != 1) {
    r.fail(path, "a StringMatch needs exactly one of exact, prefix, regex, segmentPrefix");
    return null;
  }
  return m;
}

function JSON_quote(s: string): string {
  return "\"" + (s.length > 80 ? s.substring(0, 80) + "..." : s) + "\"";
}

/** Istio authorization value: "*" any non-empty, "abc*" prefix, "*abc" suffix, else exact. */
export function istioValue(v: string, ignoreCase: bool): StringMatcher {
  if (v == "*") return new StringMatcher(MatchKind.Present, "", ignoreCase);
  if (v.length > 1 && v.endsWith("*")) return new StringMatcher(MatchKind.Prefix, v.substring(0, v.length - 1), ignoreCase);
  if (v.length > 1 && v.startsWith("*")) return new StringMatcher(MatchKind.Suffix, v.substring(1), ignoreCase);
  return new StringMatcher(MatchKind.Exact, v, ignoreCase);
}

/** Istio authorization `paths` value: a path template when it holds {*} or {**} (see
 * path-template.ts), else istioValue. Null (reason in pathTemplateError) for a template that
 * cannot be enforced. */
export function istioPath(v: string): StringMatcher | null {
  if (!isPathTemplate(v)) return istioValue(v, false);
  const t = parsePathTemplate(v);
  if (t === null) return null;
  const m = new StringMatcher(MatchKind.PathTemplate, v, false);
  m.template = t;
  return m;
}

/** True when any matcher in `list` matches `s`. */
export function anyMatches(list: StringMatcher[], s: string): bool {
  for (let i = 0; i < list.length; i++) if (unchecked(list[i]).matches(s)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// CIDR blocks (IPv4 and IPv6). An address is 16 bytes (IPv4 mapped into ::ffff:0:0/96 so a v4
// block never matches a v6 address and vice versa, as in Envoy).

export class Cidr {
  bytes: Uint8Array = new Uint8Array(16);
  bits: i32 = 0;

  contains(addr: Uint8Array): bool {
    const full = this.bits >> 3;
    for (let i = 0; i < full; i++) if (unchecked(addr[i]) != unchecked(this.bytes[i])) return false;
    const rest = this.bits & 7;
    if (rest == 0) return true;
    const mask: i32 = (0xff << (8 - rest)) & 0xff;
    return (<i32>unchecked(addr[full]) & mask) == (<i32>unchecked(this.bytes[full]) & mask);
  }
}

/** Parses "10.0.0.0/8", "10.1.2.3", "2001:db8::/32" or "::1"; null when malformed. */
export function parseCidr(s: string): Cidr | null {
  const c = new Cidr();
  const slash = s.indexOf("/");
  const ip = slash < 0 ? s : s.substring(0, slash);
  if (!parseIp(ip, c.bytes)) return null;
  const v4 = ip.indexOf(":") < 0;
  const maxBits = v4 ? 32 : 128;
  let bits = maxBits;
  if (slash >= 0) {
    const t = s.substring(slash + 1);
    if (t.length == 0 || t.length > 3) return null;
    bits = 0;
    for (let i = 0; i < t.length; i++) {
      const d = t.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return null;
      bits = bits * 10 + d;
    }
    if (bits > maxBits) return null;
  }
  c.bits = v4 ? bits + 96 : bits;
  return c;
}

/** Shared scratch address for per-request parsing (no allocation per request). */
export const SCRATCH_ADDR = new Uint8Array(16);

const V6_WORDS = new StaticArray<i32>(8);
const V4_TMP = new Uint8Array(4);

/** Parses an IPv4 or IPv6 address into 16 bytes (v4 as ::ffff:a.b.c.d). False when malformed. */
export function parseIp(s: string, out: Uint8Array): bool {
  if (s.length == 0 || s.length > 45) return false;
  for (let i = 0; i < 16; i++) out[i] = 0;
  if (s.indexOf(":") < 0) {
    out[10] = 0xff;
    out[11] = 0xff;
    return parseV4(s, 0, s.length, out, 12);
  }
  // IPv6: groups of hex, one "::", optional trailing dotted quad.
  const words = V6_WORDS;
  let n = 0;
  let gap = -1;
  let i = 0;
  const len = s.length;
  if (s.startsWith("::")) {
    gap = 0;
    i = 2;
    if (len == 2) return true;
  } else if (s.charCodeAt(0) == 0x3a) return false;
  while (i < len) {
    if (n >= 8) return false;
    // dotted quad tail
    let j = i;
    let isV4 = false;
    while (j < len && s.charCodeAt(j) != 0x3a) {
      if (s.charCodeAt(j) == 0x2e) isV4 = true;
      j++;
    }
    if (isV4) {
      if (j != len || n > 6) return false;
      const tmp = V4_TMP;
      if (!parseV4(s, i, len, tmp, 0)) return false;
      words[n++] = (<i32>tmp[0] << 8) | tmp[1];
      words[n++] = (<i32>tmp[2] << 8) | tmp[3];
      i = len;
      break;
    }
    if (j == i || j - i > 4) return false;
    let w = 0;
    for (let k = i; k < j; k++) {
      const h = hexDigit(s.charCodeAt(k));
      if (h < 0) return false;
      w = (w << 4) | h;
    }
    words[n++] = w;
    i = j;
    if (i < len) {
      i++; // ':'
      if (i < len && s.charCodeAt(i) == 0x3a) {
        if (gap >= 0) return false;
        gap = n;
        i++;
      } else if (i == len) return false; // trailing single ':'
    }
  }
  if (gap < 0 && n != 8) return false;
  if (gap >= 0 && n > 7) return false;
  const tail = gap < 0 ? 0 : n - gap;
  for (let k = 0; k < n; k++) {
    const pos = gap >= 0 && k >= gap ? 8 - tail + (k - gap) : k;
    out[2 * pos] = <u8>(words[k] >> 8);
    out[2 * pos + 1] = <u8>(words[k] & 0xff);
  }
  return true;
}

function parseV4(s: string, from: i32, to: i32, out: Uint8Array, at: i32): bool {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 0x2e;
    if (c == 0x2e) {
      if (digits == 0 || part > 3) return false;
      out[at + part] = <u8>value;
      part++;
      value = 0;
      digits = 0;
    } else {
      const d = c - 0x30;
      if (d < 0 || d > 9 || digits >= 3) return false;
      value = value * 10 + d;
      if (value > 255) return false;
      digits++;
    }
  }
  return part == 4;
}


/** True when `ip` parses and lies in any block. */
export function ipInAny(blocks: Cidr[], ip: string): bool {
  if (blocks.length == 0 || !parseIp(ip, SCRATCH_ADDR)) return false;
  for (let i = 0; i < blocks.length; i++) if (unchecked(blocks[i]).contains(SCRATCH_ADDR)) return true;
  return false;
}

