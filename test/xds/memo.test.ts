// The isolate's caches: by count, or by weight where what they hold grows with the mesh.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Lru } from "../../control/xds/memo.ts";

test("by count: the least recently used entry goes first", () => {
  const lru = new Lru<string, number>(2);
  lru.set("a", 1);
  lru.set("b", 2);
  assert.equal(lru.get("a"), 1);
  lru.set("c", 3);
  assert.equal(lru.get("b"), undefined);
  assert.deepEqual([lru.get("a"), lru.get("c")], [1, 3]);
});

test("by weight: entries leave until the total fits, and a value heavier than the whole cache is not kept", () => {
  const lru = new Lru<string, string>(10, (s) => s.length);
  lru.set("a", "xxxx");
  lru.set("b", "xxxx");
  lru.set("c", "xxxx");
  assert.equal(lru.get("a"), undefined);
  assert.deepEqual([lru.get("b"), lru.get("c")], ["xxxx", "xxxx"]);
  // Replacing a key counts its new weight only.
  lru.set("c", "xx");
  lru.set("d", "xxxx");
  assert.deepEqual([lru.get("b"), lru.get("c"), lru.get("d")], ["xxxx", "xx", "xxxx"]);
  assert.equal(lru.set("huge", "x".repeat(11)), "x".repeat(11));
  assert.equal(lru.get("huge"), undefined);
  assert.equal(lru.get("b"), "xxxx", "a value too heavy to keep evicts nothing");
  lru.delete("b");
  lru.set("e", "xxxx");
  assert.deepEqual([lru.get("c"), lru.get("d"), lru.get("e")], ["xx", "xxxx", "xxxx"]);
});
