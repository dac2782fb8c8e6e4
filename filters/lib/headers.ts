// Header maps of the current stream. Names are lower-case bytes; pre-encode constant names
// with utf8() at module level so the per-request path does not allocate for them.
import {
  proxy_add_header_map_value,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  WasmResult,
} from "./abi";
import { Decoder, ONCE, OUT_PTR, OUT_SIZE, takeOutString } from "./mem";

/** First value of `name` decoded by `dec` (see Decoder), or null when absent. */
export function getHeader(map: i32, name: ArrayBuffer, dec: Decoder = ONCE): string | null {
  const rc = proxy_get_header_map_value(map, changetype<usize>(name), name.byteLength, OUT_PTR, OUT_SIZE);
  if (rc == WasmResult.NotFound) return null;
  if (rc != WasmResult.Ok) abort("proxy_get_header_map_value failed: " + rc.toString());
  return takeOutString(dec);
}

/** Removes every value of `name` (OK when absent). */
export function removeHeader(map: i32, name: ArrayBuffer): void {
  const rc = proxy_remove_header_map_value(map, changetype<usize>(name), name.byteLength);
  if (rc != WasmResult.Ok) abort("proxy_remove_header_map_value failed: " + rc.toString());
}

/** Sets `name` to exactly `value` (replaces all values; adds when absent). */
export function setHeader(map: i32, name: ArrayBuffer, value: string): void {
  setHeaderBytes(map, name, String.UTF8.encode(value));
}

/** setHeader with a pre-encoded value (config-time constants: no per-request encoding). */
export function setHeaderBytes(map: i32, name: ArrayBuffer, v: ArrayBuffer): void {
  const rc = proxy_replace_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(v), v.byteLength);
  if (rc != WasmResult.Ok) abort("proxy_replace_header_map_value failed: " + rc.toString());
}

/** Appends one more value of `name`. */
export function addHeader(map: i32, name: ArrayBuffer, value: string): void {
  addHeaderBytes(map, name, String.UTF8.encode(value));
}

/** addHeader with a pre-encoded value. */
export function addHeaderBytes(map: i32, name: ArrayBuffer, v: ArrayBuffer): void {
  const rc = proxy_add_header_map_value(map, changetype<usize>(name), name.byteLength, changetype<usize>(v), v.byteLength);
  if (rc != WasmResult.Ok) abort("proxy_add_header_map_value failed: " + rc.toString());
}

/** Header pairs in the ABI's serialized form:
 * u32 N | N x (u32 key_len, u32 val_len) | N x (key 0x00 value 0x00). */
export class Pairs {
  private keys: ArrayBuffer[] = [];
  private values: ArrayBuffer[] = [];

  add(key: string, value: string): Pairs {
    this.keys.push(String.UTF8.encode(key));
    this.values.push(String.UTF8.encode(value));
    return this;
  }

  serialize(): ArrayBuffer {
    const n = this.keys.length;
    let size = 4 + 8 * n;
    for (let i = 0; i < n; i++) size += this.keys[i].byteLength + this.values[i].byteLength + 2;
    const out = new ArrayBuffer(size);
    const base = changetype<usize>(out);
    store<u32>(base, n);
    let data = base + 4 + 8 * n;
    for (let i = 0; i < n; i++) {
      const k = this.keys[i];
      const v = this.values[i];
      store<u32>(base + 4 + 8 * i, k.byteLength);
      store<u32>(base + 8 + 8 * i, v.byteLength);
      memory.copy(data, changetype<usize>(k), k.byteLength);
      data += k.byteLength + 1; // NUL already zero
      memory.copy(data, changetype<usize>(v), v.byteLength);
      data += v.byteLength + 1;
    }
    return out;
  }
}
