// EDS: a cluster's endpoints are the registered, live pods of its namespace whose labels include
// the cluster's selector (service selector AND subset labels), on the service's target port.
// Pods whose proxy holds a mesh certificate are marked tlsMode=istio (auto mTLS picks that up).
import type { EdsSelector, Json } from "./types.ts";
import { socketAddress } from "./types.ts";

export interface RegisteredEndpoint {
  namespace: string;
  workload: string;
  /** The workload's service account when the pod registered: who owns the registration. */
  serviceAccount: string;
  pod: string;
  ip: string;
  /** Container ports by name (to resolve named target ports). */
  ports: Record<string, number>;
  labels: Record<string, string>;
  /** The proxy has a mesh certificate (it accepts mesh mTLS). */
  mtls: boolean;
}

function portOf(e: RegisteredEndpoint, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  return /^\d+$/.test(port) ? Number(port) : e.ports[port];
}

export function endpointsFor(cluster: string, selector: EdsSelector | undefined, registered: readonly RegisteredEndpoint[]): Json {
  const lb: Json[] = [];
  if (selector) {
    for (const e of registered) {
      if (e.namespace !== selector.namespace) continue;
      if (!Object.entries(selector.labels).every(([k, v]) => e.labels[k] === v)) continue;
      const port = portOf(e, selector.port);
      if (port === undefined) continue;
      lb.push({
        endpoint: { address: socketAddress(e.ip, port), hostname: e.pod },
        health_status: "HEALTHY",
        metadata: { filter_metadata: { "envoy.transport_socket_match": { tlsMode: e.mtls ? "istio" : "disabled" } } },
      });
    }
  }
  lb.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { cluster_name: cluster, endpoints: lb.length ? [{ lb_endpoints: lb }] : [] };
}
