// A number the Durable Object owns (the published config revision, the endpoints version), read
// at most once per TTL per location (Cache API) and per isolate: the Durable Object sees about one
// read per location per TTL, not one per proxy poll.
import { Expiring } from "../xds/memo.ts";

export class LocationPointer {
  private readonly memo: Expiring<number>;

  constructor(
    private readonly url: string,
    private readonly ttlMs: number,
  ) {
    this.memo = new Expiring(ttlMs);
  }

  get(load: () => Promise<number>): Promise<number> {
    return this.memo.get(async () => {
      const cache = (caches as unknown as { default: Cache }).default;
      const hit = this.ttlMs > 0 ? await cache.match(this.url) : undefined;
      if (hit) return ((await hit.json()) as { value: number }).value;
      const value = await load();
      if (this.ttlMs > 0)
        await cache.put(this.url, new Response(JSON.stringify({ value }), { headers: { "cache-control": `max-age=${this.ttlMs / 1000}`, "content-type": "application/json" } }));
      return value;
    });
  }
}
