// Guest linear memory: bounds-checked reads/writes and the host->guest return convention
// (malloc the exact length, write pointer and size to the guest's out-parameters).
// Every import goes through here, so the common path allocates nothing: no copies of guest
// bytes, no typed arrays per call, short ASCII strings converted by hand (TextEncoder and
// TextDecoder cost a typed array or a native call each, more than the rest of an import).
import { AbiMisuse, WasmResult } from "./abi.ts";

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export const encodeUtf8 = (s: string): Uint8Array => utf8Encoder.encode(s);
export const decodeUtf8 = (b: Uint8Array): string => utf8Decoder.decode(b);

/** Strings up to this many code units are converted by hand when they are ASCII. */
const SHORT = 64;

/** s.length when `s` is short ASCII (its UTF-8 length), else -1. */
export function shortAsciiLength(s: string): number {
  const n = s.length;
  if (n > SHORT) return -1;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  return n;
}

export class GuestMemory {
  private u8: Uint8Array;
  private dv: DataView;

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
    return this.u8.slice(ptr, ptr + len);
  }

  /** Guest bytes [ptr, ptr+len) decoded as UTF-8 (invalid sequences become U+FFFD). */
  readString(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    const u8 = this.u8;
    if (len <= SHORT) {
      let s = "";
      let i = 0;
      for (; i < len; i++) {
        const c = u8[ptr + i];
        if (c > 0x7f) break;
        s += String.fromCharCode(c);
      }
      if (i === len) return s;
    }
    return utf8Decoder.decode(u8.subarray(ptr, ptr + len));
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

  /** returnBytes(UTF-8 of `s`) without encoding short ASCII strings into a temporary array. */
  returnString(s: string, rpPtr: number, rpSize: number): void {
    const n = shortAsciiLength(s);
    if (n < 0) return this.returnBytes(encodeUtf8(s), rpPtr, rpSize);
    const p = this.allocate(n, rpPtr, rpSize);
    const u8 = this.u8;
    for (let i = 0; i < n; i++) u8[p + i] = s.charCodeAt(i);
  }

  /** Returns a signed 64-bit little-endian integer (Envoy's int attributes). */
  returnInt64(value: bigint, rpPtr: number, rpSize: number): void {
    const p = this.allocate(8, rpPtr, rpSize);
    this.dv.setBigInt64(p, BigInt.asIntN(64, value), true);
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
