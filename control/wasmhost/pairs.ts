// The ABI's serialized map format ("pairs"):
//   u32 N | N x (u32 key_len, u32 value_len) | N x (key 0x00 value 0x00)
import { AbiMisuse, WasmResult } from "./abi.ts";
import { headerValueBytes } from "./headers.ts";
import { decodeUtf8, encodeUtf8, isAscii, writeAscii } from "./memory.ts";

export type Pair = [name: string, value: string];

export function encodePairs(pairs: readonly (readonly [string, string])[]): Uint8Array {
  const n = pairs.length;
  const keys = pairs.map(([k]) => wireForm(k, encodeUtf8));
  const values = pairs.map(([, v]) => wireForm(v, headerValueBytes));
  let size = 4 + 8 * n;
  for (let i = 0; i < n; i++) size += keys[i].length + values[i].length + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, n, true);
  let data = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    dv.setUint32(4 + 8 * i, keys[i].length, true);
    dv.setUint32(8 + 8 * i, values[i].length, true);
    data = put(out, data, keys[i]) + 1; // NUL (already zero)
    data = put(out, data, values[i]) + 1;
  }
  return out;
}

/** A name or value as it goes on the wire: an ASCII string is its own bytes and is written from
 * the string (a TextEncoder call per string costs more than the whole copy); anything else is
 * encoded first. */
function wireForm(s: string, encode: (s: string) => Uint8Array): string | Uint8Array {
  return isAscii(s) ? s : encode(s);
}

/** Writes `bytes` (an ASCII string or encoded bytes) at `at`; returns the end. */
function put(out: Uint8Array, at: number, bytes: string | Uint8Array): number {
  if (typeof bytes === "string") writeAscii(out, at, bytes);
  else out.set(bytes, at);
  return at + bytes.length;
}

/** Strict decoder: sizes must fit, every string must be NUL-terminated, nothing may trail.
 * Accepts the empty encodings (no bytes, a lone 0x00, or N=0). */
export function decodePairs(bytes: Uint8Array): Pair[] {
  if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0)) return [];
  const bad = (why: string) => new AbiMisuse(WasmResult.BadArgument, `malformed header pairs: ${why}`);
  if (bytes.length < 4) throw bad("shorter than its count");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  let data = 4 + 8 * n;
  if (data > bytes.length) throw bad(`count ${n} does not fit in ${bytes.length} bytes`);
  const out: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const kl = dv.getUint32(4 + 8 * i, true);
    const vl = dv.getUint32(8 + 8 * i, true);
    if (data + kl + vl + 2 > bytes.length) throw bad(`entry ${i} overruns the buffer`);
    if (bytes[data + kl] !== 0 || bytes[data + kl + 1 + vl] !== 0) throw bad(`entry ${i} is not NUL-terminated`);
    const key = decodeUtf8(bytes.subarray(data, data + kl));
    const value = decodeUtf8(bytes.subarray(data + kl + 1, data + kl + 1 + vl));
    out.push([key, value]);
    data += kl + vl + 2;
  }
  if (data !== bytes.length) throw bad(`${bytes.length - data} trailing bytes`);
  return out;
}
