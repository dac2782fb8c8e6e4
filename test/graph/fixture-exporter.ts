// Stand-ins for the proxies' admin listeners until the filters record metrics: each serves
// GET /stats/prometheus in Prometheus's text format with Istio's standard metric names and labels,
// as the proxy of one workload would report them. Counters grow linearly at a fixed rate per
// series from a start time, so Prometheus's rate() over them is known; every request of a series
// took the same time, so histogram_quantile over its buckets is known too.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ScrapeTarget } from "../../local/prometheus.ts";

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const DURATION_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

const NS = "default";
const principal = (sa: string) => `spiffe://cluster.local/ns/${NS}/sa/${sa}`;

/** A Bookinfo workload as the labels name it. */
export interface Peer {
  workload: string;
  app: string;
  version: string;
  serviceAccount: string;
}

export interface Series {
  /** Whose proxy reports it. */
  reporter: "source" | "destination";
  from: Peer;
  to: Peer & { service: string };
  code: number;
  mtls: boolean;
  perSecond: number;
  latencyMs: number;
}

function labels(s: Series): string {
  const l: Record<string, string> = {
    reporter: s.reporter,
    source_workload: s.from.workload,
    source_workload_namespace: NS,
    source_principal: s.mtls ? principal(s.from.serviceAccount) : "unknown",
    source_app: s.from.app,
    source_version: s.from.version,
    source_cluster: "Kubernetes",
    destination_workload: s.to.workload,
    destination_workload_namespace: NS,
    destination_principal: s.mtls ? principal(s.to.serviceAccount) : "unknown",
    destination_app: s.to.app,
    destination_version: s.to.version,
    destination_service: `${s.to.service}.${NS}.svc.cluster.local`,
    destination_service_name: s.to.service,
    destination_service_namespace: NS,
    destination_cluster: "Kubernetes",
    request_protocol: "http",
    response_code: String(s.code),
    grpc_response_status: "",
    response_flags: s.code === 503 ? "UF" : "-",
    connection_security_policy: s.reporter === "destination" ? (s.mtls ? "mutual_tls" : "none") : "unknown",
  };
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
}

/** The exposition of `series` at `elapsedSeconds` since the counters started. */
export function exposition(series: Series[], elapsedSeconds: number): string {
  const out = ["# TYPE istio_requests_total counter"];
  for (const s of series) out.push(`istio_requests_total{${labels(s)}} ${s.perSecond * elapsedSeconds}`);
  out.push("# TYPE istio_request_duration_milliseconds histogram");
  for (const s of series) {
    const n = s.perSecond * elapsedSeconds;
    for (const le of DURATION_BUCKETS_MS) out.push(`istio_request_duration_milliseconds_bucket{${labels(s)},le="${le}"} ${s.latencyMs <= le ? n : 0}`);
    out.push(`istio_request_duration_milliseconds_bucket{${labels(s)},le="+Inf"} ${n}`);
    out.push(`istio_request_duration_milliseconds_sum{${labels(s)}} ${n * s.latencyMs}`);
    out.push(`istio_request_duration_milliseconds_count{${labels(s)}} ${n}`);
  }
  return out.join("\n") + "\n";
}

export interface FixtureProxies {
  targets: ScrapeTarget[];
  close(): Promise<void>;
}

/** One exporter per reporting workload, on 127.0.0.1; the counters started `headStartSeconds` ago. */
export async function startFixtureProxies(series: Series[], headStartSeconds = 60): Promise<FixtureProxies> {
  const t0 = Date.now() - headStartSeconds * 1000;
  const byWorkload = new Map<string, Series[]>();
  for (const s of series) {
    const reporting = s.reporter === "source" ? s.from.workload : s.to.workload;
    byWorkload.set(reporting, [...(byWorkload.get(reporting) ?? []), s]);
  }
  const servers: Server[] = [];
  const targets: ScrapeTarget[] = [];
  for (const [workload, mine] of byWorkload) {
    const server = createServer((req, res) => {
      if (req.url !== "/stats/prometheus") return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition(mine, (Date.now() - t0) / 1000));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    targets.push({ workload, namespace: NS, address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
  }
  return { targets, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => undefined) };
}

const peer = (workload: string, serviceAccount: string): Peer => {
  const [app, version] = workload.split("-");
  return { workload, app, version, serviceAccount };
};
const GATEWAY: Peer = { workload: "bookinfo-gateway-istio", app: "bookinfo-gateway-istio", version: "unknown", serviceAccount: "bookinfo-gateway-istio" };
const PRODUCTPAGE = peer("productpage-v1", "bookinfo-productpage");
const to = (p: Peer) => ({ ...p, service: p.app });

/** Both proxies' reports of one request stream. */
function both(from: Peer, dest: Peer, code: number, perSecond: number, latencyMs: number, mtls: boolean): Series[] {
  return (["source", "destination"] as const).map((reporter) => ({ reporter, from, to: to(dest), code, perSecond, latencyMs, mtls }));
}

/**
 * Bookinfo under `virtual-service-reviews-50-v3.yaml`, as measured: the ingress sends 10 req/s to
 * productpage; productpage's calls to reviews went 48 % to v1 and 52 % to v3 (10 % of v3's were
 * 503s); reviews v3 calls ratings without mTLS; everything else is mTLS. p95: 48.75 ms into
 * productpage (every request 40 ms: bucket 25–50), 24.25 ms into reviews (20 ms: bucket 10–25).
 */
export const BOOKINFO_50_V3: Series[] = [
  ...both(GATEWAY, PRODUCTPAGE, 200, 10, 40, true),
  ...both(PRODUCTPAGE, peer("reviews-v1", "bookinfo-reviews"), 200, 4.8, 20, true),
  ...both(PRODUCTPAGE, peer("reviews-v3", "bookinfo-reviews"), 200, 4.68, 20, true),
  ...both(PRODUCTPAGE, peer("reviews-v3", "bookinfo-reviews"), 503, 0.52, 20, true),
  ...both(peer("reviews-v3", "bookinfo-reviews"), peer("ratings-v1", "bookinfo-ratings"), 200, 5.2, 5, false),
];
