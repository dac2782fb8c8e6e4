// The service graph's end-to-end setup: fixture proxies exporting Istio's metrics, the real
// Prometheus scraping them every second, and the real Worker under wrangler dev configured with
// that Prometheus (MESH_PROMETHEUS_URL), Bookinfo applied with kubectl under a 50/50 reviews split.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPrometheus, PROMETHEUS_INSTALL_HINT, type RunningPrometheus, startPrometheus } from "../../local/prometheus.ts";
import type { ServiceGraph } from "../../control/graph/build.ts";
import { freePort } from "../../local/free-port.ts";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";
import { BOOKINFO_50_V3, startFixtureProxies, type FixtureProxies } from "./fixture-exporter.ts";

export const PROMETHEUS = findPrometheus();
// Developers without Prometheus get a skip; CI (which installs it in .ci/run) must run the test.
export const skipWithoutPrometheus = !PROMETHEUS && process.env.CI !== "true" ? `no prometheus binary (${PROMETHEUS_INSTALL_HINT})` : false;

export interface GraphSetup {
  worker: TestWorker;
  prometheus: RunningPrometheus;
  fixtures: FixtureProxies;
  stop(): Promise<void>;
}

export const bookinfo = (p: string) => `${SAMPLES}bookinfo/${p}`;

export async function startGraphSetup(): Promise<GraphSetup> {
  assert.ok(PROMETHEUS, `no prometheus binary: ${PROMETHEUS_INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-prometheus-"));
  const fixtures = await startFixtureProxies(BOOKINFO_50_V3);
  const port = await freePort();
  const [worker, prometheus] = await Promise.all([
    startTestWorker({ MESH_POINTER_TTL_SECONDS: "0", MESH_PROMETHEUS_URL: `http://127.0.0.1:${port}` }),
    startPrometheus({ binary: PROMETHEUS, dir, port, targets: fixtures.targets, scrapeIntervalSeconds: 1 }),
  ]);
  await worker.apply(bookinfo("platform/kube/bookinfo.yaml"), bookinfo("networking/destination-rule-all.yaml"), bookinfo("networking/virtual-service-reviews-50-v3.yaml"));
  return {
    worker,
    prometheus,
    fixtures,
    async stop() {
      await Promise.all([worker.stop(), prometheus.stop(), fixtures.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The graph once Prometheus holds a full window of scrapes: rate() over fewer samples than the
 * window extrapolates low, so wait until productpage → reviews-v1 reads its fixture rate (4.8/s).
 */
export async function settledGraph(worker: TestWorker, window = "10s"): Promise<ServiceGraph> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await worker.request(`/mesh/v1/graph?window=${window}`);
    assert.equal(r.status, 200, r.body);
    const graph = r.json() as ServiceGraph;
    const v1 = graph.edges.find((e) => e.source === "default/productpage-v1" && e.target === "default/reviews-v1");
    if (v1 && Math.abs(v1.requestsPerSecond - 4.8) < 0.1 && graph.edges.length === 4) return graph;
    if (Date.now() > deadline) assert.fail(`the graph did not settle within 60 s: ${r.body}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
}
