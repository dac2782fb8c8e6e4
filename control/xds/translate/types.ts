// Shared vocabulary of the Envoy translation: type URLs, well-known names, the settings the
// translation depends on besides the snapshot, and the proto3-JSON helpers. Everything the
// translator emits is plain JSON in Envoy's proto3 JSON mapping (snake_case field names,
// `@type` Any payloads, durations as "5s"); test/xds/envoy-proto.ts checks it against Envoy's protos.
export type Json = Record<string, unknown>;

const T = "type.googleapis.com/";
export const TYPE = {
  listener: `${T}envoy.config.listener.v3.Listener`,
  route: `${T}envoy.config.route.v3.RouteConfiguration`,
  cluster: `${T}envoy.config.cluster.v3.Cluster`,
  endpoint: `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  secret: `${T}envoy.extensions.transport_sockets.tls.v3.Secret`,
  hcm: `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  tcpProxy: `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
  router: `${T}envoy.extensions.filters.http.router.v3.Router`,
  wasm: `${T}envoy.extensions.filters.http.wasm.v3.Wasm`,
  jwtAuthn: `${T}envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`,
  tlsInspector: `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`,
  originalDst: `${T}envoy.extensions.filters.listener.original_dst.v3.OriginalDst`,
  httpInspector: `${T}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector`,
  upstreamTls: `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
  downstreamTls: `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
  rawBuffer: `${T}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`,
  httpProtocolOptions: `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
  stringValue: `${T}google.protobuf.StringValue`,
} as const;

/** xDS kinds served over REST, by the last segment of `/v3/discovery:<kind>`. */
export const DISCOVERY_KINDS = { listeners: TYPE.listener, routes: TYPE.route, clusters: TYPE.cluster, endpoints: TYPE.endpoint } as const;
export type DiscoveryKind = keyof typeof DISCOVERY_KINDS;

/** The header the router wasm filter sets to pick the upstream cluster (filters/router). */
export const CLUSTER_HEADER = "x-mesh-cluster";
export const PASSTHROUGH_CLUSTER = "PassthroughCluster";
export const INBOUND_PASSTHROUGH_CLUSTER = "InboundPassthroughCluster";
export const OUTBOUND_ROUTE = "outbound";
/** File-based SDS: the cert agent writes these (see control/ca/agent.ts). */
export const CERT_DIR = "/etc/istio/proxy/certs";
export const SDS_DEFAULT = "default";
export const SDS_ROOT = "ROOTCA";
/** ALPN our mTLS clients offer, so a PERMISSIVE inbound tells mesh mTLS from an app's own TLS. */
export const MESH_ALPN = "istio";
export const TRUST_DOMAIN = "cluster.local";
/** Istio's default circuit-breaker thresholds: effectively unlimited (Envoy's 1024 bites). */
export const UNLIMITED = 4294967295;

export interface WasmModuleRef {
  /** Absolute URL Envoy fetches the module from (through the control-plane cluster). */
  url: string;
  /** Lower-case hex sha256 of the module bytes: Envoy refuses a module that does not match. */
  sha256: string;
}

/** What the translation needs besides the snapshot. All strings end up verbatim in the JSON. */
export interface XdsSettings {
  /** The control plane as Envoy reaches it: `host` is the Envoy cluster name AND the Host header
   *  (Envoy's REST xDS sends the cluster name as Host), `url` its origin (`https://host[:port]`). */
  controlPlane: { host: string; url: string };
  /** The workload token the filters present when polling their config. */
  token: string;
  wasm: { router: WasmModuleRef; authz: WasmModuleRef; stats: WasmModuleRef };
  /** Service target ports: `<host>|<port>` → the port on the pod (a number, or a container port name). */
  targetPorts: Record<string, number | string>;
  /** How often the filters poll their config, ms. */
  filterPollMs: number;
  /** REST xDS refresh_delay. */
  refreshDelay: string;
}

/** Which registered endpoints an EDS cluster gets. */
export interface EdsSelector {
  namespace: string;
  labels: Record<string, string>;
  /** The port on the pod: a number, or a named container port resolved per endpoint. */
  port: number | string;
}

/** One workload's Envoy resources (state of the world per type) + what EDS needs. */
export interface XdsResources {
  listeners: Json[];
  routes: Json[];
  clusters: Json[];
  eds: Record<string, EdsSelector>;
}

export function any(type: string, body: Json): Json {
  return { "@type": type, ...body };
}

/** Milliseconds → a proto3 JSON Duration. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

export function restConfigSource(settings: Pick<XdsSettings, "controlPlane" | "refreshDelay">): Json {
  return {
    resource_api_version: "V3",
    api_config_source: {
      api_type: "REST",
      transport_api_version: "V3",
      cluster_names: [settings.controlPlane.host],
      refresh_delay: settings.refreshDelay,
      request_timeout: "10s",
    },
  };
}

/** File-based SDS for a secret the cert agent writes (`<CERT_DIR>/<name>.json`). */
export function sdsSecret(name: string): Json {
  return {
    name,
    sds_config: {
      resource_api_version: "V3",
      path_config_source: { path: `${CERT_DIR}/${name}.json`, watched_directory: { path: CERT_DIR } },
    },
  };
}

/** A STATIC or DNS cluster's endpoints, inline. */
export function loadAssignment(cluster: string, addresses: { address: string; port: number }[]): Json {
  return { cluster_name: cluster, endpoints: [{ lb_endpoints: addresses.map((a) => ({ endpoint: { address: socketAddress(a.address, a.port) } })) }] };
}
