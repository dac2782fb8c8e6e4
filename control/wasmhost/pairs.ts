// The ABI's serialized map format ("pairs"):
//   u32 N | N x (u32 key_len, u32 value_len) | N x (key 0x00 value 0x00)
import { AbiMisuse, WasmResult } from "./abi.ts";
import { headerValueBytes } from "./headers.ts";
import { decodeUtf8, encodeUtf8 } from "./memory.ts";

export type Pair = [name: string, value: string];

export function encodePairs(pairs: readonly (readonly [string, string])[]): Uint8Array {
  const encoded = pairs.map(([k, v]) => [encodeUtf8(k), headerValueBytes(v)] as const);
  let size = 4 + 8 * encoded.length;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, encoded.length, true);
  let data = 4 + 8 * encoded.length;
  encoded.forEach(([k, v], i) => {
    dv.setUint32(4 + 8 * i, k.length, true);
    dv.setUint32(8 + 8 * i, v.length, true);
    out.set(k, data);
    data += k.length + 1;
    out.set(v, data);
    data += v.length + 1;
  });
  return out;
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
