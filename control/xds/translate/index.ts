// The Envoy translation: a pure function from one workload's compiled snapshot (and the settings
// that are not config: the control plane's address, the token, the wasm digests) to its xDS
// resources. Run on write by the ConfigStore (with placeholder settings, substituted when served)
// and directly by tests.
import type { WorkloadSnapshot } from "../../mesh/snapshot.ts";
import { inboundCluster, outboundCluster, passthroughClusters } from "./clusters.ts";
import { jwksClusters } from "./http-filters.ts";
import { gatewayListeners, inboundListener, outboundListener, outboundRoute } from "./listeners.ts";
import type { EdsSelector, Json, XdsResources, XdsSettings } from "./types.ts";

export * from "./types.ts";
export { endpointsFor, type RegisteredEndpoint } from "./endpoints.ts";

const byName = (a: Json, b: Json) => String(a.name).localeCompare(String(b.name));

export function translate(w: WorkloadSnapshot, settings: XdsSettings): XdsResources {
  const sidecar = w.workload.kind === "sidecar";
  const eds: Record<string, EdsSelector> = {};
  const clusters: Json[] = [];
  for (const spec of w.clusters) {
    const { cluster, eds: selector } = outboundCluster(spec, settings);
    clusters.push(cluster);
    if (selector) eds[spec.name] = selector;
  }
  if (sidecar) clusters.push(...w.inbound.map(inboundCluster));
  clusters.push(...passthroughClusters(sidecar), ...jwksClusters(w.authz.jwt));
  let listeners: Json[];
  let routes: Json[];
  if (sidecar) {
    listeners = [inboundListener(w, settings), outboundListener(w, settings)];
    routes = [outboundRoute()];
  } else ({ listeners, routes } = gatewayListeners(w, settings));
  return { listeners, routes, clusters: dedupe(clusters).sort(byName), eds };
}

/** Clusters by name, first wins (two specs never share a name; jwks clusters may repeat). */
function dedupe(clusters: Json[]): Json[] {
  const seen = new Map<string, Json>();
  for (const c of clusters) if (!seen.has(String(c.name))) seen.set(String(c.name), c);
  return [...seen.values()];
}
