// Where EDS reads from on Workers: the endpoint registry's published version (through the Cache
// API and the isolate, like the config pointer), its immutable KV document, the Durable Object
// on a miss.
import type { Env } from "../env.ts";
import { pointerTtlMs, storeStub } from "../proxy/sources.ts";
import { Expiring, Lru } from "./memo.ts";
import type { RegisteredEndpoint } from "./translate/endpoints.ts";

export { storeStub };

const ENDPOINTS_POINTER_URL = "https://edge-mesh.internal/endpoints-pointer";

// Per isolate.
let endpointsPointer: Expiring<number> | undefined;
const endpointLists = new Lru<number, RegisteredEndpoint[]>(2);

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
