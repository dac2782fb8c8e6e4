// Upstream clusters, named as Istio names them so operators recognise them:
// `outbound|<port>|<subset>|<host>` and `inbound|<port>||`.
import type { MeshService } from "../registry/types.ts";
import type { ClusterSpec } from "../snapshot.ts";
import { clusterTrafficPolicy, type ResolvedDestinationRule, type Subset } from "./destination-rules.ts";

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
  return { kind: "workloads", namespace: service.namespace, labels: { ...(service.selector ?? {}), ...(subset?.labels ?? {}) } };
}

/** The clusters for one port of a service: the whole service, plus one per subset of its DestinationRule. */
export function serviceClusters(service: MeshService, port: number, dr: ResolvedDestinationRule | undefined): ClusterSpec[] {
  const cluster = (subset?: Subset): ClusterSpec => {
    const spec: ClusterSpec = {
      name: outboundCluster(port, subset?.name ?? "", service.hostname),
      host: service.hostname,
      port,
      subset: subset?.name ?? "",
      endpoints: endpointsOf(service, port, subset),
    };
    const policy = dr && clusterTrafficPolicy(dr, port, subset);
    if (policy) spec.trafficPolicy = policy;
    if (dr) spec.destinationRule = dr.origin;
    return spec;
  };
  return [cluster(), ...(dr?.spec.subsets ?? []).map(cluster)];
}
