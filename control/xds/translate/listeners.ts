// LDS and RDS: the sidecar's inbound (15006, one filter chain set per port and PeerAuthentication
// mode) and outbound (15001, the router filter picks the cluster) listeners, and a gateway's
// listeners. Routing decisions are the router wasm filter's: Envoy's route only forwards to the
// cluster named in its header (or, outbound, passes unknown destinations through).
import { INBOUND_CAPTURE_PORT, OUTBOUND_CAPTURE_PORT } from "../../../admission/ports.ts";
import type { GatewayListener, InboundPort, PeerAuthMode, WorkloadSnapshot } from "../../mesh/snapshot.ts";
import { jwtAuthnFilter, pluginConfig, routerFilter, statsFilter, wasmFilter } from "./http-filters.ts";
import { terminatingTlsSocket } from "./gateway-tls.ts";
import { inboundMtlsSocket } from "./tls.ts";
import {
  any,
  CLUSTER_HEADER,
  INBOUND_PASSTHROUGH_CLUSTER,
  MESH_ALPN,
  OUTBOUND_ROUTE,
  PASSTHROUGH_CLUSTER,
  restConfigSource,
  socketAddress,
  TYPE,
  type Json,
  type XdsSettings,
} from "./types.ts";

const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC", "GRPC-WEB"]);

const listenerFilter = (name: string, type: string) => ({ name, typed_config: any(type, {}) });

/** Route to the cluster the router filter chose; `fallback` when it chose none. */
function clusterHeaderRoutes(fallback: Json): Json[] {
  return [
    {
      name: "mesh",
      match: { prefix: "/", headers: [{ name: CLUSTER_HEADER, present_match: true }] },
      // Timeouts and retries come per request from the router filter's x-envoy-* headers.
      route: { cluster_header: CLUSTER_HEADER, timeout: "0s" },
    },
    { name: "fallback", match: { prefix: "/" }, ...fallback },
  ];
}

export function outboundRoute(): Json {
  return {
    name: OUTBOUND_ROUTE,
    validate_clusters: false,
    virtual_hosts: [{ name: "allow_any", domains: ["*"], routes: clusterHeaderRoutes({ route: { cluster: PASSTHROUGH_CLUSTER, timeout: "0s" } }) }],
  };
}

export function gatewayRouteName(port: number): string {
  return `http.${port}`;
}

export function gatewayRoute(port: number): Json {
  return {
    name: gatewayRouteName(port),
    validate_clusters: false,
    virtual_hosts: [{ name: `gateway|${port}`, domains: ["*"], routes: clusterHeaderRoutes({ direct_response: { status: 404 } }) }],
  };
}

interface HcmOptions {
  statPrefix: string;
  filters: Json[];
  routeConfig?: Json;
  rds?: string;
  gateway?: boolean;
  mtls?: boolean;
}

function hcm(o: HcmOptions, settings: XdsSettings): Json {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: any(TYPE.hcm, {
      stat_prefix: o.statPrefix,
      ...(o.rds ? { rds: { route_config_name: o.rds, config_source: restConfigSource(settings) } } : { route_config: o.routeConfig }),
      http_filters: o.filters,
      normalize_path: true,
      path_with_escaped_slashes_action: "KEEP_UNCHANGED",
      use_remote_address: o.gateway === true,
      upgrade_configs: [{ upgrade_type: "websocket" }],
      ...(o.mtls ? { forward_client_cert_details: "APPEND_FORWARD", set_current_client_cert_details: { subject: true, uri: true, dns: true } } : {}),
    }),
  };
}

function tcpProxy(statPrefix: string, cluster: string): Json {
  return { name: "envoy.filters.network.tcp_proxy", typed_config: any(TYPE.tcpProxy, { stat_prefix: statPrefix, cluster }) };
}

/**
 * The HTTP filters of a chain. Where traffic arrives (a sidecar's inbound ports, a gateway's
 * listeners): jwt_authn and authz decide who may call. Where it is routed (a sidecar's outbound
 * listener, a gateway's listeners): our router picks the cluster — and applies VirtualService
 * faults itself (it pauses or answers the stream), so Envoy's fault filter is not needed.
 * Outbound traffic is never checked by authz: PeerAuthentication and AuthorizationPolicy are
 * about the destination, and a STRICT workload must still be able to call out.
 */
function httpFilters(w: WorkloadSnapshot, settings: XdsSettings, stages: { authz: boolean; router: boolean }): Json[] {
  const config = pluginConfig(w.workload, settings);
  const jwt = stages.authz ? jwtAuthnFilter(w.authz.jwt) : undefined;
  // Routed traffic (a sidecar's outbound, a gateway) is reported by its source, a sidecar's
  // inbound by its destination.
  return [
    statsFilter(stages.router ? "outbound" : "inbound", settings),
    ...(jwt ? [jwt] : []),
    ...(stages.authz ? [wasmFilter("authz", settings.wasm.authz, config, settings)] : []),
    ...(stages.router ? [wasmFilter("router", settings.wasm.router, config, settings)] : []),
    routerFilter(),
  ];
}

function inboundRouteConfig(port: InboundPort): Json {
  return {
    name: port.cluster,
    validate_clusters: false,
    virtual_hosts: [{ name: `inbound|http|${port.port}`, domains: ["*"], routes: [{ name: "default", match: { prefix: "/" }, route: { cluster: port.cluster, timeout: "0s" } }] }],
  };
}

/** The filter chains of one inbound port (or, `port` undefined, every other port) for a mode. */
function inboundChains(mode: PeerAuthMode, port: InboundPort | undefined, portNumber: number | undefined, w: WorkloadSnapshot, settings: XdsSettings): Json[] {
  const label = portNumber === undefined ? "passthrough" : String(portNumber);
  const http = port !== undefined && HTTP_PROTOCOLS.has(port.protocol.toUpperCase());
  const terminal = (mtls: boolean) =>
    http
      ? hcm({ statPrefix: `inbound_${label}`, filters: httpFilters(w, settings, { authz: true, router: false }), routeConfig: inboundRouteConfig(port!), mtls }, settings)
      : tcpProxy(`inbound_${label}`, port?.cluster ?? INBOUND_PASSTHROUGH_CLUSTER);
  const match = (extra: Json) => ({ ...(portNumber === undefined ? {} : { destination_port: portNumber }), ...extra });
  const mtlsChain = (extra: Json) => ({
    name: `inbound|${label}|mtls`,
    filter_chain_match: match({ transport_protocol: "tls", ...extra }),
    transport_socket: inboundMtlsSocket(),
    filters: [terminal(true)],
  });
  const plainChain = (extra: Json) => ({ name: `inbound|${label}|plaintext`, filter_chain_match: match(extra), filters: [terminal(false)] });
  switch (mode) {
    case "STRICT":
      return [mtlsChain({})];
    case "DISABLE":
      return [plainChain({})];
    case "PERMISSIVE":
      return [
        mtlsChain({ application_protocols: [MESH_ALPN] }),
        // The app's own TLS (not mesh mTLS) passes through untouched.
        { name: `inbound|${label}|tls`, filter_chain_match: match({ transport_protocol: "tls" }), filters: [tcpProxy(`inbound_${label}_tls`, port?.cluster ?? INBOUND_PASSTHROUGH_CLUSTER)] },
        plainChain({ transport_protocol: "raw_buffer" }),
      ];
  }
}

export function inboundListener(w: WorkloadSnapshot, settings: XdsSettings): Json {
  const { mtls } = w.authz;
  const modeOf = (port: number) => mtls.ports.find((p) => p.port === port)?.mode ?? mtls.mode;
  const chains: Json[] = [];
  const ports = new Set<number>();
  for (const port of w.inbound) {
    ports.add(port.port);
    chains.push(...inboundChains(modeOf(port.port), port, port.port, w, settings));
  }
  for (const { port } of mtls.ports) if (!ports.has(port)) chains.push(...inboundChains(modeOf(port), undefined, port, w, settings));
  chains.push(...inboundChains(mtls.mode, undefined, undefined, w, settings));
  return {
    name: "virtualInbound",
    address: socketAddress("0.0.0.0", INBOUND_CAPTURE_PORT),
    traffic_direction: "INBOUND",
    listener_filters: [
      listenerFilter("envoy.filters.listener.original_dst", TYPE.originalDst),
      listenerFilter("envoy.filters.listener.tls_inspector", TYPE.tlsInspector),
    ],
    listener_filters_timeout: "5s",
    continue_on_listener_filters_timeout: true,
    filter_chains: chains,
  };
}

export function outboundListener(w: WorkloadSnapshot, settings: XdsSettings): Json {
  return {
    name: "virtualOutbound",
    address: socketAddress("0.0.0.0", OUTBOUND_CAPTURE_PORT),
    traffic_direction: "OUTBOUND",
    listener_filters: [
      listenerFilter("envoy.filters.listener.original_dst", TYPE.originalDst),
      listenerFilter("envoy.filters.listener.http_inspector", TYPE.httpInspector),
    ],
    listener_filters_timeout: "5s",
    continue_on_listener_filters_timeout: true,
    filter_chains: [
      {
        name: "outbound|http",
        filter_chain_match: { application_protocols: ["http/1.0", "http/1.1", "h2c"] },
        filters: [hcm({ statPrefix: "outbound_http", filters: httpFilters(w, settings, { authz: false, router: true }), rds: OUTBOUND_ROUTE }, settings)],
      },
    ],
    // Anything not HTTP goes where it was sent (Istio's ALLOW_ANY passthrough).
    default_filter_chain: { name: "PassthroughFilterChain", filters: [tcpProxy(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)] },
  };
}

/** The SNI names a TLS listener answers (Istio's `namespace/host` hosts name the host); none for `*`. */
const serverNames = (l: GatewayListener) => l.hostnames.map((h) => h.slice(h.indexOf("/") + 1)).filter((h) => h !== "*");

/**
 * A gateway opens one listener per port its Gateway listeners use: HTTP, or HTTPS whose
 * certificates resolved (one filter chain per such listener, picked by SNI when it names a host;
 * a port with HTTPS listeners serves no plaintext).
 */
export function gatewayListeners(w: WorkloadSnapshot, settings: XdsSettings): { listeners: Json[]; routes: Json[] } {
  const served = (w.listeners ?? []).filter((l) => (l.tls ? true : HTTP_PROTOCOLS.has(l.protocol.toUpperCase())));
  const ports = [...new Set(served.map((l) => l.port))].sort((a, b) => a - b);
  const chain = (port: number) => ({ filters: [hcm({ statPrefix: `gateway_${port}`, filters: httpFilters(w, settings, { authz: true, router: true }), rds: gatewayRouteName(port), gateway: true }, settings)] });
  return {
    listeners: ports.map((port) => {
      const tls = served.filter((l) => l.port === port && l.tls);
      const common = { name: `0.0.0.0_${port}`, address: socketAddress("0.0.0.0", port), traffic_direction: "INBOUND" };
      if (!tls.length) return { ...common, filter_chains: [chain(port)] };
      return {
        ...common,
        listener_filters: [listenerFilter("envoy.filters.listener.tls_inspector", TYPE.tlsInspector)],
        filter_chains: tls.map((l) => ({
          name: `${l.origin}/${l.name}`,
          ...(serverNames(l).length ? { filter_chain_match: { server_names: serverNames(l) } } : {}),
          transport_socket: terminatingTlsSocket(l.tls!),
          ...chain(port),
        })),
      };
    }),
    routes: ports.map(gatewayRoute),
  };
}
