// Upstream clusters, named as Istio names them so operators recognise them:
// `outbound|<port>|<subset>|<host>` and `inbound|<port>||`.
import type { MeshService } from "../registry/types.ts";
import type { ClusterSpec } from "../snapshot.ts";
import { portTrafficPolicy, subsetTrafficPolicy, type ResolvedDestinationRule, type Subset } from "./destination-rules.ts";

export function outboundCluster(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

export function inboundCluster(port: number): string {
  return `inbound|${port}||`;
}

/** The cluster whose traffic leaves the mesh unrouted (Istio's ALLOW_ANY). */
export const PASSTHROUGH_CLUSTER = "PassthroughCluster";

function endpointsOf(service: MeshService, port: number, subset?: Subset): ClusterSpec["endpoints"] {
  if (service.kind === "ServiceEntry" && service.resolution === "DNS" && !service.staticEndpoints?.length)
    return { kind: "dns", address: service.hostname, port };
  if (service.kind === "ServiceEntry" && service.staticEndpoints?.length)
    return {
      kind: "static",
      addresses: service.staticEndpoints
        .filter((e) => !subset?.labels || Object.entries(subset.labels).every(([k, v]) => e.labels?.[k] === v))
        .map((e) => ({ address: e.address, port: e.ports?.[service.ports.find((p) => p.port === port)?.name ?? ""] ?? port })),
    };
  // The whole service's cluster shares the selector object; a subset's adds its labels to a copy.
  const labels = subset?.labels ? { ...service.selector, ...subset.labels } : (service.selector ?? {});
  return { kind: "workloads", namespace: service.namespace, labels };
}

function cluster(service: MeshService, port: number, dr: ResolvedDestinationRule | undefined, subset: Subset | undefined, policy: Record<string, unknown> | undefined): ClusterSpec {
  const name = subset?.name ?? "";
  const spec: ClusterSpec = { name: outboundCluster(port, name, service.hostname), host: service.hostname, port, subset: name, endpoints: endpointsOf(service, port, subset) };
  if (policy) spec.trafficPolicy = policy;
  if (dr) spec.destinationRule = dr.origin;
  return spec;
}

/** The clusters for one port of a service: the whole service, plus one per subset of its DestinationRule. */
export function serviceClusters(service: MeshService, port: number, dr: ResolvedDestinationRule | undefined): ClusterSpec[] {
  const portPolicy = dr && portTrafficPolicy(dr, port);
  const clusters = [cluster(service, port, dr, undefined, portPolicy)];
  for (const subset of dr?.spec.subsets ?? []) clusters.push(cluster(service, port, dr, subset, subsetTrafficPolicy(portPolicy, subset, port)));
  return clusters;
}
