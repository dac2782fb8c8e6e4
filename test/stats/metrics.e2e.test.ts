// Istio's standard metrics through the dev proxies, end to end: the real Worker under wrangler dev,
// Bookinfo applied with kubectl, every sidecar and the ingress gateway running the real
// build/stats.wasm (with router.wasm and authz.wasm) in control/wasmhost. After N requests through
// the ingress under reviews' 50/50 v1/v3 split, each proxy's /stats/prometheus (admin listener,
// and the 15090-equivalent) must count exactly what was sent, on both reporters, with every
// standard label right: peer workloads from the metadata exchange, SPIFFE principals from the mTLS
// certificates, connection_security_policy from the inbound connection.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ISTIO_LABELS } from "../../control/stats/stat-tags.ts";
import { bookinfoSample, type DemoMesh } from "../../local/demo-mesh.ts";
import { type MeshUnderTest, startMeshUnderTest } from "../tour/mesh-under-test.ts";
import { waitForRevision } from "../tour/tour.ts";
import { httpGet, observe } from "../tour/traffic.ts";
import { parseExposition, promtoolCheck, type Sample } from "./exposition.ts";

const N = 120;
const SA = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;

let run: MeshUnderTest | undefined;
let mesh: DemoMesh | undefined;

before(async () => {
  run = await startMeshUnderTest("metrics", N);
  mesh = run.ctx.mesh;
  for (const file of ["networking/destination-rule-all.yaml", "networking/virtual-service-all-v1.yaml", "networking/virtual-service-reviews-50-v3.yaml"]) {
    const r = await run.ctx.applier.apply(bookinfoSample(file));
    assert.ok(r.ok, r.output);
  }
  await waitForRevision(run.ctx);
});

after(async () => {
  await run?.stop();
});

async function scrape(workload: string): Promise<Sample[]> {
  const admin = mesh!.topology.workloads[workload].admin;
  const r = await httpGet(admin, "/stats/prometheus");
  assert.equal(r.status, 200, `${workload} /stats/prometheus`);
  assert.match(String(r.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  const check = promtoolCheck(r.body);
  assert.equal(check.problems, "", `promtool check metrics on ${workload}:\n${check.problems}`);
  return parseExposition(r.body).samples;
}

/** Sum of `name` over the samples whose labels include `match`. */
function total(samples: Sample[], name: string, match: Record<string, string>): number {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

function series(samples: Sample[], name: string, match: Record<string, string>): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

test("after N requests under the 50/50 split, both reporters count them with Istio's labels", { timeout: 180_000 }, async () => {
  const workloads = ["productpage-v1", "reviews-v1", "reviews-v3", "bookinfo-gateway-istio"];
  const before = Object.fromEntries(await Promise.all(workloads.map(async (w) => [w, await scrape(w)] as const)));
  const o = await observe(mesh!.ingressAddress, N);
  assert.deepEqual(o.failures, []);
  assert.equal((o.byVersion.v1 ?? 0) + (o.byVersion.v3 ?? 0), N, JSON.stringify(o.byVersion));
  // The stats filter logs a stream when its response is complete: give the last ones a moment.
  await new Promise((r) => setTimeout(r, 300));
  const now = Object.fromEntries(await Promise.all(workloads.map(async (w) => [w, await scrape(w)] as const)));
  const delta = (w: string, match: Record<string, string>) => total(now[w], "istio_requests_total", match) - total(before[w], "istio_requests_total", match);

  // Source side: productpage's sidecar saw each call to reviews, per version as observed.
  for (const v of ["v1", "v3"]) {
    const sent = o.byVersion[v] ?? 0;
    const src = { reporter: "source", destination_service_name: "reviews", destination_version: v, response_code: "200" };
    assert.equal(delta("productpage-v1", src), sent, `source-side count for reviews ${v}`);
    const dst = { reporter: "destination", source_workload: "productpage-v1", response_code: "200" };
    assert.equal(delta(`reviews-${v}`, dst), sent, `destination-side count on reviews-${v}`);
  }
  assert.equal(delta("reviews-v1", { reporter: "destination" }) + delta("reviews-v3", { reporter: "destination" }), N);
  // The gateway reports the calls to productpage as their source.
  assert.equal(delta("bookinfo-gateway-istio", { reporter: "source", destination_workload: "productpage-v1", response_code: "200" }), N);

  // Every standard label, on the series each side keeps for productpage → reviews-v3.
  const [source] = series(now["productpage-v1"], "istio_requests_total", { reporter: "source", destination_workload: "reviews-v3" });
  assert.deepEqual(Object.keys(source.labels).sort(), [...ISTIO_LABELS].sort());
  assert.deepEqual(source.labels, {
    reporter: "source",
    source_workload: "productpage-v1",
    source_workload_namespace: "default",
    source_principal: SA("bookinfo-productpage"),
    source_app: "productpage",
    source_version: "v1",
    source_cluster: "Kubernetes",
    destination_workload: "reviews-v3",
    destination_workload_namespace: "default",
    destination_principal: SA("bookinfo-reviews"),
    destination_app: "reviews",
    destination_version: "v3",
    destination_service: "reviews.default.svc.cluster.local",
    destination_service_name: "reviews",
    destination_service_namespace: "default",
    destination_cluster: "Kubernetes",
    request_protocol: "http",
    response_flags: "-",
    // Istio reports the security policy on the inbound side only.
    connection_security_policy: "unknown",
    response_code: "200",
    grpc_response_status: "",
  });
  const [destination] = series(now["reviews-v3"], "istio_requests_total", { reporter: "destination", source_workload: "productpage-v1" });
  assert.deepEqual(destination.labels, { ...source.labels, reporter: "destination", connection_security_policy: "mutual_tls" });

  // The histograms: one observation per request, in Envoy's default buckets, bytes counted.
  const hist = (name: string) => series(now["reviews-v3"], name, { reporter: "destination", source_workload: "productpage-v1" });
  for (const name of ["istio_request_duration_milliseconds", "istio_request_bytes", "istio_response_bytes"]) {
    const count = hist(`${name}_count`)[0]?.value;
    assert.equal(count, total(now["reviews-v3"], "istio_requests_total", { reporter: "destination", source_workload: "productpage-v1" }), `${name}_count`);
    const buckets = hist(`${name}_bucket`).map((s) => s.labels.le);
    assert.deepEqual(buckets, ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"]);
  }
  assert.ok(hist("istio_response_bytes_sum")[0].value > N * 100, "reviews' JSON answers are counted in istio_response_bytes");
  assert.ok(hist("istio_request_bytes_sum")[0].value > 0, "request headers count in istio_request_bytes");

  // No per-request data in the labels: the series are bounded by the mesh's shape.
  const pp = series(now["productpage-v1"], "istio_requests_total", {});
  assert.ok(pp.length <= 8, `productpage keeps ${pp.length} series`);
});

test("the 15090-equivalent listener serves the same exposition and nothing else", async () => {
  const gw = mesh!.ingress;
  const prom = gw.listeners.prometheus;
  assert.ok(prom, "the gateway has a prometheus listener");
  const r = await httpGet(prom, "/stats/prometheus");
  assert.equal(r.status, 200);
  assert.match(r.body, /^# TYPE istio_request_bytes histogram$/m);
  assert.equal((await httpGet(prom, "/config_dump")).status, 404);
});
