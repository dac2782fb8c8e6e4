// CDS: one cluster per service × port × subset (Istio's names), with the DestinationRule traffic
// policy; the inbound clusters to the app; passthrough and black-hole clusters.
import { durationMs } from "../../mesh/compile/durations.ts";
import type { ClusterSpec, InboundPort } from "../../mesh/snapshot.ts";
import { destinationRuleSocket, istioMutualSocket, rawBufferSocket } from "./tls.ts";
import {
  any,
  INBOUND_PASSTHROUGH_CLUSTER,
  loadAssignment,
  PASSTHROUGH_CLUSTER,
  restConfigSource,
  seconds,
  TYPE,
  UNLIMITED,
  type EdsSelector,
  type Json,
  type XdsSettings,
} from "./types.ts";

const CONNECT_TIMEOUT = "10s";

interface TrafficPolicy {
  loadBalancer?: { simple?: string; consistentHash?: { maglev?: unknown; ringHash?: { minimumRingSize?: number } } };
  connectionPool?: {
    tcp?: { maxConnections?: number; connectTimeout?: string; tcpKeepalive?: { probes?: number; time?: string; interval?: string }; maxConnectionDuration?: string };
    http?: {
      http1MaxPendingRequests?: number;
      http2MaxRequests?: number;
      maxRequestsPerConnection?: number;
      maxRetries?: number;
      idleTimeout?: string;
      h2UpgradePolicy?: string;
      maxConcurrentStreams?: number;
    };
  };
  outlierDetection?: {
    consecutive5xxErrors?: number;
    consecutiveGatewayErrors?: number;
    consecutiveLocalOriginFailures?: number;
    splitExternalLocalOriginErrors?: boolean;
    interval?: string;
    baseEjectionTime?: string;
    maxEjectionPercent?: number;
    minHealthPercent?: number;
  };
  tls?: Record<string, unknown> & { mode?: string };
}

const duration = (d: string | undefined) => {
  const ms = durationMs(d);
  return ms === undefined ? undefined : seconds(ms);
};

function lbPolicy(lb: TrafficPolicy["loadBalancer"]): Json {
  if (lb?.consistentHash) {
    if (lb.consistentHash.maglev !== undefined) return { lb_policy: "MAGLEV" };
    const min = lb.consistentHash.ringHash?.minimumRingSize;
    return { lb_policy: "RING_HASH", ...(min ? { ring_hash_lb_config: { minimum_ring_size: min } } : {}) };
  }
  switch (lb?.simple) {
    case "ROUND_ROBIN":
      return { lb_policy: "ROUND_ROBIN" };
    case "RANDOM":
      return { lb_policy: "RANDOM" };
    default:
      // Istio's default since 1.14 (LEAST_CONN is its old name).
      return { lb_policy: "LEAST_REQUEST" };
  }
}

function circuitBreakers(pool: TrafficPolicy["connectionPool"]): Json {
  return {
    thresholds: [
      {
        max_connections: pool?.tcp?.maxConnections ?? UNLIMITED,
        max_pending_requests: pool?.http?.http1MaxPendingRequests ?? UNLIMITED,
        max_requests: pool?.http?.http2MaxRequests ?? UNLIMITED,
        max_retries: pool?.http?.maxRetries ?? UNLIMITED,
        track_remaining: true,
      },
    ],
  };
}

/** Upstream HTTP: the downstream's protocol (h2 when the client speaks h2), Istio's pool limits. */
function httpProtocolOptions(pool: TrafficPolicy["connectionPool"]): Json {
  const common: Json = {};
  const idle = duration(pool?.http?.idleTimeout);
  if (idle) common.idle_timeout = idle;
  if (pool?.http?.maxRequestsPerConnection) common.max_requests_per_connection = pool.http.maxRequestsPerConnection;
  const maxDuration = duration(pool?.tcp?.maxConnectionDuration);
  if (maxDuration) common.max_connection_duration = maxDuration;
  const h2: Json = pool?.http?.maxConcurrentStreams ? { max_concurrent_streams: pool.http.maxConcurrentStreams } : {};
  const protocol =
    pool?.http?.h2UpgradePolicy === "UPGRADE"
      ? { explicit_http_config: { http2_protocol_options: h2 } }
      : { use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: h2 } };
  return {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": any(TYPE.httpProtocolOptions, {
      ...(Object.keys(common).length ? { common_http_protocol_options: common } : {}),
      ...protocol,
    }),
  };
}

function outlierDetection(o: TrafficPolicy["outlierDetection"]): Json | undefined {
  if (!o) return undefined;
  const out: Json = { enforcing_success_rate: 0 };
  if (o.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = o.consecutive5xxErrors;
    out.enforcing_consecutive_5xx = o.consecutive5xxErrors > 0 ? 100 : 0;
  } else out.enforcing_consecutive_5xx = 0;
  if (o.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = o.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = o.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (o.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (o.consecutiveLocalOriginFailures !== undefined) out.consecutive_local_origin_failure = o.consecutiveLocalOriginFailures;
  }
  const interval = duration(o.interval);
  if (interval) out.interval = interval;
  const base = duration(o.baseEjectionTime);
  if (base) out.base_ejection_time = base;
  if (o.maxEjectionPercent !== undefined) out.max_ejection_percent = o.maxEjectionPercent;
  return out;
}

function keepalive(k: NonNullable<NonNullable<TrafficPolicy["connectionPool"]>["tcp"]>["tcpKeepalive"]): Json | undefined {
  if (!k) return undefined;
  const secs = (d: string | undefined) => (d === undefined ? undefined : Math.max(1, Math.round((durationMs(d) ?? 0) / 1000)));
  const out: Json = {};
  if (k.probes !== undefined) out.keepalive_probes = k.probes;
  if (k.time !== undefined) out.keepalive_time = secs(k.time);
  if (k.interval !== undefined) out.keepalive_interval = secs(k.interval);
  return { tcp_keepalive: out };
}

/** Istio's SNI for mesh mTLS to a cluster: `outbound_.<port>_.<subset>_.<host>`. */
export function istioSni(spec: Pick<ClusterSpec, "port" | "subset" | "host">): string {
  return `outbound_.${spec.port}_.${spec.subset}_.${spec.host}`;
}

export function targetPortOf(spec: ClusterSpec, settings: XdsSettings): number | string {
  return settings.targetPorts[`${spec.host}|${spec.port}`] ?? spec.port;
}

/** An outbound cluster, and (EDS clusters) which endpoints it gets. */
export function outboundCluster(spec: ClusterSpec, settings: XdsSettings): { cluster: Json; eds?: EdsSelector } {
  const policy = (spec.trafficPolicy ?? {}) as TrafficPolicy;
  const passthrough = policy.loadBalancer?.simple === "PASSTHROUGH";
  const cluster: Json = { name: spec.name };
  let eds: EdsSelector | undefined;
  if (passthrough) Object.assign(cluster, { type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED" });
  else if (spec.endpoints.kind === "workloads") {
    Object.assign(cluster, { type: "EDS", eds_cluster_config: { service_name: spec.name, eds_config: restConfigSource(settings) } });
    eds = { namespace: spec.endpoints.namespace, labels: spec.endpoints.labels, port: targetPortOf(spec, settings) };
  } else if (spec.endpoints.kind === "static") Object.assign(cluster, { type: "STATIC", load_assignment: loadAssignment(spec.name, spec.endpoints.addresses) });
  else Object.assign(cluster, { type: "STRICT_DNS", dns_lookup_family: "V4_ONLY", load_assignment: loadAssignment(spec.name, [spec.endpoints]) });
  cluster.connect_timeout = duration(policy.connectionPool?.tcp?.connectTimeout) ?? CONNECT_TIMEOUT;
  if (!passthrough) Object.assign(cluster, lbPolicy(policy.loadBalancer));
  cluster.circuit_breakers = circuitBreakers(policy.connectionPool);
  cluster.typed_extension_protocol_options = httpProtocolOptions(policy.connectionPool);
  const outlier = outlierDetection(policy.outlierDetection);
  if (outlier) cluster.outlier_detection = outlier;
  const minHealth = policy.outlierDetection?.minHealthPercent;
  if (minHealth !== undefined) cluster.common_lb_config = { healthy_panic_threshold: { value: minHealth } };
  const ka = keepalive(policy.connectionPool?.tcp?.tcpKeepalive);
  if (ka) cluster.upstream_connection_options = ka;
  const socket = destinationRuleSocket(policy.tls as never, istioSni(spec), spec.host);
  if (socket) cluster.transport_socket = socket;
  else if (spec.endpoints.kind === "workloads" && policy.tls?.mode !== "DISABLE") {
    // Istio's auto mTLS: endpoints whose proxy has a mesh certificate (EDS metadata tlsMode=istio) get mTLS.
    cluster.transport_socket_matches = [
      { name: "tlsMode-istio", match: { tlsMode: "istio" }, transport_socket: istioMutualSocket(istioSni(spec)) },
      { name: "tlsMode-disabled", match: {}, transport_socket: rawBufferSocket() },
    ];
  }
  return { cluster, eds };
}

/** `inbound|<port>||`: to the app on localhost. */
export function inboundCluster(port: InboundPort): Json {
  return {
    name: port.cluster,
    type: "STATIC",
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: "ROUND_ROBIN",
    circuit_breakers: circuitBreakers(undefined),
    load_assignment: loadAssignment(port.cluster, [{ address: "127.0.0.1", port: port.port }]),
    ...(port.services.length ? { metadata: inboundClusterMetadata(port) } : {}),
  };
}

/**
 * The inbound cluster's metadata as Istio's cluster builder writes it: the Services that select
 * the workload on the port under filter_metadata.istio.services. The name of an inbound cluster
 * (`inbound|9080||`) names no service, so the stats filter reads the destination service from
 * here (xds.cluster_metadata.filter_metadata.istio.services.0.host / .name, as istio/proxy does).
 */
export function inboundClusterMetadata(port: InboundPort): { filter_metadata: { istio: { services: { host: string; name: string; namespace: string }[] } } } {
  return { filter_metadata: { istio: { services: port.services.map((s) => ({ host: s.host, name: s.name, namespace: s.namespace })) } } };
}

/** Where traffic to unknown destinations goes (Istio's ALLOW_ANY), and the inbound fallback. */
export function passthroughClusters(sidecar: boolean): Json[] {
  const original = (name: string, extra: Json = {}) => ({
    name,
    type: "ORIGINAL_DST",
    connect_timeout: CONNECT_TIMEOUT,
    lb_policy: "CLUSTER_PROVIDED",
    circuit_breakers: circuitBreakers(undefined),
    ...extra,
  });
  const blackHole = { name: "BlackHoleCluster", type: "STATIC", connect_timeout: CONNECT_TIMEOUT };
  if (!sidecar) return [blackHole];
  return [
    blackHole,
    original(PASSTHROUGH_CLUSTER),
    // 127.0.0.6: Istio's source for inbound passthrough, so the capture rules let it reach the app.
    original(INBOUND_PASSTHROUGH_CLUSTER, { upstream_bind_config: { source_address: { address: "127.0.0.6", port_value: 0 } } }),
  ];
}
