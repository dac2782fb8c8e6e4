// Translate once per served version, fill on read. A workload's Envoy resources are translated
// from its served snapshot the first time a location serves that version, with placeholders for
// what is not config (the control plane's address as the proxy reaches it, the proxy's own token,
// the wasm digests of the running Worker), and kept in the isolate; serving a poll is a lookup
// plus a string substitution.
import type { MeshService, Registry } from "../mesh/registry/types.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import { translate, type EdsSelector, type Json, type XdsSettings } from "./translate/index.ts";

/** Bumped whenever the translation's output changes for the same snapshot: part of the version
 *  Envoy is told, so proxies take the new translation. */
export const TRANSLATOR_VERSION = 1;

const P = {
  host: "@@EDGE_MESH_CP_HOST@@",
  url: "@@EDGE_MESH_CP_URL@@",
  token: "@@EDGE_MESH_TOKEN@@",
  router: "@@EDGE_MESH_SHA_ROUTER@@",
  authz: "@@EDGE_MESH_SHA_AUTHZ@@",
  stats: "@@EDGE_MESH_SHA_STATS@@",
};

export const DEFAULT_REFRESH_DELAY = "5s";
export const FILTER_POLL_MS = 5000;

export function wasmUrl(base: string, name: string, sha256: string): string {
  return `${base}/filters/${name}-${sha256}.wasm`;
}

function templateSettings(targetPorts: Record<string, number | string>): XdsSettings {
  return {
    controlPlane: { host: P.host, url: P.url },
    token: P.token,
    wasm: {
      router: { url: wasmUrl(P.url, "router", P.router), sha256: P.router },
      authz: { url: wasmUrl(P.url, "authz", P.authz), sha256: P.authz },
      stats: { url: wasmUrl(P.url, "stats", P.stats), sha256: P.stats },
    },
    targetPorts,
    filterPollMs: FILTER_POLL_MS,
    refreshDelay: DEFAULT_REFRESH_DELAY,
  };
}

/** A workload's resources of each type, and EDS selectors. */
export interface XdsDocument {
  listeners: Json[];
  routes: Json[];
  clusters: Json[];
  eds: Record<string, EdsSelector>;
}

export function xdsTemplate(w: WorkloadSnapshot, targetPorts: Record<string, number | string>): XdsDocument {
  const { listeners, routes, clusters, eds } = translate(w, templateSettings(targetPorts));
  return { listeners, routes, clusters, eds };
}

/** Every service port's target port, `<host>|<port>` → number or container port name. */
export function targetPorts(registry: Pick<Registry, "services">): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const s of registry.services as MeshService[]) for (const p of s.ports) if (p.targetPort !== p.port) out[`${s.hostname}|${p.port}`] = p.targetPort;
  return out;
}

export interface FillValues {
  host: string;
  url: string;
  token: string;
  sha256: { router: string; authz: string; stats: string };
}

const SAFE = /^[A-Za-z0-9._~:/\[\]-]*$/;

/** Substitutes the placeholders; every value is JSON-safe by construction (checked). */
export function fillTemplate(text: string, v: FillValues): string {
  for (const value of [v.host, v.url, v.token, v.sha256.router, v.sha256.authz, v.sha256.stats])
    if (!SAFE.test(value)) throw new Error(`unsafe value for an xDS document: ${JSON.stringify(value)}`);
  return text
    .replaceAll(P.host, v.host)
    .replaceAll(P.url, v.url)
    .replaceAll(P.token, v.token)
    .replaceAll(P.router, v.sha256.router)
    .replaceAll(P.authz, v.sha256.authz)
    .replaceAll(P.stats, v.sha256.stats);
}
