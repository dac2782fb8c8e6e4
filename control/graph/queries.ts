// The PromQL behind the service graph, over Istio's standard metrics. As Kiali does it: traffic and
// latency from the client's report (reporter="source"), except for requests from outside the mesh
// (source_workload="unknown"), which only the server's sidecar reports; mTLS from the server's
// report (reporter="destination"), because only the server knows how the connection was secured.

/** One edge: a source workload to a destination workload behind a service. */
export const EDGE_LABELS = [
  "source_workload_namespace",
  "source_workload",
  "source_app",
  "source_version",
  "destination_service_namespace",
  "destination_service_name",
  "destination_workload_namespace",
  "destination_workload",
  "destination_app",
  "destination_version",
] as const;

const BY = EDGE_LABELS.join(",");

/** A range for rate(): 10s to 6h, in Prometheus's duration syntax (`30s`, `1m`, `2h`). */
export function parseWindow(text: string): { window: string; seconds: number } | { error: string } {
  const m = /^([1-9]\d{0,4})(s|m|h)$/.exec(text);
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"] : NaN;
  if (!(seconds >= 10 && seconds <= 6 * 3600)) return { error: `window: a duration from 10s to 6h such as 30s, 1m or 2h (got "${text}")` };
  return { window: text, seconds };
}

/** `sum by (<by>) (rate(<metric>[w]))` over the client's reports, or the server's for unknown clients. */
function perEdge(metric: string, by: string, window: string): string {
  const sum = (selector: string) => `sum by (${by}) (rate(${metric}{${selector}}[${window}]))`;
  return `${sum('reporter="source",source_workload!="unknown"')} or ${sum('reporter="destination",source_workload="unknown"')}`;
}

export interface GraphQueries {
  /** Requests per second per edge and response code. */
  traffic: string;
  /** p95 of istio_request_duration_milliseconds per edge. */
  latency: string;
  /** Requests per second per edge and connection_security_policy, as the server reported them. */
  security: string;
}

export function graphQueries(window: string): GraphQueries {
  return {
    traffic: `(${perEdge("istio_requests_total", `${BY},response_code`, window)}) > 0`,
    latency: `histogram_quantile(0.95, ${perEdge("istio_request_duration_milliseconds_bucket", `${BY},le`, window)})`,
    security: `sum by (${BY},connection_security_policy) (rate(istio_requests_total{reporter="destination"}[${window}])) > 0`,
  };
}
