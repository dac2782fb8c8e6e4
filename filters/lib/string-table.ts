// A string-keyed table for lookups on the request path (virtual host by domain, routes by exact
// uri). The stdlib Map can only answer "absent" through has() before get(), which hashes the key
// twice; find() hashes it once. Filled when a config is accepted; entries are never removed.
import { HASH } from "~lib/util/hash";

export class StringTable<V> {
  private keys: string[] = [];
  private values: V[] = [];
  /** Open addressing, linear probing: index + 1 of the entry, 0 = empty slot. */
  private slots: Int32Array = new Int32Array(8);

  /** The value stored under `key`, or null. */
  find(key: string): V | null {
    const i = this.indexOf(key, HASH<string>(key));
    return i < 0 ? null : unchecked(this.values[i]);
  }

  /** Stores `value` under `key` unless the key is there already; returns the stored value. */
  getOrInsert(key: string, value: V): V {
    const hash = HASH<string>(key);
    const i = this.indexOf(key, hash);
    if (i >= 0) return unchecked(this.values[i]);
    this.keys.push(key);
    this.values.push(value);
    // at most half full, so probes stay short and an empty slot always ends a search
    if (this.keys.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(this.keys.length - 1, hash);
    return value;
  }

  /** Index of the entry for `key`, or -1 (an empty slot ends the probe). */
  private indexOf(key: string, hash: u32): i32 {
    const slots = this.slots;
    const mask = <u32>slots.length - 1;
    let s = hash & mask;
    let e = unchecked(slots[s]);
    while (e != 0 && unchecked(this.keys[e - 1]) != key) {
      s = (s + 1) & mask;
      e = unchecked(slots[s]);
    }
    return e - 1;
  }

  private place(index: i32, hash: u32): void {
    const slots = this.slots;
    const mask = <u32>slots.length - 1;
    let s = hash & mask;
    while (unchecked(slots[s]) != 0) s = (s + 1) & mask;
    unchecked((slots[s] = index + 1));
  }

  private rehash(size: i32): void {
    this.slots = new Int32Array(size);
    for (let i = 0; i < this.keys.length; i++) this.place(i, HASH<string>(unchecked(this.keys[i])));
  }
}
