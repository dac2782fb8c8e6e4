// Guest memory the host writes into: `malloc` (exported), the out-parameter slots, and the
// results the host returns through them.
// __pin/__unpin are runtime globals (asconfig "runtime": "minimal", see gc.ts).
//
// Per request the host returns a handful of small values (header values, attributes) that are
// read once, right after the import that returned them. They land in one static scratch block
// instead of a fresh ArrayBuffer each, so reading `:authority` or `destination.port` allocates
// nothing but the decoded string (or nothing at all for numbers and bools). Larger results
// (config bodies) and a result asked for while the scratch is taken get a pinned ArrayBuffer.
import { noteAllocation } from "./gc";

// Out-parameter slots (static data, never allocated per call).
export const OUT_PTR: usize = memory.data(4);
export const OUT_SIZE: usize = memory.data(4);
export const OUT_U32: usize = memory.data(4);
export const OUT_U64: usize = memory.data(8, 8);

// @ts-ignore: decorator
@inline const SCRATCH_SIZE: i32 = 1024;
const SCRATCH: usize = memory.data(SCRATCH_SIZE, 16);
/** The scratch block holds a result not taken yet. */
let scratchBusy = false;

const EMPTY = new ArrayBuffer(0);

/** Host allocation hook: the host asks for the exact length of one result and writes it there.
 * A heap result is a pinned ArrayBuffer of that length (unpinned when taken). */
export function malloc(size: i32): usize {
  // Counted either way: what we decode from a result is proportional to it (gc.ts).
  noteAllocation(<usize>size);
  if (size <= SCRATCH_SIZE && !scratchBusy) {
    scratchBusy = true;
    return SCRATCH;
  }
  return __pin(changetype<usize>(new ArrayBuffer(size)));
}

/** Reads and clears the out-parameters (a stale result is never reused). */
function takeOut(): usize {
  const ptr = load<u32>(OUT_PTR) as usize;
  store<u32>(OUT_PTR, 0);
  return ptr;
}

function takeSize(): i32 {
  const size = load<u32>(OUT_SIZE);
  store<u32>(OUT_SIZE, 0);
  return <i32>size;
}

/** Frees a result once its bytes are no longer needed. */
function release(ptr: usize): void {
  if (ptr == SCRATCH) scratchBusy = false;
  else if (ptr != 0) __unpin(ptr);
}

/** The host's result as an ArrayBuffer the caller owns (a copy when it is in the scratch). */
export function takeOutBuffer(): ArrayBuffer {
  const size = takeSize();
  const ptr = takeOut();
  if (size == 0 || ptr == 0) {
    release(ptr);
    return EMPTY;
  }
  if (ptr != SCRATCH) {
    __unpin(ptr);
    return changetype<ArrayBuffer>(ptr);
  }
  const copy = new ArrayBuffer(size);
  memory.copy(changetype<usize>(copy), ptr, size);
  release(ptr);
  return copy;
}

/** No strings to recognise. */
export const NO_KNOWN: string[] = [];

// @ts-ignore: decorator
@inline const RECENT_BYTES: i32 = 128;

/** Decodes host results as UTF-8 without allocating when the bytes spell one of the ASCII
 * strings in `known` (:method values, say) or the bytes it decoded last (up to RECENT_BYTES):
 * many attributes repeat from one request to the next (the peer principal on a connection, a
 * client's :authority), and comparing bytes costs far less than a fresh string and its
 * collection. Callers may test the result by identity to reuse what they derived from it. */
export class Decoder {
  private recent: ArrayBuffer = new ArrayBuffer(RECENT_BYTES);
  private recentLen: i32 = -1;
  private recentText: string = "";

  constructor(private known: string[] = NO_KNOWN) {}

  decode(ptr: usize, size: i32): string {
    const k = knownIndex(ptr, size, this.known);
    if (k >= 0) return unchecked(this.known[k]);
    const recent = changetype<usize>(this.recent);
    if (size == this.recentLen && memory.compare(ptr, recent, <usize>size) == 0) return this.recentText;
    const s = utf8String(ptr, size);
    if (size <= RECENT_BYTES) {
      memory.copy(recent, ptr, <usize>size);
      this.recentLen = size;
      this.recentText = s;
    }
    return s;
  }
}

/** For results without a decoder of their own (config bodies, poll answers). */
export const ONCE = new Decoder();

/** The host's result decoded as UTF-8 (see Decoder). */
export function takeOutString(dec: Decoder = ONCE): string {
  const size = takeSize();
  const ptr = takeOut();
  const s = size > 0 && ptr != 0 ? dec.decode(ptr, size) : "";
  release(ptr);
  return s;
}

/** The host's result decoded without a leading `prefix` when its bytes start with it (so
 * "spiffe://" is never decoded only to be cut off); null when the result is empty. */
export function takeOutStringAfter(prefix: ArrayBuffer, dec: Decoder): string | null {
  const size = takeSize();
  const ptr = takeOut();
  let s: string | null = null;
  if (size > 0 && ptr != 0) {
    const n = prefix.byteLength;
    const skip = size >= n && memory.compare(ptr, changetype<usize>(prefix), <usize>n) == 0 ? n : 0;
    s = dec.decode(ptr + <usize>skip, size - skip);
  }
  release(ptr);
  return s;
}

/** Index of the ASCII string in `known` that the `size` bytes at `ptr` spell, or -1. */
function knownIndex(ptr: usize, size: i32, known: string[]): i32 {
  for (let k = 0; k < known.length; k++) {
    const s = unchecked(known[k]);
    if (s.length != size) continue;
    const chars = changetype<usize>(s);
    let i = 0;
    while (i < size && <u16>load<u8>(ptr + <usize>i) == load<u16>(chars + (<usize>i << 1))) i++;
    if (i == size) return k;
  }
  return -1;
}

/** The host's result as an int attribute (8 bytes little-endian); `fallback` for another size. */
export function takeOutI64(fallback: i64): i64 {
  const size = takeSize();
  const ptr = takeOut();
  const v = size == 8 && ptr != 0 ? load<i64>(ptr) : fallback;
  release(ptr);
  return v;
}

/** The host's result as a bool attribute (1 byte); false for another size. */
export function takeOutBool(): bool {
  const size = takeSize();
  const ptr = takeOut();
  const v = size == 1 && ptr != 0 && load<u8>(ptr) != 0;
  release(ptr);
  return v;
}

/** Drops a result nobody will read (e.g. an import that failed after allocating). */
export function discardOut(): void {
  takeSize();
  release(takeOut());
}

/** UTF-8 bytes [ptr, ptr+len) as a string. ASCII (header names and values, attributes) is
 * widened in one pass into an exactly sized string; at the first other byte the string is
 * dropped and String.UTF8 decodes the whole (it sizes for the worst case, then shrinks). */
export function utf8String(ptr: usize, len: i32): string {
  const out = changetype<string>(__new(<usize>len << 1, idof<string>()));
  const base = changetype<usize>(out);
  for (let i = 0; i < len; i++) {
    const b = load<u8>(ptr + <usize>i);
    if (b >= 0x80) return String.UTF8.decodeUnsafe(ptr, <usize>len);
    store<u16>(base + (<usize>i << 1), b);
  }
  return out;
}

/** Bytes of a UTF-8 string, for passing names/values to the host. */
export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}
