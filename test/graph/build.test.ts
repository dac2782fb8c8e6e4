// The service graph's pure parts: PromQL answers → nodes, edges, splits (control/graph/build.ts),
// the configured split read from a snapshot the real compiler made (control/graph/configured.ts),
// and the window parameter.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { buildGraph, sourceWorkloads, type PromSample } from "../../control/graph/build.ts";
import { configuredSplits, type ConfiguredSplit } from "../../control/graph/configured.ts";
import { graphQueries, parseWindow } from "../../control/graph/queries.ts";
import { compile } from "../../control/mesh/compile/index.ts";
import { buildRegistry } from "../../control/mesh/registry/index.ts";
import { configFromYaml } from "../support/mesh-fixtures.ts";

const sample = (p: string) => readFileSync(new URL(`../../samples/bookinfo/${p}`, import.meta.url), "utf8");

/** An edge's labels as the proxies report them (Bookinfo in `default`). */
function edge(from: string, to: string, extra: Record<string, string> = {}): Record<string, string> {
  const [srcApp, srcVersion] = from === "unknown" ? ["unknown", "unknown"] : from.split("-");
  const [dstApp, dstVersion] = to.split("-");
  return {
    source_workload_namespace: from === "unknown" ? "unknown" : "default",
    source_workload: from,
    source_app: srcApp,
    source_version: srcVersion ?? "unknown",
    destination_service_namespace: "default",
    destination_service_name: dstApp,
    destination_workload_namespace: "default",
    destination_workload: to,
    destination_app: dstApp,
    destination_version: dstVersion ?? "unknown",
    ...extra,
  };
}
const at = (metric: Record<string, string>, value: number | string): PromSample => ({ metric, value: [1_700_000_000, String(value)] });

const traffic = [
  at(edge("productpage-v1", "reviews-v1", { response_code: "200" }), 4.8),
  at(edge("productpage-v1", "reviews-v3", { response_code: "200" }), 4.68),
  at(edge("productpage-v1", "reviews-v3", { response_code: "503" }), 0.26),
  at(edge("productpage-v1", "reviews-v3", { response_code: "404" }), 0.26),
  at(edge("reviews-v3", "ratings-v1", { response_code: "200" }), 5.2),
  at(edge("unknown", "productpage-v1", { response_code: "200" }), 2),
  // An edge without traffic in the window is not drawn.
  at(edge("productpage-v1", "details-v1", { response_code: "200" }), 0),
];
const latency = [at(edge("productpage-v1", "reviews-v1"), 24.25), at(edge("productpage-v1", "reviews-v3"), "NaN"), at(edge("reviews-v3", "ratings-v1"), 9.5)];
const security = [
  at(edge("productpage-v1", "reviews-v1", { connection_security_policy: "mutual_tls" }), 4.8),
  at(edge("productpage-v1", "reviews-v3", { connection_security_policy: "mutual_tls" }), 3.9),
  at(edge("productpage-v1", "reviews-v3", { connection_security_policy: "none" }), 1.3),
  at(edge("reviews-v3", "ratings-v1", { connection_security_policy: "none" }), 5.2),
];
const fiftyFifty: ConfiguredSplit = {
  service: "default/reviews",
  origin: "VirtualService default/reviews, http[0]",
  shares: [
    { service: "default/reviews", subset: "v1", version: "v1", percent: 50 },
    { service: "default/reviews", subset: "v3", version: "v3", percent: 50 },
  ],
};
const productpageSplits = (source: string) => (source === "default/productpage-v1" ? [fiftyFifty] : []);

test("graph: nodes per workload boxed by app, edges with rate, error shares, p95 and mTLS", () => {
  const g = buildGraph("1m", { traffic, latency, security }, productpageSplits);
  assert.deepEqual(
    g.nodes.map((n) => `${n.id} ${n.kind} ${n.app}/${n.version}`),
    ["default/productpage-v1 workload productpage/v1", "default/ratings-v1 workload ratings/v1", "default/reviews-v1 workload reviews/v1", "default/reviews-v3 workload reviews/v3", "unknown unknown /"],
  );
  assert.deepEqual(
    g.apps.map((a) => `${a.app}: ${a.nodes.join(" ")}`),
    ["productpage: default/productpage-v1", "ratings: default/ratings-v1", "reviews: default/reviews-v1 default/reviews-v3"],
  );
  const byPair = Object.fromEntries(g.edges.map((e) => [`${e.source} → ${e.target}`, e]));
  assert.deepEqual(Object.keys(byPair).sort(), [
    "default/productpage-v1 → default/reviews-v1",
    "default/productpage-v1 → default/reviews-v3",
    "default/reviews-v3 → default/ratings-v1",
    "unknown → default/productpage-v1",
  ]);
  assert.deepEqual(byPair["default/productpage-v1 → default/reviews-v1"], {
    source: "default/productpage-v1",
    target: "default/reviews-v1",
    service: "default/reviews",
    requestsPerSecond: 4.8,
    errorShare: 0,
    serverErrorShare: 0,
    p95Ms: 24.3,
    mtlsShare: 1,
  });
  const v3 = byPair["default/productpage-v1 → default/reviews-v3"];
  assert.equal(v3.requestsPerSecond, 5.2);
  assert.equal(v3.errorShare, 0.1); // 503 and 404 are not 2xx
  assert.equal(v3.serverErrorShare, 0.05); // only the 503 is 5xx
  assert.equal(v3.p95Ms, null); // NaN: no histogram samples
  assert.equal(v3.mtlsShare, 0.75);
  assert.equal(byPair["default/reviews-v3 → default/ratings-v1"].mtlsShare, 0);
  assert.equal(byPair["unknown → default/productpage-v1"].mtlsShare, null);
});

test("graph: a split shows observed shares per version beside the configured ones", () => {
  const g = buildGraph("1m", { traffic, latency, security }, productpageSplits);
  assert.deepEqual(g.splits, [
    {
      source: "default/productpage-v1",
      service: "default/reviews",
      observed: [
        { version: "v1", requestsPerSecond: 4.8, percent: 48 },
        { version: "v3", requestsPerSecond: 5.2, percent: 52 },
      ],
      configured: fiftyFifty,
    },
  ]);
  // A service one version serves, with no configured split, is no split.
  assert.ok(!g.splits.some((s) => s.service === "default/ratings"));
});

test("graph: a configured split is shown even while only one version has been observed", () => {
  const g = buildGraph("1m", { traffic: traffic.slice(0, 1), latency: [], security: [] }, () => [fiftyFifty]);
  assert.deepEqual(g.splits[0].observed, [{ version: "v1", requestsPerSecond: 4.8, percent: 100 }]);
  assert.equal(g.splits[0].configured, fiftyFifty);
});

test("graph: requests no workload answered end at the service node", () => {
  const noUpstream = edge("productpage-v1", "reviews", { destination_workload: "unknown", destination_workload_namespace: "unknown", response_code: "503" });
  const g = buildGraph("1m", { traffic: [at(noUpstream, 1)], latency: [], security: [] }, () => []);
  assert.deepEqual(
    g.edges.map((e) => [e.target, e.errorShare, e.serverErrorShare]),
    [["service:default/reviews", 1, 1]],
  );
  assert.equal(g.nodes.find((n) => n.id === "service:default/reviews")?.kind, "service");
});

test("graph: the source workloads whose routes are looked up are the mesh's own", () => {
  assert.deepEqual(sourceWorkloads({ traffic, latency: [], security: [] }), ["default/productpage-v1", "default/reviews-v3"]);
});

test("graph: without routes that name them, versions a client reached are still a split (configured unknown)", () => {
  const g = buildGraph("1m", { traffic, latency: [], security: [] }, () => []);
  assert.deepEqual(
    g.splits.map((x) => [x.source, x.service, x.observed.map((o) => o.percent), x.configured]),
    [["default/productpage-v1", "default/reviews", [48, 52], null]],
  );
});

/** productpage's compiled splits for Bookinfo plus `files`. */
function productpageConfigured(...files: string[]): ConfiguredSplit[] {
  const config = configFromYaml([sample("platform/kube/bookinfo.yaml"), ...files.map(sample)].join("\n---\n"));
  return configuredSplits(compile(config, buildRegistry(config), 1).workloads["default/productpage-v1"]);
}
const splitFor = (all: ConfiguredSplit[], service: string) => all.find((c) => c.service === service);

test("configured split: the compiled VirtualService's weights, named by the subsets' version labels", () => {
  const all = productpageConfigured("networking/destination-rule-all.yaml", "networking/virtual-service-reviews-50-v3.yaml");
  assert.deepEqual(splitFor(all, "default/reviews"), fiftyFifty);
  // Without a route object: the default route to the whole service, every version.
  assert.deepEqual(splitFor(productpageConfigured(), "default/reviews"), {
    service: "default/reviews",
    origin: "default route",
    shares: [{ service: "default/reviews", subset: "", version: "any", percent: 100 }],
  });
});

test("configured split: the catch-all route, not one that needs a header", () => {
  const all = productpageConfigured("networking/destination-rule-all.yaml", "networking/virtual-service-reviews-jason-v2-v3.yaml");
  assert.deepEqual(splitFor(all, "default/reviews")?.shares, [{ service: "default/reviews", subset: "v3", version: "v3", percent: 100 }]);
});

test("a Gateway API split across Services (reviews-v1 / reviews-v3): configured and observed line up by version", () => {
  const all = productpageConfigured("platform/kube/bookinfo-versions.yaml", "gateway-api/route-reviews-50-v3.yaml");
  const reviews = splitFor(all, "default/reviews")!;
  assert.equal(reviews.origin, "HTTPRoute default/reviews, rules[0]");
  assert.deepEqual(reviews.shares, [
    { service: "default/reviews-v1", subset: "", version: "v1", percent: 50 },
    { service: "default/reviews-v3", subset: "", version: "v3", percent: 50 },
  ]);
  // The proxies report the Service each request went to: reviews-v1 and reviews-v3.
  const viaServices = traffic.slice(0, 4).map((x) => ({ ...x, metric: { ...x.metric, destination_service_name: `reviews-${x.metric.destination_version}` } }));
  const g = buildGraph("1m", { traffic: viaServices, latency: [], security: [] }, () => all);
  assert.deepEqual(
    g.splits.map((x) => [x.service, x.observed.map((o) => `${o.version} ${o.percent}`), x.configured?.origin]),
    [["default/reviews", ["v1 48", "v3 52"], "HTTPRoute default/reviews, rules[0]"]],
  );
});

test("window: Prometheus durations from 10s to 6h; anything else is refused with the reason", () => {
  assert.deepEqual(parseWindow("1m"), { window: "1m", seconds: 60 });
  assert.deepEqual(parseWindow("30s"), { window: "30s", seconds: 30 });
  for (const bad of ["", "5s", "7h", "1m]", "1m) or vector(1", "0m", "1.5m", "1d"]) assert.match((parseWindow(bad) as { error: string }).error, /^window: /, bad);
});

test("queries: traffic and latency from the client's report, the server's for clients outside the mesh; mTLS from the server's", () => {
  const q = graphQueries("1m");
  assert.match(q.traffic, /istio_requests_total\{reporter="source",source_workload!="unknown"\}\[1m\]/);
  assert.match(q.traffic, /istio_requests_total\{reporter="destination",source_workload="unknown"\}\[1m\]/);
  assert.match(q.latency, /^histogram_quantile\(0\.95, .*istio_request_duration_milliseconds_bucket\{reporter="source"/);
  assert.match(q.latency, /by \([a-z_,]*,le\)/);
  assert.match(q.security, /by \([a-z_,]*,connection_security_policy\) \(rate\(istio_requests_total\{reporter="destination"\}\[1m\]\)\)/);
});
