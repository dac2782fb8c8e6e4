import type { ConfigStore } from "./store/config-store.ts";

/** The Worker's bindings, as declared in wrangler.toml. */
export interface Env {
  CONFIG_STORE: DurableObjectNamespace<ConfigStore>;
  MESH_KV: KVNamespace;
  /** The dashboard's static files (wrangler.toml [assets]). */
  ASSETS: Fetcher;
  /** Secret: the admin bearer token. Unset → the API refuses to serve rather than run open. */
  MESH_ADMIN_TOKEN?: string;
  /** How many revisions the history keeps (default 1000). */
  MESH_REVISION_RETENTION?: string;
  /** How long a superseded KV key stays readable before it is deleted (default 600 s; at least the pointer TTL + 60 s). */
  MESH_KV_GRACE_SECONDS?: string;
  /** How long each location caches the current-revision pointer (default 5 s; 0 disables). */
  MESH_POINTER_TTL_SECONDS?: string;
  /** Where proxies reach the control plane (bootstrap, xDS, wasm URLs); default: the URL a request came to. */
  MESH_CONTROL_PLANE_URL?: string;
  /** PEM of the CA that signed the control plane's certificate, when not publicly trusted (local dev). */
  MESH_CONTROL_PLANE_CA?: string;
  /** Lifetime of the workload token a bootstrap embeds (default 30 days, the maximum). */
  MESH_PROXY_TOKEN_TTL_SECONDS?: string;
  /** How long a registered pod lives without a heartbeat (default 90 s; heartbeats are asked every third of it). */
  MESH_ENDPOINT_TTL_SECONDS?: string;
  /** How many pods one workload may register (default 256); past it a registration gets 403. */
  MESH_MAX_PODS_PER_WORKLOAD?: string;
  /** How many objects of one resource a namespace may hold (default 1000; cf. ResourceQuota `count/<resource>`); past it a create gets 403. */
  MESH_MAX_OBJECTS_PER_NAMESPACE?: string;
  /** How many bytes of configuration one workload may be served (default 16 MiB); a write that would pass it gets 413. */
  MESH_MAX_SERVED_BYTES_PER_WORKLOAD?: string;
  /** The cluster's service-account JWKS (`kubectl get --raw /openid/v1/jwks`), to accept projected tokens. */
  MESH_KUBERNETES_JWKS?: string;
  MESH_KUBERNETES_ISSUER?: string;
  /** Secrets: the mesh CA's root key (PKCS#8 PEM) and certificate; without them a dev root is generated. */
  MESH_CA_KEY?: string;
  MESH_CA_CERT?: string;
  /** Previous roots still trusted during a rotation (PEM bundle). */
  MESH_CA_PREVIOUS_ROOTS?: string;
  /** Base URL of the Prometheus that scrapes the proxies (e.g. http://127.0.0.1:9090); the service graph (GET /mesh/v1/graph) queries it. */
  MESH_PROMETHEUS_URL?: string;
}
