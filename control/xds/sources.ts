// Where xDS reads from on Workers: the proxy read path's sources (pointer through the Cache API,
// immutable KV documents, the Durable Object on a miss), with the immutable parts and the
// pointer also kept in the isolate; and the endpoint registry's published versions, the same way.
import type { Env } from "../env.ts";
import type { ReadPathSources } from "../proxy/read-path.ts";
import { workerSources } from "../proxy/sources.ts";
import type { ConfigStore } from "../store/config-store.ts";
import type { WorkloadIndex } from "../store/workload-state.ts";
import { Expiring, Lru } from "./memo.ts";
import type { RegisteredEndpoint } from "./translate/endpoints.ts";

const DEFAULT_POINTER_TTL_SECONDS = 5;
const ENDPOINTS_POINTER_URL = "https://edge-mesh.internal/endpoints-pointer";

export function storeStub(env: Env): DurableObjectStub<ConfigStore> {
  return env.CONFIG_STORE.get(env.CONFIG_STORE.idFromName("mesh"));
}

const pointerTtlMs = (env: Env) => Number(env.MESH_POINTER_TTL_SECONDS ?? DEFAULT_POINTER_TTL_SECONDS) * 1000;

// Per isolate. The pointer memo lives as long as the Cache API entry would.
let configPointer: Expiring<number> | undefined;
const indexes = new Lru<number, WorkloadIndex>(4);
let endpointsPointer: Expiring<number> | undefined;
const endpointLists = new Lru<number, RegisteredEndpoint[]>(2);

export function xdsSources(env: Env): ReadPathSources {
  const base = workerSources(env);
  configPointer ??= new Expiring(pointerTtlMs(env));
  return {
    pointer: () => configPointer!.get(() => base.pointer()),
    async index(revision) {
      const hit = indexes.get(revision);
      if (hit) return hit;
      const index = await base.index(revision);
      return index ? indexes.set(revision, index) : null;
    },
    document: base.document,
    authoritative: base.authoritative,
  };
}

/** The registered endpoints as of the newest published version (this location's view). */
export async function currentEndpoints(env: Env): Promise<{ version: number; endpoints: RegisteredEndpoint[] }> {
  const ttl = pointerTtlMs(env);
  endpointsPointer ??= new Expiring(ttl);
  const version = await endpointsPointer.get(async () => {
    const cache = (caches as unknown as { default: Cache }).default;
    const hit = ttl > 0 ? await cache.match(ENDPOINTS_POINTER_URL) : undefined;
    if (hit) return ((await hit.json()) as { version: number }).version;
    const { version } = await storeStub(env).endpointsPointer();
    if (ttl > 0)
      await cache.put(ENDPOINTS_POINTER_URL, new Response(JSON.stringify({ version }), { headers: { "cache-control": `max-age=${ttl / 1000}`, "content-type": "application/json" } }));
    return version;
  });
  const hit = endpointLists.get(version);
  if (hit) return { version, endpoints: hit };
  const stored = version > 0 ? await env.MESH_KV.get<RegisteredEndpoint[]>(`endpoints/${version}`, { type: "json", cacheTtl: 3600 }) : [];
  if (stored) return { version, endpoints: endpointLists.set(version, stored) };
  // Not replicated here yet: the registry itself (possibly newer, never older).
  const now = await storeStub(env).endpointsNow();
  return { version: now.version, endpoints: now.endpoints };
}
