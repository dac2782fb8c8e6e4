// The read path's sources on Workers: the Durable Object's pointer through the Cache API (a few
// seconds per location) and in the isolate, immutable KV keys (kept in the isolate once read:
// Workers reuse an isolate for many requests, so a part shared by a thousand proxies is fetched
// and parsed once), and the Durable Object itself on a miss.
import type { Env } from "../env.ts";
import type { PartText } from "../served/assemble.ts";
import { levelsOf, openChunks, routerJson, viewChunks, viewParts } from "../served/assemble.ts";
import { kvKeys, type ServedIndex, type ViewIndex, type ViewParts, type WorkloadEntry } from "../served/model.ts";
import type { ConfigStore } from "../store/config-store.ts";
import { Lru } from "../xds/memo.ts";
import { LocationPointer } from "./location-pointer.ts";
import type { ReadPathSources } from "./read-path.ts";

const POINTER_URL = "https://edge-mesh.internal/published-revision";
const DEFAULT_POINTER_TTL_SECONDS = 5;
/** KV's own edge cache for immutable keys. */
const KV_CACHE_TTL = 3600;
/** KV's bulk get takes at most 100 keys. */
const KV_BATCH = 100;

export function storeStub(env: Env): DurableObjectStub<ConfigStore> {
  return env.CONFIG_STORE.get(env.CONFIG_STORE.idFromName("mesh"));
}

export const pointerTtlMs = (env: Env) => Number(env.MESH_POINTER_TTL_SECONDS ?? DEFAULT_POINTER_TTL_SECONDS) * 1000;

// Per isolate, bounded by size where a value grows with the mesh (an isolate has 128 MB; a part
// is ~0.5 KB, a 5,000-service view's router table ~4 MB).
const MB = 1 << 20;
/** A view in memory: its hash strings (~22 characters) and their slots. */
const viewWeight = (v: ViewParts) => 64 * (v.clusters.length + v.router.reduce((n, [, hosts]) => n + hosts.length, 0));
let pointer: LocationPointer | undefined;
const indexes = new Lru<number, ServedIndex>(4);
const shards = new Lru<string, Record<string, WorkloadEntry>>(256);
const parts = new Lru<string, string>(24 * MB, (text) => text.length);
const views = new Lru<string, ViewParts>(8 * MB, viewWeight);
const routers = new Lru<string, string>(8 * MB, (text) => text.length);

export function workerSources(env: Env): ReadPathSources {
  pointer ??= new LocationPointer(POINTER_URL, pointerTtlMs(env));
  const kvText = (key: string) => env.MESH_KV.get(key, { type: "text", cacheTtl: KV_CACHE_TTL });
  const fetchParts = async (hashes: string[]): Promise<PartText | null> => {
    const local = new Map<string, string>();
    const missing: string[] = [];
    for (const h of hashes) {
      const text = parts.get(h);
      if (text !== undefined) local.set(h, text);
      else missing.push(h);
    }
    for (let i = 0; i < missing.length; i += KV_BATCH) {
      const batch = missing.slice(i, i + KV_BATCH);
      const got = await env.MESH_KV.get(batch.map(kvKeys.part), { type: "text", cacheTtl: KV_CACHE_TTL });
      for (const h of batch) {
        const text = got.get(kvKeys.part(h));
        if (text === null || text === undefined) return null;
        local.set(h, parts.set(h, text));
      }
    }
    return (h) => local.get(h)!;
  };
  return {
    pointer: () => pointer!.get(async () => (await storeStub(env).pointer()).revision),
    async index(revision) {
      if (revision === 0) return null;
      const hit = indexes.get(revision);
      if (hit) return hit;
      const text = await kvText(kvKeys.index(revision));
      return text === null ? null : indexes.set(revision, JSON.parse(text) as ServedIndex);
    },
    async shard(n, revision) {
      const key = kvKeys.shard(n, revision);
      const hit = shards.get(key);
      if (hit) return hit;
      const text = await kvText(key);
      return text === null ? null : shards.set(key, JSON.parse(text) as Record<string, WorkloadEntry>);
    },
    parts: fetchParts,
    async view(hash) {
      const hit = views.get(hash);
      if (hit) return hit;
      const top = await fetchParts([hash]);
      if (!top) return null;
      // One bulk read per chunk level (two at 5,000 services).
      let index = JSON.parse(top(hash)) as ViewIndex;
      while (levelsOf(index) > 0) {
        const chunks = await fetchParts(viewChunks(index));
        if (!chunks) return null;
        index = openChunks(index, chunks);
      }
      return views.set(hash, viewParts(index));
    },
    router: (hash, view, part) => routers.get(hash) ?? routers.set(hash, routerJson(view, part)),
    authoritative: (workload) => storeStub(env).workload(workload),
  };
}
