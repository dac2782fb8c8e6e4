// The Graph view's pure parts (control/ui/app/graph-layout.ts): how the numbers read and where
// the boxes go.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { GraphEdge, GraphNode, ServiceGraph } from "../../control/graph/build.ts";
import { edgeHealth, edgeLabel, formatRate, formatShare, layoutGraph, splitSentence } from "../../control/ui/app/graph-layout.ts";

const workload = (name: string, app: string, version: string): GraphNode => ({ id: `default/${name}`, kind: "workload", namespace: "default", name, app, version });
const edge = (source: string, target: string, extra: Partial<GraphEdge> = {}): GraphEdge => ({
  source: `default/${source}`,
  target: `default/${target}`,
  service: `default/${target.split("-")[0]}`,
  requestsPerSecond: 1,
  errorShare: 0,
  serverErrorShare: 0,
  p95Ms: 10,
  mtlsShare: 1,
  ...extra,
});

const bookinfo: ServiceGraph = {
  window: "1m",
  nodes: [
    workload("bookinfo-gateway-istio", "bookinfo-gateway-istio", ""),
    workload("productpage-v1", "productpage", "v1"),
    workload("ratings-v1", "ratings", "v1"),
    workload("reviews-v1", "reviews", "v1"),
    workload("reviews-v3", "reviews", "v3"),
  ],
  apps: [
    { namespace: "default", app: "bookinfo-gateway-istio", nodes: ["default/bookinfo-gateway-istio"] },
    { namespace: "default", app: "productpage", nodes: ["default/productpage-v1"] },
    { namespace: "default", app: "ratings", nodes: ["default/ratings-v1"] },
    { namespace: "default", app: "reviews", nodes: ["default/reviews-v1", "default/reviews-v3"] },
  ],
  edges: [edge("bookinfo-gateway-istio", "productpage-v1"), edge("productpage-v1", "reviews-v1"), edge("productpage-v1", "reviews-v3"), edge("reviews-v3", "ratings-v1")],
  splits: [],
};

test("numbers as the graph prints them", () => {
  assert.equal(formatRate(4.8), "4.80 rps");
  assert.equal(formatRate(12.345), "12.3 rps");
  assert.equal(formatShare(0.1), "10 %");
  assert.equal(formatShare(0.0525), "5.3 %");
  assert.equal(edgeLabel(edge("a", "b", { requestsPerSecond: 5.2, errorShare: 0.1, p95Ms: 24.25 })), "5.20 rps · 10 % err · p95 24.3 ms");
  assert.equal(edgeLabel(edge("a", "b", { p95Ms: null })), "1.00 rps · 0 % err");
  assert.deepEqual([0, 0.05, 0.2].map((errorShare) => edgeHealth(edge("a", "b", { errorShare }))), ["healthy", "degraded", "failing"]);
});

test("a split reads as the issue asks: configured beside observed over the window", () => {
  const split = {
    source: "default/productpage-v1",
    service: "default/reviews",
    observed: [
      { version: "v1", requestsPerSecond: 4.8, percent: 48 },
      { version: "v3", requestsPerSecond: 5.2, percent: 52 },
    ],
    configured: {
      service: "default/reviews",
      origin: "VirtualService default/reviews, http[0]",
      shares: [
        { service: "default/reviews", subset: "v1", version: "v1", percent: 50 },
        { service: "default/reviews", subset: "v3", version: "v3", percent: 50 },
      ],
    },
  };
  assert.equal(splitSentence(split, "1m"), "reviews: configured v1 50 % / v3 50 %, observed v1 48 % / v3 52 % (last 1m)");
  assert.equal(splitSentence({ ...split, configured: null }, "5m"), "reviews: configured: unknown, observed v1 48 % / v3 52 % (last 5m)");
  // A host that is not a cluster service is named as it is.
  assert.match(splitSentence({ ...split, service: "bookinfo.example.com" }, "1m"), /^bookinfo\.example\.com: configured/);
});

test("layout: left to right by call depth; an app's versions share a box; a lone unversioned workload has none", () => {
  const layout = layoutGraph(bookinfo);
  const x = (id: string) => layout.nodes.find((n) => n.node.id === `default/${id}`)!.x;
  assert.ok(x("bookinfo-gateway-istio") < x("productpage-v1") && x("productpage-v1") < x("reviews-v1") && x("reviews-v1") < x("ratings-v1"));
  assert.equal(x("reviews-v1"), x("reviews-v3"));
  assert.deepEqual(
    layout.apps.map((a) => a.app),
    ["productpage", "reviews", "ratings"],
  );
  const reviews = layout.apps.find((a) => a.app === "reviews")!;
  for (const id of ["reviews-v1", "reviews-v3"]) {
    const n = layout.nodes.find((p) => p.node.id === `default/${id}`)!;
    assert.ok(n.x >= reviews.x && n.x + n.width <= reviews.x + reviews.width && n.y >= reviews.y && n.y + n.height <= reviews.y + reviews.height, id);
  }
  assert.deepEqual(
    layout.nodes.map((n) => n.label),
    ["bookinfo-gateway-istio", "v1", "v1", "v3", "v1"],
  );
  // Every node inside the picture; an edge runs from its source's right side to its target's left side.
  for (const n of layout.nodes) assert.ok(n.x + n.width <= layout.width && n.y + n.height <= layout.height);
  const e = layout.edges.find((p) => p.edge.target === "default/reviews-v3")!;
  const pp = layout.nodes.find((n) => n.node.id === "default/productpage-v1")!;
  assert.ok(e.d.startsWith(`M ${pp.x + pp.width} ${pp.y + pp.height / 2} `), e.d);
});

test("layout: a call cycle does not loop forever", () => {
  const cyclic: ServiceGraph = { ...bookinfo, edges: [...bookinfo.edges, edge("ratings-v1", "productpage-v1")] };
  const layout = layoutGraph(cyclic);
  assert.equal(layout.nodes.length, 5);
  assert.ok(Number.isFinite(layout.width) && layout.width < 5000);
});
