// The Envoy bootstrap a proxy starts with (GET /mesh/v1/bootstrap/<ns>/<workload>): its identity
// (Istio's node id and metadata), the control-plane cluster (TLS to the Worker; plain HTTP when
// the control plane is an http:// URL, as in local development), REST xDS for listeners and
// clusters, the admin interface on localhost only, and the static listeners every Istio proxy has:
// readiness on 15021, Prometheus stats on 15090 and (sidecars) app probes on 15020; and Istio's
// stats config, which turns the stats filter's label-encoded names into labelled metrics.
import { APP_HEALTH_PORT, PROXY_READY_PORT, PROXY_STATS_PORT } from "../../admission/ports.ts";
import { istioStatsTags } from "../stats/stat-tags.ts";
import { any, loadAssignment, restConfigSource, socketAddress, TRUST_DOMAIN, TYPE, type Json } from "./translate/types.ts";

export const ADMIN_PORT = 15000;
const ADMIN_CLUSTER = "admin";
/** The node metadata key that carries the workload token: Envoy's REST xDS cannot send headers,
 *  but it sends the whole node with every request. */
export const TOKEN_METADATA = "EDGE_MESH_TOKEN";
/** Istio's default cluster id: node metadata CLUSTER_ID, reported as source_/destination_cluster. */
export const CLUSTER_ID = "Kubernetes";

/** Istio's bootstrap stats_config: a tag regex per standard label (control/stats/stat-tags.ts),
 * and an inclusion list that keeps the Istio metrics (Envoy files wasm-defined ones under
 * `wasmcustom.`; Istio's own pattern is `reporter=`) and the server-level stats Istio keeps by
 * default, rather than every per-cluster and per-listener stat. */
export function statsConfig(): Json {
  const prefixes = ["reporter=", "wasmcustom.", "component", "istio", "cluster_manager", "listener_manager", "server", "wasm"];
  return {
    stats_tags: istioStatsTags(),
    stats_matcher: { inclusion_list: { patterns: prefixes.map((prefix) => ({ prefix })) } },
  };
}

export interface Prober {
  httpGet: { path?: string; port: number; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  timeoutSeconds?: number;
}

export interface BootstrapInput {
  namespace: string;
  workload: string;
  kind: "sidecar" | "gateway";
  pod: string;
  ip: string;
  serviceAccount: string;
  labels: Record<string, string>;
  /** Istio's ISTIO_KUBE_APP_PROBERS: `/app-health/<container>/<kind>` → the app's original probe. */
  probers: Record<string, Prober>;
  controlPlane: { host: string; url: string; caPem?: string };
  token: string;
  refreshDelay: string;
}

/** Istio's node id: `<type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`. */
export function nodeId(kind: "sidecar" | "gateway", ip: string, pod: string, namespace: string): string {
  return `${kind === "gateway" ? "router" : "sidecar"}~${ip}~${pod}.${namespace}~${namespace}.svc.${TRUST_DOMAIN}`;
}

const isIp = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");

export function controlPlaneCluster(cp: BootstrapInput["controlPlane"]): Json {
  const url = new URL(cp.url);
  const tls = url.protocol === "https:";
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  return {
    name: cp.host,
    type: isIp(hostname) ? "STATIC" : "LOGICAL_DNS",
    dns_lookup_family: "V4_ONLY",
    connect_timeout: "10s",
    load_assignment: loadAssignment(cp.host, [{ address: hostname, port }]),
    ...(tls
      ? {
          transport_socket: {
            name: "envoy.transport_sockets.tls",
            typed_config: any(TYPE.upstreamTls, {
              ...(isIp(hostname) ? {} : { sni: hostname }),
              common_tls_context: {
                validation_context: {
                  trusted_ca: cp.caPem ? { inline_string: cp.caPem } : { filename: "/etc/ssl/certs/ca-certificates.crt" },
                },
              },
            }),
          },
        }
      : {}),
  };
}

function staticCluster(name: string, port: number): Json {
  return { name, type: "STATIC", connect_timeout: "5s", load_assignment: loadAssignment(name, [{ address: "127.0.0.1", port }]) };
}

function httpListener(name: string, port: number, routes: Json[]): Json {
  return {
    name,
    address: socketAddress("0.0.0.0", port),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: any(TYPE.hcm, {
              stat_prefix: name,
              route_config: { name, virtual_hosts: [{ name, domains: ["*"], routes }] },
              http_filters: [{ name: "envoy.filters.http.router", typed_config: any(TYPE.router, {}) }],
            }),
          },
        ],
      },
    ],
  };
}

const appHealthCluster = (port: number) => `app-health|${port}`;

export function bootstrap(b: BootstrapInput): Json {
  const rest = restConfigSource({ controlPlane: b.controlPlane, refreshDelay: b.refreshDelay });
  const listeners = [
    httpListener("readiness", PROXY_READY_PORT, [
      { match: { path: "/healthz/ready" }, route: { cluster: ADMIN_CLUSTER, prefix_rewrite: "/ready" } },
      { match: { prefix: "/" }, direct_response: { status: 404 } },
    ]),
    httpListener("prometheus", PROXY_STATS_PORT, [
      { match: { path: "/stats/prometheus" }, route: { cluster: ADMIN_CLUSTER } },
      { match: { prefix: "/" }, direct_response: { status: 404 } },
    ]),
  ];
  const clusters = [controlPlaneCluster(b.controlPlane), staticCluster(ADMIN_CLUSTER, ADMIN_PORT)];
  const probes = Object.entries(b.probers).sort(([a], [c]) => a.localeCompare(c));
  if (b.kind === "sidecar" && probes.length) {
    listeners.push(
      httpListener("app-health", APP_HEALTH_PORT, [
        ...probes.map(([path, p]) => ({
          match: { path },
          route: {
            cluster: appHealthCluster(p.httpGet.port),
            prefix_rewrite: p.httpGet.path || "/",
            timeout: `${p.timeoutSeconds ?? 1}s`,
          },
          ...(p.httpGet.httpHeaders?.length
            ? { request_headers_to_add: p.httpGet.httpHeaders.map((h) => ({ header: { key: h.name, value: h.value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" })) }
            : {}),
        })),
        { match: { prefix: "/" }, direct_response: { status: 404 } },
      ]),
    );
    for (const port of new Set(probes.map(([, p]) => p.httpGet.port))) {
      const https = probes.some(([, p]) => p.httpGet.port === port && p.httpGet.scheme?.toUpperCase() === "HTTPS");
      clusters.push({
        ...staticCluster(appHealthCluster(port), port),
        // The kubelet does not verify an app's certificate either.
        ...(https ? { transport_socket: { name: "envoy.transport_sockets.tls", typed_config: any(TYPE.upstreamTls, {}) } } : {}),
      });
    }
  }
  return {
    node: {
      id: nodeId(b.kind, b.ip, b.pod, b.namespace),
      cluster: `${b.workload}.${b.namespace}`,
      metadata: {
        NAMESPACE: b.namespace,
        WORKLOAD_NAME: b.workload,
        SERVICE_ACCOUNT: b.serviceAccount,
        LABELS: b.labels,
        POD_NAME: b.pod,
        INSTANCE_IPS: b.ip,
        MESH_ID: TRUST_DOMAIN,
        CLUSTER_ID,
        [TOKEN_METADATA]: b.token,
      },
    },
    stats_config: statsConfig(),
    admin: { address: socketAddress("127.0.0.1", ADMIN_PORT) },
    dynamic_resources: { lds_config: rest, cds_config: rest },
    static_resources: { listeners, clusters },
  };
}
