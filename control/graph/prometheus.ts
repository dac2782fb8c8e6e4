// Instant queries against Prometheus's HTTP API (GET /api/v1/query). Every failure becomes a
// PrometheusError with the HTTP status the graph endpoint answers with and a reason a person can act on.
import type { PromSample } from "./build.ts";

const TIMEOUT_MS = 5000;

export class PrometheusError extends Error {
  constructor(
    readonly code: 502 | 503 | 504,
    message: string,
  ) {
    super(message);
  }
}

/** MESH_PROMETHEUS_URL parsed, or why it cannot be used. */
export function prometheusBase(configured: string | undefined): URL {
  if (!configured?.trim())
    throw new PrometheusError(503, "no Prometheus is configured: set the Worker variable MESH_PROMETHEUS_URL to its base URL (e.g. http://127.0.0.1:9090)");
  let url: URL;
  try {
    url = new URL(configured.trim());
  } catch {
    throw new PrometheusError(503, "MESH_PROMETHEUS_URL is not a URL: set it to Prometheus's base URL (e.g. http://127.0.0.1:9090)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PrometheusError(503, `MESH_PROMETHEUS_URL must be an http or https URL, not ${url.protocol}`);
  if (url.username || url.password) throw new PrometheusError(503, "MESH_PROMETHEUS_URL must not carry credentials");
  return url;
}

interface QueryAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: PromSample[] };
}

/** An instant vector for `query` at the current time. */
export async function queryVector(base: URL, query: string): Promise<PromSample[]> {
  const url = new URL(`${base.pathname.replace(/\/$/, "")}/api/v1/query`, base);
  url.searchParams.set("query", query);
  const where = `Prometheus at ${base.origin}${base.pathname.replace(/\/$/, "")}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) throw new PrometheusError(504, `${where} did not answer within ${TIMEOUT_MS / 1000} s`);
    throw new PrometheusError(502, `${where} could not be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  let body: QueryAnswer;
  try {
    body = (await res.json()) as QueryAnswer;
  } catch {
    throw new PrometheusError(502, `${where} answered HTTP ${res.status} without a JSON body: is MESH_PROMETHEUS_URL Prometheus's base URL?`);
  }
  if (body.status !== "success") throw new PrometheusError(502, `${where} refused the query (HTTP ${res.status}, ${body.errorType ?? "error"}): ${body.error ?? "no reason given"}`);
  if (body.data?.resultType !== "vector" || !Array.isArray(body.data.result)) throw new PrometheusError(502, `${where} answered a ${body.data?.resultType ?? "malformed"} result, not an instant vector`);
  return body.data.result;
}
