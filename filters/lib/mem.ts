// Guest memory the host writes into: `malloc` (exported) and the out-parameter slots.
// __pin/__unpin are runtime globals (asconfig "runtime": "minimal", see gc.ts).
import { noteAllocation } from "./gc";

// Out-parameter slots (static data, never allocated per call).
export const OUT_PTR: usize = memory.data(4);
export const OUT_SIZE: usize = memory.data(4);
export const OUT_U32: usize = memory.data(4);
export const OUT_U64: usize = memory.data(8, 8);

const EMPTY = new ArrayBuffer(0);

/** Host allocation hook. The host asks for the exact length and the result is reinterpreted as an
 * ArrayBuffer of that length, so it is a pinned ArrayBuffer (unpinned by takeOutBuffer). */
export function malloc(size: i32): usize {
  noteAllocation(<usize>size);
  return __pin(changetype<usize>(new ArrayBuffer(size)));
}

/** Takes ownership of the buffer the host returned through OUT_PTR/OUT_SIZE. Call once per result. */
export function takeOutBuffer(): ArrayBuffer {
  const size = load<u32>(OUT_SIZE);
  const ptr = load<u32>(OUT_PTR) as usize;
  store<u32>(OUT_SIZE, 0); // never reuse a stale result
  store<u32>(OUT_PTR, 0);
  if (size == 0 || ptr == 0) return EMPTY;
  const buf = changetype<ArrayBuffer>(ptr);
  __unpin(ptr);
  return buf;
}

/** Bytes of a UTF-8 string, for passing names/values to the host. */
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}
