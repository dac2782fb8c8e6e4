// Istio's port and identity conventions, which the sidecar's bootstrap (served by the control plane)
// must match: Envoy listens on these ports and runs as this UID.

/** The proxy's UID and GID; its own traffic is never captured (or it would loop). */
export const PROXY_UID = 1337;
/** Outbound capture: every TCP connection the app opens is redirected here. */
export const OUTBOUND_CAPTURE_PORT = 15001;
/** Inbound capture: every TCP connection to the pod is redirected here. */
export const INBOUND_CAPTURE_PORT = 15006;
/** Rewritten app probes: GET /app-health/<container>/<livez|readyz|startupz>, plain HTTP from the kubelet. */
export const APP_HEALTH_PORT = 15020;
/** The proxy's own readiness: GET /healthz/ready. */
export const PROXY_READY_PORT = 15021;
/** Envoy's Prometheus stats: GET /stats/prometheus. */
export const PROXY_STATS_PORT = 15090;
