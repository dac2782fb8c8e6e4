// Small per-isolate caches. Workers reuse an isolate for many requests, so immutable documents
// (keyed by revision) are parsed once, not once per proxy poll.
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  /**
   * Keeps at most `max` entries or, with `weigh`, at most `max` in total weight: an isolate has
   * 128 MB, and at 5,000 services one proxy's document is several MB, so a cache of documents counts
   * their size, not how many there are. A value heavier than `max` is returned, not kept.
   */
  constructor(
    private readonly max: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e?.value;
  }

  set(key: K, value: V): V {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.max) return value;
    this.map.set(key, { value, weight });
    this.total += weight;
    for (const [oldest, e] of this.map) {
      if (this.total <= this.max) break;
      this.map.delete(oldest);
      this.total -= e.weight;
    }
    return value;
  }

  delete(key: K): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.total -= e.weight;
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
