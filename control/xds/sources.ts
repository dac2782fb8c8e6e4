// Where EDS reads from on Workers: the endpoint registry's published version (through the Cache
// API and the isolate, like the config pointer), its immutable KV document, the Durable Object
// on a miss.
import type { Env } from "../env.ts";
import { pointerTtlMs, storeStub } from "../proxy/sources.ts";
import { LocationPointer } from "../proxy/location-pointer.ts";
import { Lru } from "./memo.ts";
import type { RegisteredEndpoint } from "./translate/endpoints.ts";

export { storeStub };

const ENDPOINTS_POINTER_URL = "https://edge-mesh.internal/endpoints-version";

// Per isolate.
let endpointsPointer: LocationPointer | undefined;
const endpointLists = new Lru<number, RegisteredEndpoint[]>(2);

/** The registered endpoints as of the newest published version (this location's view). */
export async function currentEndpoints(env: Env): Promise<{ version: number; endpoints: RegisteredEndpoint[] }> {
  endpointsPointer ??= new LocationPointer(ENDPOINTS_POINTER_URL, pointerTtlMs(env));
  const version = await endpointsPointer.get(async () => (await storeStub(env).endpointsPointer()).version);
  const hit = endpointLists.get(version);
  if (hit) return { version, endpoints: hit };
  const stored = version > 0 ? await env.MESH_KV.get<RegisteredEndpoint[]>(`endpoints/${version}`, { type: "json", cacheTtl: 3600 }) : [];
  if (stored) return { version, endpoints: endpointLists.set(version, stored) };
  // Not replicated here yet: the registry itself (possibly newer, never older).
  const now = await storeStub(env).endpointsNow();
  return { version: now.version, endpoints: now.endpoints };
}
