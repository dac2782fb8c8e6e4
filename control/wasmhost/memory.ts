// Guest linear memory: bounds-checked reads/writes and the host->guest return convention
// (malloc the exact length, write pointer and size to the guest's out-parameters).
import { AbiMisuse, WasmResult } from "./abi.ts";

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export const encodeUtf8 = (s: string): Uint8Array => utf8Encoder.encode(s);
export const decodeUtf8 = (b: Uint8Array): string => utf8Decoder.decode(b);

export class GuestMemory {
  private buffer: ArrayBuffer | null = null;
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly malloc: (size: number) => number,
  ) {}

  /** Views are recreated whenever memory grew (growth detaches the old ArrayBuffer). */
  private refresh(): void {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.dv = new DataView(this.buffer);
    }
  }

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  private check(ptr: number, len: number): void {
    this.refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.u8.length) {
      throw new AbiMisuse(WasmResult.InvalidMemoryAccess, `memory access out of bounds: ptr=${ptr} len=${len} (memory ${this.u8.length} bytes)`);
    }
  }

  /** A copy of guest bytes [ptr, ptr+len). Pointers are normalised as u32. */
  read(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.u8.slice(ptr, ptr + len);
  }

  readString(ptr: number, len: number): string {
    return decodeUtf8(this.read(ptr, len));
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
    // Validate the out-parameters before allocating, so a bad pointer does not leak a buffer.
    this.check(rpPtr >>> 0, 4);
    this.check(rpSize >>> 0, 4);
    if (bytes.length === 0) {
      this.writeU32(rpPtr, 0);
      this.writeU32(rpSize, 0);
      return;
    }
    const p = this.malloc(bytes.length) >>> 0;
    if (p === 0) throw new AbiMisuse(WasmResult.InvalidMemoryAccess, `guest malloc(${bytes.length}) returned 0`);
    this.write(p, bytes);
    this.writeU32(rpPtr, p);
    this.writeU32(rpSize, bytes.length);
  }
}
