// Small per-isolate caches. Workers reuse an isolate for many requests, so immutable documents
// (keyed by revision) are parsed once, not once per proxy poll.
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): V {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
    return value;
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}

/** A value fetched at most once per `ttlMs` (0: every time). */
export class Expiring<V> {
  private value?: { v: V; until: number };
  constructor(private readonly ttlMs: number) {}

  async get(load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    if (this.value && this.value.until > now) return this.value.v;
    const v = await load();
    if (this.ttlMs > 0) this.value = { v, until: now + this.ttlMs };
    return v;
  }
}

/** FNV-1a 32-bit, hex: a cheap content version. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
