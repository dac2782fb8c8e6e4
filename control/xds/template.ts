// Compile on write, fill on read. The ConfigStore translates each changed workload once, with
// placeholders for what is not config (the control plane's address as the proxy reaches it, the
// proxy's own token, the wasm digests of the running Worker), and publishes the result as an
// immutable document; serving a poll is a lookup plus a string substitution.
import type { MeshService, Registry } from "../mesh/registry/types.ts";
import type { WorkloadSnapshot } from "../mesh/snapshot.ts";
import { translate, type EdsSelector, type Json, type XdsSettings } from "./translate/index.ts";

/** Bumped whenever the translation's output changes for the same snapshot: stored documents of
 *  another version are re-translated at start-up and published under new keys. */
export const TRANSLATOR_VERSION = 1;

const P = {
  host: "@@EDGE_MESH_CP_HOST@@",
  url: "@@EDGE_MESH_CP_URL@@",
  token: "@@EDGE_MESH_TOKEN@@",
  router: "@@EDGE_MESH_SHA_ROUTER@@",
  authz: "@@EDGE_MESH_SHA_AUTHZ@@",
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
    wasm: { router: { url: wasmUrl(P.url, "router", P.router), sha256: P.router }, authz: { url: wasmUrl(P.url, "authz", P.authz), sha256: P.authz } },
    targetPorts,
    filterPollMs: FILTER_POLL_MS,
    refreshDelay: DEFAULT_REFRESH_DELAY,
  };
}

/** What the store keeps per workload: the resources of each type, and EDS selectors. */
export interface XdsDocument {
  v: number;
  listeners: Json[];
  routes: Json[];
  clusters: Json[];
  eds: Record<string, EdsSelector>;
}

export function xdsTemplate(w: WorkloadSnapshot, targetPorts: Record<string, number | string>): string {
  const { listeners, routes, clusters, eds } = translate(w, templateSettings(targetPorts));
  return JSON.stringify({ v: TRANSLATOR_VERSION, listeners, routes, clusters, eds } satisfies XdsDocument);
}

/** Every service port's target port, `<host>|<port>` → number or container port name. */
export function targetPorts(registry: Pick<Registry, "services">): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const s of registry.services as MeshService[]) for (const p of s.ports) if (p.targetPort !== p.port) out[`${s.hostname}|${p.port}`] = p.targetPort;
  return out;
}

/** The part of `targetPorts` a workload's clusters use (so its fingerprint moves when they change). */
export function relevantTargetPorts(w: WorkloadSnapshot, all: Record<string, number | string>): (number | string | null)[] {
  return w.clusters.map((c) => all[`${c.host}|${c.port}`] ?? null);
}

export interface FillValues {
  host: string;
  url: string;
  token: string;
  sha256: { router: string; authz: string };
}

const SAFE = /^[A-Za-z0-9._~:/\[\]-]*$/;

/** Substitutes the placeholders; every value is JSON-safe by construction (checked). */
export function fillTemplate(text: string, v: FillValues): string {
  for (const value of [v.host, v.url, v.token, v.sha256.router, v.sha256.authz])
    if (!SAFE.test(value)) throw new Error(`unsafe value for an xDS document: ${JSON.stringify(value)}`);
  return text
    .replaceAll(P.host, v.host)
    .replaceAll(P.url, v.url)
    .replaceAll(P.token, v.token)
    .replaceAll(P.router, v.sha256.router)
    .replaceAll(P.authz, v.sha256.authz);
}
