// GET /mesh/v1/graph end to end: the real Worker under wrangler dev asks the real Prometheus
// (scraping fixture proxies that export Istio's standard metrics) and reads the configured splits
// from the routes it compiled from kubectl-applied Bookinfo.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ServiceGraph } from "../../control/graph/build.ts";
import { bookinfo, type GraphSetup, settledGraph, skipWithoutPrometheus, startGraphSetup } from "./support.ts";

let setup: GraphSetup;
let graph: ServiceGraph;

describe("service graph through the Worker and a real Prometheus", { skip: skipWithoutPrometheus }, () => {
  before(async () => {
    setup = await startGraphSetup();
    graph = await settledGraph(setup.worker);
  });
  after(async () => {
    await setup?.stop();
  });

  const edgeOf = (g: ServiceGraph, source: string, target: string) => {
    const e = g.edges.find((x) => x.source === source && x.target === target);
    assert.ok(e, `no edge ${source} → ${target} in ${JSON.stringify(g.edges)}`);
    return e;
  };
  const near = (actual: number | null, expected: number, tolerance: number, what: string) =>
    assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

  test("nodes per workload, boxed by app and version", () => {
    assert.deepEqual(
      graph.nodes.map((n) => `${n.id} ${n.app}/${n.version}`),
      [
        "default/bookinfo-gateway-istio bookinfo-gateway-istio/",
        "default/productpage-v1 productpage/v1",
        "default/ratings-v1 ratings/v1",
        "default/reviews-v1 reviews/v1",
        "default/reviews-v3 reviews/v3",
      ],
    );
    assert.deepEqual(graph.apps.find((a) => a.app === "reviews")?.nodes, ["default/reviews-v1", "default/reviews-v3"]);
  });

  test("edges: request rate, non-2xx and 5xx shares, p95 from the histogram, mTLS from the server's report", () => {
    const ingress = edgeOf(graph, "default/bookinfo-gateway-istio", "default/productpage-v1");
    // Another target than productpage's, scraped at other instants: rate() over 10 s of 1 s scrapes
    // can extrapolate a few percent off when a scrape is late on a busy machine.
    near(ingress.requestsPerSecond, 10, 0.5, "gateway → productpage req/s");
    near(ingress.p95Ms, 48.75, 0.1, "gateway → productpage p95");
    assert.equal(ingress.mtlsShare, 1);
    const v1 = edgeOf(graph, "default/productpage-v1", "default/reviews-v1");
    assert.equal(v1.service, "default/reviews");
    assert.equal(v1.errorShare, 0);
    near(v1.p95Ms, 24.25, 0.1, "productpage → reviews-v1 p95");
    assert.equal(v1.mtlsShare, 1);
    const v3 = edgeOf(graph, "default/productpage-v1", "default/reviews-v3");
    near(v3.requestsPerSecond, 5.2, 0.15, "productpage → reviews-v3 req/s");
    near(v3.errorShare, 0.1, 0.002, "reviews-v3 non-2xx share");
    near(v3.serverErrorShare, 0.1, 0.002, "reviews-v3 5xx share");
    const ratings = edgeOf(graph, "default/reviews-v3", "default/ratings-v1");
    assert.equal(ratings.mtlsShare, 0, "reviews-v3 → ratings is plaintext");
  });

  test("the reviews split: observed per version over the window beside the compiled VirtualService's weights", () => {
    const split = graph.splits.find((s) => s.source === "default/productpage-v1" && s.service === "default/reviews");
    assert.ok(split, JSON.stringify(graph.splits));
    assert.deepEqual(
      split.observed.map((o) => [o.version, o.percent]),
      [
        ["v1", 48],
        ["v3", 52],
      ],
    );
    assert.deepEqual(split.configured, {
      service: "default/reviews",
      origin: "VirtualService default/reviews, http[0]",
      shares: [
        { service: "default/reviews", subset: "v1", version: "v1", percent: 50 },
        { service: "default/reviews", subset: "v3", version: "v3", percent: 50 },
      ],
    });
    assert.equal(graph.splits.length, 1, "no other source reached more than one version");
  });

  test("the configured side follows the config: after reviews → v3 only, observed stays as measured", async () => {
    await setup.worker.apply(bookinfo("networking/virtual-service-reviews-v3.yaml"));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const g = (await setup.worker.request("/mesh/v1/graph?window=10s")).json() as ServiceGraph;
      const split = g.splits.find((s) => s.service === "default/reviews");
      if (split?.configured?.shares.length === 1) {
        assert.deepEqual(split.configured.shares, [{ service: "default/reviews", subset: "v3", version: "v3", percent: 100 }]);
        assert.deepEqual(split.observed.map((o) => o.version), ["v1", "v3"]);
        return;
      }
      if (Date.now() > deadline) assert.fail(`configured split still ${JSON.stringify(split?.configured)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  test("access as for the dashboard's reads; a bad window is a 400 naming the parameter", async () => {
    const anonymous = await setup.worker.request("/mesh/v1/graph", { token: null });
    assert.equal(anonymous.status, 401);
    const issued = await setup.worker.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(issued.status, 201, issued.body);
    const asReader = await setup.worker.request("/mesh/v1/graph?window=30s", { token: issued.json().token });
    assert.equal(asReader.status, 200, asReader.body);
    for (const window of ["1m) or vector(1", "1d", "abc"]) {
      const bad = await setup.worker.request(`/mesh/v1/graph?window=${encodeURIComponent(window)}`);
      assert.equal(bad.status, 400, bad.body);
      assert.match(bad.json().message, /^window: /);
    }
  });

  test("Prometheus gone: 502 with the reason, not a 500", async () => {
    await setup.prometheus.stop();
    const r = await setup.worker.request("/mesh/v1/graph");
    assert.equal(r.status, 502, r.body);
    assert.equal(r.json().kind, "Status");
    assert.match(r.json().message, /^Prometheus at http:\/\/127\.0\.0\.1:\d+ could not be reached/);
  });
});
