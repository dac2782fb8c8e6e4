// Real Envoy against the control plane under wrangler dev: the generated bootstrap, REST xDS,
// the remote wasm filters and EDS from a registered endpoint, checked by sending a request
// through a gateway listener to a local HTTP server. Runs only when `envoy` is on PATH:
//   ENVOY=/path/to/envoy npm test      (or put envoy on PATH; any Envoy ≥ 1.28 with the v8 wasm runtime)
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort } from "../../local/free-port.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

function envoyBinary(): string | undefined {
  if (process.env.ENVOY) return process.env.ENVOY;
  try {
    return execFileSync("sh", ["-c", "command -v envoy"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const ENVOY = envoyBinary();
const SKIP = ENVOY ? false : "no envoy binary on PATH (set ENVOY=/path/to/envoy or install Envoy to run this test; see README 'Run a real Envoy')";

let w: TestWorker;
let envoy: ChildProcess | undefined;
let app: Server;
let gatewayPort: number;
let log = "";

before(async () => {
  if (SKIP) return;
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  const appPort = await freePort();
  gatewayPort = await freePort();
  app = createServer((req, res) => res.end(`echo ${req.method} ${req.url} host=${req.headers.host}`)).listen(appPort, "127.0.0.1");
  const yaml = `apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080, targetPort: ${appPort}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: default}
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec: {containers: [{name: echo, image: echo, ports: [{containerPort: ${appPort}}]}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: default}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: ${gatewayPort}, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo, namespace: default}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: echo, port: 8080}]}]
`;
  assert.equal((await w.kubectl(["apply", "-f", "-"], { input: yaml })).code, 0);
  const token = await w.workloadToken("default", "edge-istio");
  const r = await w.request(`/mesh/v1/bootstrap/default/edge-istio?pod=edge-istio-1&ip=127.0.0.1`, { token });
  assert.equal(r.status, 200, r.body);
  const bootstrap = r.json();
  // wrangler dev's certificate comes from a test CA: trust it, and move the admin port off 15000.
  const cp = bootstrap.static_resources.clusters[0];
  cp.transport_socket.typed_config.common_tls_context.validation_context.trusted_ca = { inline_string: w.ca };
  bootstrap.admin.address.socket_address.port_value = await freePort();
  for (const l of bootstrap.static_resources.listeners) l.address.socket_address.port_value = await freePort();
  const reg = await w.request("/mesh/v1/proxy/default/echo/endpoints/echo-1", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ ip: "127.0.0.1", ports: {} }) });
  assert.equal(reg.status, 201, reg.body);
  const dir = mkdtempSync(join(tmpdir(), "edge-mesh-envoy-"));
  writeFileSync(join(dir, "envoy.json"), JSON.stringify(bootstrap));
  envoy = spawn(ENVOY!, ["-c", join(dir, "envoy.json"), "--base-id", String(process.pid), "--log-level", "info"], { stdio: ["ignore", "pipe", "pipe"] });
  envoy.stdout!.on("data", (d) => (log += d));
  envoy.stderr!.on("data", (d) => (log += d));
});

after(async () => {
  envoy?.kill("SIGTERM");
  app?.close();
  await w?.stop();
});

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: gatewayPort, path, headers: { host: "echo.example.com" } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("Envoy loads the bootstrap, xDS and wasm filters, and routes a request to the registered endpoint", { skip: SKIP, timeout: 120_000 }, async () => {
  let last = "";
  for (let i = 0; i < 90; i++) {
    try {
      const r = await get("/hello");
      last = `${r.status} ${r.body}`;
      if (r.status === 200) {
        assert.match(r.body, /^echo GET \/hello/);
        return;
      }
    } catch (e) {
      last = String(e);
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  assert.fail(`no route through Envoy after 90 s (last: ${last})\n${log.slice(-4000)}`);
});
