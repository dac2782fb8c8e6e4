// Change detection for compiled snapshots without re-serialising what proxies share: JSON and
// hashes are memoised per object identity (the compiler shares one outbound table among all
// proxies with the same view), so a write costs one serialisation per distinct part.

/** cyrb53: a fast 53-bit string hash; two seeds give ~106 bits, plenty for change detection. */
function cyrb53(s: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function hashString(s: string): string {
  return `${cyrb53(s, 1).toString(36)}.${cyrb53(s, 2).toString(36)}`;
}

export class JsonMemo {
  private readonly json = new WeakMap<object, string>();
  private readonly hashes = new WeakMap<object, string>();

  stringify(value: unknown): string {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    let s = this.json.get(value);
    if (s === undefined) {
      s = JSON.stringify(value);
      this.json.set(value, s);
    }
    return s;
  }

  hash(value: unknown): string {
    if (value === null || typeof value !== "object") return hashString(JSON.stringify(value));
    let h = this.hashes.get(value);
    if (h === undefined) {
      h = hashString(this.stringify(value));
      this.hashes.set(value, h);
    }
    return h;
  }

  /** A JSON object from named parts, each serialised once however often it is shared. */
  object(parts: [string, unknown][]): string {
    return `{${parts.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${this.stringify(v)}`).join(",")}}`;
  }
}
