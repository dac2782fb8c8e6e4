// An ordered, case-insensitive header map with Envoy's semantics: names are lower-cased on
// every operation, duplicates are kept, get returns the first value.
import { encodeUtf8 } from "./memory.ts";
import type { Pair } from "./pairs.ts";

/** What callers may pass as headers. */
export type HeaderInit = Record<string, string | string[]> | readonly (readonly [string, string])[] | HeaderMap;

/** Header names repeat (the same few on every request), and String#toLowerCase costs more than
 * a lookup even when nothing changes: lower-case each distinct name once. */
const lowerNames = new Map<string, string>();

function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size >= 1024) lowerNames.clear();
    lowerNames.set(name, lower);
  }
  return lower;
}

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

  /** Index of the first entry named `key` (lower-case) at or after `from`, or -1. */
  private indexOf(key: string, from = 0): number {
    const entries = this.entries;
    for (let i = from; i < entries.length; i++) if (entries[i][0] === key) return i;
    return -1;
  }

  /** First value of `name`. */
  get(name: string): string | undefined {
    const i = this.indexOf(lowerName(name));
    return i < 0 ? undefined : this.entries[i][1];
  }

  getAll(name: string): string[] {
    const key = lowerName(name);
    return this.entries.filter(([k]) => k === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): void {
    this.entries.push([lowerName(name), value]);
  }

  /** Sets exactly one value (adds when absent), like Envoy's setCopy. */
  replace(name: string, value: string): void {
    const key = lowerName(name);
    const first = this.indexOf(key);
    if (first < 0) return void this.entries.push([key, value]);
    this.entries[first] = [key, value];
    if (this.indexOf(key, first + 1) >= 0) this.entries = this.entries.filter(([k], i) => k !== key || i === first);
  }

  /** Removes every value; returns whether any existed. */
  remove(name: string): boolean {
    const key = lowerName(name);
    if (this.indexOf(key) < 0) return false;
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
