// Issue 16 end to end with real traffic: Bookinfo through the dev proxies (the real stats.wasm in
// every sidecar and the ingress gateway), reviews split 50/50 between v1 and v3, the real
// Prometheus scraping every proxy's /stats/prometheus each second, and the real Worker under
// wrangler dev answering GET /mesh/v1/graph from that Prometheus, shown by the dashboard's Graph
// view in real Chromium (screenshot: test/ui/artifacts/observe-graph.png).
//
// Counting is exact where Prometheus allows it: a warm-up creates every series first, so the
// counters' deltas between two instant queries equal the requests the pages showed; and the
// shares over a window that starts after the warm-up come from one target's scrapes (productpage's
// source reports), which rate() extrapolates by the same factor, so they match the pages' shares.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import type { PromSample, ServiceGraph } from "../../control/graph/build.ts";
import { queryVector } from "../../control/graph/prometheus.ts";
import { httpsRequest } from "../../local/https-request.ts";
import { type RunningPrometheus, scrapeTargets, startPrometheus } from "../../local/prometheus.ts";
import { freePort } from "../../local/free-port.ts";
import { bookinfoSample } from "../../local/demo-mesh.ts";
import { PROMETHEUS, skipWithoutPrometheus } from "../graph/support.ts";
import { type MeshUnderTest, startMeshUnderTest } from "../tour/mesh-under-test.ts";
import { waitForRevision } from "../tour/tour.ts";
import { observe, type Observation } from "../tour/traffic.ts";
import { ARTIFACTS, launchChromium, openGraphView, skipWithoutChromium } from "../ui/chromium.ts";

const N = 200;
const WARMUP = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// productpage's calls to reviews as its sidecar reports them (reporter="source"), per version.
const TO_REVIEWS = 'istio_requests_total{reporter="source",source_workload="productpage-v1",destination_service_name="reviews",response_code="200"}';
// The same calls as the reviews sidecars report them, with how the connection arrived.
const AT_REVIEWS = 'istio_requests_total{reporter="destination",source_workload="productpage-v1",destination_service_name="reviews",response_code="200"}';
// The gateway's calls as productpage's sidecar reports them.
const AT_PRODUCTPAGE = 'istio_requests_total{reporter="destination",source_workload="bookinfo-gateway-istio",destination_workload="productpage-v1",response_code="200"}';

let run: MeshUnderTest | undefined;
let prometheus: RunningPrometheus | undefined;
let browser: Browser | undefined;
let promDir: string | undefined;
/** What the pages showed: the warm-up, then the N requests the window counts. */
let warm: Observation;
let sent: Observation;
/** Seconds from the last flat sample before the N requests to the moment Prometheus held them all. */
let windowStart = 0;

const prom = (q: string) => queryVector(new URL(prometheus!.url), q);

/** `sum by (labels)` of an instant query, keyed by the labels' values joined with "/". */
async function sums(query: string, by: string[]): Promise<Record<string, number>> {
  const samples: PromSample[] = await prom(`sum by (${by.join(",")}) (${query})`);
  return Object.fromEntries(samples.map((s) => [by.map((l) => s.metric[l]).join("/"), Number(s.value[1])]));
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const share = (counts: Record<string, number | undefined>, v: string) => (counts[v] ?? 0) / ((counts.v1 ?? 0) + (counts.v3 ?? 0));

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v)} after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/** A window (Prometheus duration) that starts after the warm-up and covers all N requests. */
function window(): string {
  const seconds = Math.floor((Date.now() - windowStart) / 1000);
  assert.ok(seconds >= 10, `window ${seconds}s`);
  return `${seconds}s`;
}

async function graph(w: string): Promise<ServiceGraph> {
  const cp = run!.ctx.cp;
  const r = await httpsRequest(`${cp.url}/mesh/v1/graph?window=${w}`, { ca: cp.ca, headers: { authorization: `Bearer ${cp.token}` } });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as ServiceGraph;
}

describe("observability with real traffic: stats filter → Prometheus → graph → dashboard", { skip: skipWithoutPrometheus }, () => {
  before(async () => {
    assert.ok(PROMETHEUS);
    // The Worker learns Prometheus's URL when it starts, so the port is chosen before either runs.
    const port = await freePort();
    run = await startMeshUnderTest("observe", N, { MESH_PROMETHEUS_URL: `http://127.0.0.1:${port}` });
    const { ctx } = run;
    for (const file of ["networking/destination-rule-all.yaml", "networking/virtual-service-all-v1.yaml", "networking/virtual-service-reviews-50-v3.yaml"]) {
      const r = await ctx.applier.apply(bookinfoSample(file));
      assert.ok(r.ok, r.output);
    }
    await waitForRevision(ctx);
    promDir = mkdtempSync(join(tmpdir(), "edge-mesh-observe-prometheus-"));
    prometheus = await startPrometheus({ binary: PROMETHEUS, dir: promDir, port, targets: scrapeTargets(ctx.mesh.topology), scrapeIntervalSeconds: 1 });

    // Warm-up: every series exists (both versions) before the counted requests, so no request is
    // lost to a series' first scrape.
    warm = await observe(ctx.mesh.ingressAddress, WARMUP);
    assert.deepEqual(warm.failures, []);
    while (!warm.byVersion.v1 || !warm.byVersion.v3) {
      const more = await observe(ctx.mesh.ingressAddress, 5);
      for (const [v, n] of Object.entries(more.byVersion)) warm.byVersion[v] = (warm.byVersion[v] ?? 0) + n;
    }
    const warmTotal = total(warm.byVersion);
    await until("Prometheus holding the warm-up", () => sums(TO_REVIEWS, ["destination_version"]), (c) => total(c) === warmTotal);
    await sleep(2000);
    windowStart = Date.now();
    // A flat scrape inside the window before the first counted request.
    await sleep(2500);
    sent = await observe(ctx.mesh.ingressAddress, N);
    assert.deepEqual(sent.failures, []);
    assert.equal((sent.byVersion.v1 ?? 0) + (sent.byVersion.v3 ?? 0), N, JSON.stringify(sent.byVersion));
    await until("Prometheus holding every request", () => sums(TO_REVIEWS, ["destination_version"]), (c) => total(c) === warmTotal + N);
    await until("the reviews sidecars' reports scraped", () => sums(AT_REVIEWS, ["destination_version"]), (c) => total(c) === warmTotal + N);
    await until("productpage's sidecar's reports scraped", () => sums(AT_PRODUCTPAGE, []), (c) => total(c) === warmTotal + N);
    // Rates over windows of 10 s or more: let the window's start pass the warm-up's flat samples.
    while (Date.now() - windowStart < 11_000) await sleep(250);
    if (!skipWithoutChromium) {
      mkdirSync(ARTIFACTS, { recursive: true });
      browser = await launchChromium();
    }
  });

  after(async () => {
    await browser?.close();
    await prometheus?.stop();
    await run?.stop();
    if (promDir) rmSync(promDir, { recursive: true, force: true });
  });

  test("the pages show the configured 50/50 split (a test that cannot pass on a one-sided split)", () => {
    // Binomial(200, 0.5): ±15 points is more than four standard deviations.
    assert.ok(Math.abs(share(sent.byVersion, "v1") - 0.5) <= 0.15, JSON.stringify(sent.byVersion));
  });

  test("Prometheus holds every request: per version as the pages showed them, over mTLS at the reviews sidecars", async () => {
    const atSource = await sums(TO_REVIEWS, ["destination_version"]);
    const atDestination = await sums(AT_REVIEWS, ["destination_version", "connection_security_policy"]);
    for (const v of ["v1", "v3"]) {
      const expected = (warm.byVersion[v] ?? 0) + (sent.byVersion[v] ?? 0);
      assert.equal(atSource[v], expected, `productpage's count of calls to reviews ${v}`);
      assert.equal(atDestination[`${v}/mutual_tls`], expected, `reviews-${v}'s count of mutual_tls calls from productpage`);
    }
    assert.deepEqual(Object.keys(atDestination).sort(), ["v1/mutual_tls", "v3/mutual_tls"], "no calls without mTLS");
  });

  test("rate() over the window: v1 and v3 in the shares the pages showed", async () => {
    const w = window();
    const rates = await sums(`rate(${TO_REVIEWS}[${w}])`, ["destination_version"]);
    assert.deepEqual(Object.keys(rates).sort(), ["v1", "v3"]);
    for (const v of ["v1", "v3"]) {
      // rate() extrapolates each series over the window from its own scrapes: within 2 points of
      // the pages (the exact per-version counts are the test above).
      assert.ok(Math.abs(share(rates, v) - share(sent.byVersion, v)) < 0.02, `${v}: ${share(rates, v)} by Prometheus, ${share(sent.byVersion, v)} by the pages`);
    }
    // rate() extrapolates to the window's edges: the N requests, give or take two scrapes' share of the window.
    const counted = total(rates) * Number.parseInt(w);
    assert.ok(counted >= N * 0.95 && counted <= N * 1.3, `rate × window = ${counted} for ${N} requests over ${w}`);
    // The servers' view: different targets, scraped at other instants, so the shares are near rather than equal.
    const atServers = await sums(`rate(${AT_REVIEWS}[${w}])`, ["destination_version", "connection_security_policy"]);
    const served = { v1: atServers["v1/mutual_tls"], v3: atServers["v3/mutual_tls"] };
    assert.ok(Math.abs(share(served, "v1") - share(sent.byVersion, "v1")) < 0.05, `reviews sidecars: ${JSON.stringify(atServers)}, pages ${JSON.stringify(sent.byVersion)}`);
  });

  test("gateway → productpage: productpage's sidecar names the service from its inbound cluster, over mTLS", async () => {
    const counted = await sums(AT_PRODUCTPAGE, ["destination_service", "destination_service_name", "destination_service_namespace", "connection_security_policy"]);
    assert.deepEqual(counted, { "productpage.default.svc.cluster.local/productpage/default/mutual_tls": total(warm.byVersion) + N });
  });

  test("GET /mesh/v1/graph: productpage → reviews edges with rates and mTLS, the split observed as sent beside the configured 50/50", async () => {
    const w = window();
    const g = await graph(w);
    const edge = (source: string, target: string) => {
      const e = g.edges.find((x) => x.source === `default/${source}` && x.target === `default/${target}`);
      assert.ok(e, `no edge ${source} → ${target} in ${JSON.stringify(g.edges)}`);
      return e;
    };
    for (const v of ["v1", "v3"]) {
      const e = edge("productpage-v1", `reviews-${v}`);
      assert.equal(e.service, "default/reviews");
      assert.ok(e.requestsPerSecond > 0, `productpage → reviews-${v} at ${e.requestsPerSecond} req/s`);
      assert.equal(e.errorShare, 0);
      assert.equal(e.mtlsShare, 1, `productpage → reviews-${v} over mTLS`);
    }
    const ingress = edge("bookinfo-gateway-istio", "productpage-v1");
    assert.equal(ingress.service, "default/productpage");
    assert.equal(ingress.mtlsShare, 1, "gateway → productpage over mTLS, as productpage's sidecar reported it");

    const split = g.splits.find((s) => s.source === "default/productpage-v1" && s.service === "default/reviews");
    assert.ok(split, JSON.stringify(g.splits));
    assert.deepEqual(
      split.configured?.shares.map((s) => [s.version, s.percent]),
      [
        ["v1", 50],
        ["v3", 50],
      ],
    );
    assert.deepEqual(split.observed.map((o) => o.version), ["v1", "v3"]);
    for (const o of split.observed) {
      const expected = share(sent.byVersion, o.version) * 100;
      // The graph's window is its own (it may reach into the warm-up) and its shares are rounded:
      // within a point of the pages; the exact match is the rate() test above.
      assert.ok(Math.abs(o.percent - expected) <= 1, `observed ${o.version} ${o.percent} %, the pages ${expected.toFixed(2)} %`);
    }
  });

  test("the dashboard's Graph view shows the productpage → reviews edges and the observed split", { skip: skipWithoutChromium }, async () => {
    const cp = run!.ctx.cp;
    const context = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      await openGraphView(page, cp.url, cp.token);
      for (const v of ["v1", "v3"]) {
        const e = page.locator(`[data-edge="default/productpage-v1 default/reviews-${v}"]`);
        await e.waitFor({ timeout: 20_000 });
        assert.match((await e.getAttribute("aria-label")) ?? "", new RegExp(`^productpage v1 → reviews ${v}: \\d+\\.\\d\\d rps · 0 % err · p95 [\\d.]+ ms, mTLS 100 %$`));
        assert.equal(await e.locator(".lock").count(), 1, `a lock on productpage → reviews-${v}`);
      }
      const ingress = page.locator('[data-edge="default/bookinfo-gateway-istio default/productpage-v1"]');
      await ingress.waitFor();
      assert.equal(await ingress.locator(".lock").count(), 1, "a lock on gateway → productpage: its sidecar reports it under productpage's service");
      // The view's window is the last minute: the warm-up counts there too (some of it before
      // Prometheus's first sample of a series, which rate() cannot see), hence the margin.
      const all = { v1: (warm.byVersion.v1 ?? 0) + (sent.byVersion.v1 ?? 0), v3: (warm.byVersion.v3 ?? 0) + (sent.byVersion.v3 ?? 0) };
      const split = page.locator('tr[data-split="default/productpage-v1 default/reviews"]');
      const sentence = (await split.locator(".sentence").textContent()) ?? "";
      const m = /^reviews: configured v1 50 % \/ v3 50 %, observed v1 ([\d.]+) % \/ v3 ([\d.]+) % \(last 1m\)$/.exec(sentence);
      assert.ok(m, sentence);
      assert.ok(Math.abs(Number(m[1]) - share(all, "v1") * 100) <= 4, `${sentence}; pages: ${JSON.stringify(all)}`);
      assert.ok(Math.abs(Number(m[1]) + Number(m[2]) - 100) <= 0.2, sentence);
      const observed = await split.getByRole("list", { name: "Observed split" }).getByRole("listitem").allTextContents();
      assert.deepEqual(observed, [`v1 ${m[1]} %`, `v3 ${m[2]} %`]);
      await page.screenshot({ path: `${ARTIFACTS}observe-graph.png`, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
