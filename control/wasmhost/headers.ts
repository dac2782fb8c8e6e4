// An ordered, case-insensitive header map with Envoy's semantics: names are lower-cased on
// every operation, duplicates are kept, get returns the first value.
import { encodeUtf8 } from "./memory.ts";
import type { Pair } from "./pairs.ts";

/** What callers may pass as headers. */
export type HeaderInit = Record<string, string | string[]> | readonly (readonly [string, string])[] | HeaderMap;

export class HeaderMap {
  private entries: Pair[] = [];

  constructor(init?: HeaderInit) {
    if (init instanceof HeaderMap) this.entries = init.pairs();
    else if (Array.isArray(init)) for (const [k, v] of init) this.add(k, v);
    else if (init) {
      for (const [k, v] of Object.entries(init)) for (const one of Array.isArray(v) ? v : [v]) this.add(k, one);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** First value of `name`. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) if (entries[i][0] === key) return entries[i][1];
    return undefined;
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): void {
    this.entries.push([name.toLowerCase(), value]);
  }

  /** Sets exactly one value (adds when absent), like Envoy's setCopy. */
  replace(name: string, value: string): void {
    const key = name.toLowerCase();
    const first = this.entries.findIndex(([k]) => k === key);
    if (first < 0) return this.add(key, value);
    this.entries[first] = [key, value];
    if (this.entries.findIndex(([k], i) => k === key && i > first) >= 0) this.entries = this.entries.filter(([k], i) => k !== key || i === first);
  }

  /** Removes every value; returns whether any existed. */
  remove(name: string): boolean {
    const key = name.toLowerCase();
    if (this.get(key) === undefined) return false;
    this.entries = this.entries.filter(([k]) => k !== key);
    return true;
  }

  /** Replaces every entry (names lower-cased). */
  setAll(init: HeaderInit): void {
    this.entries = new HeaderMap(init).entries;
  }

  pairs(): Pair[] {
    return this.entries.map(([k, v]) => [k, v]);
  }

  /** Plain object; duplicate names joined with "," (how Envoy's attributes present them). */
  toObject(): Record<string, string> {
    const joined = new Map<string, string>();
    for (const [k, v] of this.entries) joined.set(k, joined.has(k) ? `${joined.get(k)},${v}` : v);
    return Object.fromEntries(joined);
  }
}

// Header values are strings here, but Envoy's HTTP/1 codec passes obs-text bytes (0x80-0xFF)
// through, so a filter can see header values that are not valid UTF-8. rawHeaderValue() wraps
// such bytes in a string (a noncharacter marker + one char per byte) that the host turns back
// into exactly those bytes when the filter reads the header (fuzz tests use it).
const RAW_MARKER = "\uFDD0raw:";

export function rawHeaderValue(bytes: Uint8Array): string {
  let s = RAW_MARKER;
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/** Whether `value` came from rawHeaderValue() (its bytes are not its UTF-8 encoding). */
export function isRawHeaderValue(value: string): boolean {
  return value.charCodeAt(0) === 0xfdd0 && value.startsWith(RAW_MARKER);
}

/** The bytes the filter sees for a header value (UTF-8, or the raw bytes of rawHeaderValue()). */
export function headerValueBytes(value: string): Uint8Array {
  if (!isRawHeaderValue(value)) return encodeUtf8(value);
  const out = new Uint8Array(value.length - RAW_MARKER.length);
  for (let i = 0; i < out.length; i++) out[i] = value.charCodeAt(RAW_MARKER.length + i) & 0xff;
  return out;
}
