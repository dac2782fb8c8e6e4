// Guest linear memory: bounds-checked reads/writes and the host->guest return convention
// (malloc the exact length, write pointer and size to the guest's out-parameters).
// Every import goes through here, so the common path allocates as little as JS allows: no copy
// of guest bytes to decode a name, strings encoded through one reusable scratch array, no
// memory.buffer read per access.
import { AbiMisuse, WasmResult } from "./abi.ts";

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export const encodeUtf8 = (s: string): Uint8Array => utf8Encoder.encode(s);
export const decodeUtf8 = (b: Uint8Array): string => utf8Decoder.decode(b);

/** No bytes (what read() returns for an empty range: nothing in it to change). */
export const NO_BYTES = new Uint8Array(0);

/** Guest strings up to this many bytes are remembered (see NameCache). */
const NAME_BYTES = 64;
const NAME_CACHE_ENTRIES = 512;

/** Header names, property paths and config-time values that a filter passes on every request,
 * from the same constant buffers: decoding them costs more than the rest of an import. An entry
 * is found by address and length and used only if the guest bytes there are still exactly the
 * bytes it was decoded from, so a reused address with new contents is decoded afresh. */
class NameCache {
  private readonly entries = new Map<number, { bytes: Uint8Array; text: string }>();

  read(u8: Uint8Array, ptr: number, len: number): string {
    const key = ptr * (NAME_BYTES + 1) + len;
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      const bytes = hit.bytes;
      let i = 0;
      while (i < len && bytes[i] === u8[ptr + i]) i++;
      if (i === len) return hit.text;
    }
    const bytes = u8.slice(ptr, ptr + len);
    const text = utf8Decoder.decode(bytes);
    if (this.entries.size >= NAME_CACHE_ENTRIES) this.entries.clear();
    this.entries.set(key, { bytes, text });
    return text;
  }
}

export class GuestMemory {
  private u8: Uint8Array;
  private dv: DataView;
  private readonly names = new NameCache();
  /** Where returnString() encodes before it knows the UTF-8 length (malloc needs it first). */
  private readonly scratch = new Uint8Array(4096);

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly malloc: (size: number) => number,
  ) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
  }

  /** The byte view, re-created after growth. Growing detaches the old ArrayBuffer, which leaves
   * views over it with length 0: checking that is far cheaper than reading memory.buffer on
   * every access (a native getter). */
  private bytes(): Uint8Array {
    if (this.u8.length === 0) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.dv = new DataView(this.memory.buffer);
    }
    return this.u8;
  }

  get byteLength(): number {
    return this.bytes().length;
  }

  /** Throws unless [ptr, ptr+len) is inside memory (ptr and len already u32). */
  private check(ptr: number, len: number): void {
    const size = this.bytes().length;
    if (ptr + len > size) {
      throw new AbiMisuse(WasmResult.InvalidMemoryAccess, `memory access out of bounds: ptr=${ptr} len=${len} (memory ${size} bytes)`);
    }
  }

  /** A copy of guest bytes [ptr, ptr+len). Pointers are normalised as u32. */
  read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return len === 0 ? NO_BYTES : this.u8.slice(ptr, ptr + len); // slice() of a big view costs far more than its bytes
  }

  /** Guest bytes [ptr, ptr+len) decoded as UTF-8 (invalid sequences become U+FFFD). */
  readString(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    if (len <= NAME_BYTES) return this.names.read(this.u8, ptr, len);
    return utf8Decoder.decode(this.u8.subarray(ptr, ptr + len));
  }

  readU32(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return this.dv.getUint32(ptr, true);
  }

  write(ptr: number, bytes: Uint8Array): void {
    ptr >>>= 0;
    this.check(ptr, bytes.length);
    this.u8.set(bytes, ptr);
  }

  writeU32(ptr: number, value: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.dv.setUint32(ptr, value >>> 0, true);
  }

  writeU64(ptr: number, value: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** Returns `bytes` to the guest: empty -> 0/0 without malloc; else malloc(exact length). */
  returnBytes(bytes: Uint8Array, rpPtr: number, rpSize: number): void {
    const p = this.allocate(bytes.length, rpPtr, rpSize);
    if (p !== 0) this.u8.set(bytes, p);
  }

  /** returnBytes(UTF-8 of `s`) without a temporary array per call. */
  returnString(s: string, rpPtr: number, rpSize: number): void {
    // Header values and attributes are short ASCII: written straight into guest memory, which
    // beats TextEncoder#encodeInto (a native call) several times over at these lengths.
    if (s.length <= NAME_BYTES && isAscii(s)) {
      const p = this.allocate(s.length, rpPtr, rpSize); // first: malloc may grow memory and renew u8
      writeAscii(this.u8, p, s);
      return;
    }
    const scratch = this.scratch;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; longer strings get their own array.
    if (s.length * 3 > scratch.length) return this.returnBytes(encodeUtf8(s), rpPtr, rpSize);
    const { written } = utf8Encoder.encodeInto(s, scratch);
    const p = this.allocate(written, rpPtr, rpSize);
    this.u8.set(scratch.subarray(0, written), p);
  }

  /** Returns a signed 64-bit little-endian integer (Envoy's int attributes). A number is written
   * as two 32-bit halves, which spares the BigInt conversions. */
  returnInt64(value: number | bigint, rpPtr: number, rpSize: number): void {
    const p = this.allocate(8, rpPtr, rpSize);
    if (typeof value === "bigint") this.dv.setBigInt64(p, BigInt.asIntN(64, value), true);
    else {
      this.dv.setUint32(p, value >>> 0, true);
      this.dv.setInt32(p + 4, Math.floor(value / 2 ** 32), true);
    }
  }

  /** The return convention's allocation: validates the out-parameters first (a bad pointer must
   * not leak a buffer), mallocs exactly `len` bytes (none for 0), writes pointer and size, and
   * returns the pointer (0 for an empty result). Views are fresh afterwards (malloc may grow). */
  private allocate(len: number, rpPtr: number, rpSize: number): number {
    rpPtr >>>= 0;
    rpSize >>>= 0;
    this.check(rpPtr, 4);
    this.check(rpSize, 4);
    let p = 0;
    if (len > 0) {
      p = this.malloc(len) >>> 0;
      if (p === 0) throw new AbiMisuse(WasmResult.InvalidMemoryAccess, `guest malloc(${len}) returned 0`);
      this.check(p, len);
    }
    this.dv.setUint32(rpPtr, p, true);
    this.dv.setUint32(rpSize, len, true);
    return p;
  }
}

/** Whether every UTF-16 unit of `s` is ASCII (then its UTF-8 bytes are its char codes). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Writes the ASCII string `s` at `at` (one byte per char code). */
export function writeAscii(out: Uint8Array, at: number, s: string): void {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
}
