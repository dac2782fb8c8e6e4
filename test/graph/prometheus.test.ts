// The Prometheus side, without the Worker: the scrape config the demo writes (checked by
// Debian's promtool when installed), and the query client's answers to a Prometheus that is
// unconfigured, unreachable, slow, not Prometheus, or refusing the query.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse } from "yaml";
import { PrometheusError, prometheusBase, queryVector } from "../../control/graph/prometheus.ts";
import { scrapeConfig, scrapeTargets } from "../../local/prometheus.ts";
import { freePort } from "../../local/free-port.ts";

const PROMTOOL = "/usr/bin/promtool";

test("scrape config: every proxy's admin listener at /stats/prometheus, labelled with its workload", () => {
  const topology = {
    controlPlane: { url: "https://127.0.0.1:8787", token: "t", kubeconfig: "k" },
    ingress: "127.0.0.1:8080",
    workloads: {
      "productpage-v1": { namespace: "default", app: "127.0.0.1:4000", sidecar: "127.0.0.1:4001", admin: "127.0.0.1:4002", pod: "p" },
      "bookinfo-gateway-istio": { namespace: "default", sidecar: "127.0.0.1:8080", admin: "127.0.0.1:4100", pod: "g" },
    },
  };
  const yaml = scrapeConfig(scrapeTargets(topology), 2);
  const config = parse(yaml);
  assert.equal(config.global.scrape_interval, "2s");
  assert.equal(config.scrape_configs[0].metrics_path, "/stats/prometheus");
  assert.deepEqual(config.scrape_configs[0].static_configs, [
    { targets: ["127.0.0.1:4002"], labels: { namespace: "default", workload: "productpage-v1" } },
    { targets: ["127.0.0.1:4100"], labels: { namespace: "default", workload: "bookinfo-gateway-istio" } },
  ]);
  if (!existsSync(PROMTOOL)) return;
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-promtool-"));
  try {
    writeFileSync(join(dir, "prometheus.yml"), yaml);
    execFileSync(PROMTOOL, ["check", "config", join(dir, "prometheus.yml")], { stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("MESH_PROMETHEUS_URL: unset, not a URL, another scheme or with credentials is a 503 naming the variable", () => {
  for (const [value, reason] of [
    [undefined, /no Prometheus is configured: set the Worker variable MESH_PROMETHEUS_URL/],
    ["  ", /no Prometheus is configured/],
    ["prometheus:9090", /MESH_PROMETHEUS_URL must be an http or https URL/],
    ["not a url", /MESH_PROMETHEUS_URL is not a URL/],
    ["http://admin:secret@127.0.0.1:9090", /MESH_PROMETHEUS_URL must not carry credentials/],
  ] as const) {
    assert.throws(
      () => prometheusBase(value),
      (e: unknown) => e instanceof PrometheusError && e.code === 503 && reason.test(e.message) && !e.message.includes("secret"),
      String(value),
    );
  }
  assert.equal(prometheusBase("http://127.0.0.1:9090/prom/").href, "http://127.0.0.1:9090/prom/");
});

let server: Server;
let base: URL;
const answers: Record<string, (res: import("node:http").ServerResponse) => void> = {
  "/ok/api/v1/query": (res) => res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [{ metric: { a: "b" }, value: [1, "2"] }] } })),
  "/html/api/v1/query": (res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>grafana</html>"),
  "/refuses/api/v1/query": (res) => res.writeHead(400).end(JSON.stringify({ status: "error", errorType: "bad_data", error: 'parse error at char 5: unexpected "}"' })),
  "/matrix/api/v1/query": (res) => res.end(JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } })),
  "/slow/api/v1/query": () => undefined, // never answers
};

before(async () => {
  server = createServer((req, res) => {
    const answer = answers[new URL(req.url!, "http://x").pathname];
    if (answer) answer(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const failsWith = async (path: string, code: number, reason: RegExp) =>
  assert.rejects(queryVector(new URL(path, base), "up"), (e: unknown) => e instanceof PrometheusError && e.code === code && reason.test(e.message));

test("queries: the instant vector from /api/v1/query under the configured path", async () => {
  assert.deepEqual(await queryVector(new URL("/ok/", base), "up"), [{ metric: { a: "b" }, value: [1, "2"] }]);
});

test("queries: an unreachable, slow, non-Prometheus or refusing server is a 502/504 with the reason", async () => {
  await failsWith(`http://127.0.0.1:${await freePort()}/`, 502, /^Prometheus at http:\/\/127\.0\.0\.1:\d+ could not be reached/);
  await failsWith("/html/", 502, /answered HTTP 200 without a JSON body: is MESH_PROMETHEUS_URL Prometheus's base URL\?/);
  await failsWith("/refuses/", 502, /refused the query \(HTTP 400, bad_data\): parse error/);
  await failsWith("/matrix/", 502, /answered a matrix result, not an instant vector/);
  await failsWith("/slow/", 504, /did not answer within 5 s/);
});
