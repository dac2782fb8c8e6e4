// The read path's sources on Workers: the Durable Object's pointer through the Cache API (a few
// seconds per location), immutable KV keys, and the Durable Object itself on a miss.
import type { Env } from "../env.ts";
import type { ConfigStore } from "../store/config-store.ts";
import type { WorkloadIndex } from "../store/workload-state.ts";
import { xdsKey } from "../store/publish.ts";
import type { ReadPathSources, ServedWorkload } from "./read-path.ts";

const POINTER_URL = "https://edge-mesh.internal/pointer";
const DEFAULT_POINTER_TTL_SECONDS = 5;

interface StoreReads {
  pointer(): Promise<{ revision: number }>;
  workload(key: string): Promise<ServedWorkload | null>;
}

function store(env: Env): StoreReads {
  return env.CONFIG_STORE.get(env.CONFIG_STORE.idFromName("mesh")) as unknown as StoreReads & DurableObjectStub<ConfigStore>;
}

export function workerSources(env: Env): ReadPathSources {
  const ttl = Number(env.MESH_POINTER_TTL_SECONDS ?? DEFAULT_POINTER_TTL_SECONDS);
  return {
    async pointer() {
      const cache = (caches as unknown as { default: Cache }).default;
      const hit = await cache.match(POINTER_URL);
      if (hit) return ((await hit.json()) as { revision: number }).revision;
      const { revision } = await store(env).pointer();
      if (ttl > 0)
        await cache.put(POINTER_URL, new Response(JSON.stringify({ revision }), { headers: { "cache-control": `max-age=${ttl}`, "content-type": "application/json" } }));
      return revision;
    },
    // Immutable keys: let the edge cache them for long.
    index: (revision) => env.MESH_KV.get<WorkloadIndex>(`index/${revision}`, { type: "json", cacheTtl: 3600 }),
    document: (kind, revision, workload) =>
      env.MESH_KV.get(kind === "xds" ? xdsKey(revision, workload) : `${kind}/${revision}/${workload}`, { type: "text", cacheTtl: 3600 }),
    authoritative: (workload) => store(env).workload(workload),
  };
}
