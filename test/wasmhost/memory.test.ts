// GuestMemory's fast paths against the plain semantics: remembered names are re-read when the
// guest bytes change, views follow memory growth, strings return as their exact UTF-8 bytes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GuestMemory } from "../../control/wasmhost/memory.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A guest memory of one page and a bump malloc from 1024. */
function guestMemory(): { memory: WebAssembly.Memory; mem: GuestMemory; bytes: () => Uint8Array } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  let next = 1024;
  const mem = new GuestMemory(memory, (size) => {
    const p = next;
    next += size;
    return p;
  });
  return { memory, mem, bytes: () => new Uint8Array(memory.buffer) };
}

describe("wasmhost guest memory", () => {
  it("a name read again at the same address is decoded afresh when its bytes changed", () => {
    const { mem, bytes } = guestMemory();
    bytes().set(utf8(":authority"), 100);
    assert.equal(mem.readString(100, 10), ":authority");
    assert.equal(mem.readString(100, 10), ":authority");
    bytes().set(utf8("x-mesh-clu"), 100);
    assert.equal(mem.readString(100, 10), "x-mesh-clu");
    assert.equal(mem.readString(100, 5), "x-mes", "another length at the same address");
    bytes().set(Uint8Array.of(0xc3, 0xa9), 200);
    assert.equal(mem.readString(200, 2), "é");
  });

  it("reads and writes follow memory growth (growing detaches the old buffer)", () => {
    const { memory, mem, bytes } = guestMemory();
    assert.equal(mem.byteLength, 65536);
    assert.throws(() => mem.readString(70000, 4), /out of bounds/);
    memory.grow(1);
    bytes().set(utf8("grown"), 70000);
    assert.equal(mem.readString(70000, 5), "grown");
    assert.equal(mem.byteLength, 131072);
    mem.writeU32(131068, 7);
    assert.equal(mem.readU32(131068), 7);
  });

  it("strings and ints are returned with the exact length, the pointer and size written back", () => {
    const { mem, bytes } = guestMemory();
    const returned = (write: () => void) => {
      write();
      const dv = new DataView(bytes().buffer);
      const [p, n] = [dv.getUint32(16, true), dv.getUint32(20, true)];
      return bytes().slice(p, p + n);
    };
    for (const s of ["", "reviews:9080", "é ✓ 𝄞", "x".repeat(65), "é".repeat(3000)]) {
      assert.deepEqual(returned(() => mem.returnString(s, 16, 20)), utf8(s), JSON.stringify(s.slice(0, 10)));
    }
    const int64 = (v: number | bigint) => new DataView(returned(() => mem.returnInt64(v, 16, 20)).buffer).getBigInt64(0, true);
    assert.equal(int64(9080), 9080n);
    assert.equal(int64(-1), -1n);
    assert.equal(int64(-(2 ** 40) - 3), -(2n ** 40n) - 3n);
    assert.equal(int64(2n ** 63n + 5n), -(2n ** 63n) + 5n, "bigints wrap like Envoy's int64");
    assert.throws(() => mem.returnString("x", 70000, 20), /out of bounds/);
  });

  it("a result lands intact when the guest's malloc grows memory to make room for it", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const mem = new GuestMemory(memory, () => {
      const at = memory.buffer.byteLength;
      memory.grow(1);
      return at;
    });
    for (const s of ["reviews:9080", "é ✓", "x".repeat(300)]) {
      mem.returnString(s, 16, 20);
      const dv = new DataView(memory.buffer);
      const [p, n] = [dv.getUint32(16, true), dv.getUint32(20, true)];
      assert.deepEqual(new Uint8Array(memory.buffer).slice(p, p + n), utf8(s), s.slice(0, 10));
    }
  });
});
