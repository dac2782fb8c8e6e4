// TLS at the gateway, end to end: a Secret made with the real `kubectl create secret tls`, a
// Gateway API HTTPS listener naming it, the Worker under wrangler dev, and the dev proxy as the
// gateway (its certificate from LDS, as Envoy's would be); the real curl checks the handshake
// with --cacert. A cross-namespace backendRef answers 500 until a ReferenceGrant permits it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { DevProxy, LocalDevCa, StaticEndpoints, type Endpoint } from "../../local/devproxy/index.ts";
import { PROJECT_ROOT } from "../../local/wrangler-dev.ts";
import { freePort } from "../../local/free-port.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

const TLS = new URL("../mesh/tls/", import.meta.url).pathname;
const HOST = "bookinfo.example.com";

const MESH = `
apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Service
metadata: { name: ratings, namespace: shop }
spec: { selector: { app: ratings }, ports: [{ name: http, port: 9080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: productpage, namespace: default }
spec: { selector: { app: productpage }, ports: [{ name: http, port: 9080 }] }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  gatewayClassName: istio
  listeners:
    - { name: https, port: 443, protocol: HTTPS, hostname: ${HOST}, tls: { certificateRefs: [{ name: bookinfo-cert }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bookinfo, namespace: default }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /productpage } }]
      backendRefs: [{ name: productpage, port: 9080 }]
    - matches: [{ path: { type: PathPrefix, value: /ratings } }]
      backendRefs: [{ name: ratings, namespace: shop, port: 9080 }]
`;

const GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: default-routes, namespace: shop }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default }]
  to: [{ group: "", kind: Service, name: ratings }]
`;

let w: TestWorker;
let gateway: DevProxy;
let port: number;
const apps: Server[] = [];

async function app(name: string): Promise<string> {
  const server = createServer((req, res) => res.end(`${name} ${req.url} proto=${req.headers["x-forwarded-proto"]}`));
  apps.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function curl(path: string, extra: string[] = []): Promise<{ code: number; status: number; body: string; stderr: string }> {
  const args = ["-sS", "--max-time", "5", "--cacert", join(TLS, "bookinfo.crt"), "--resolve", `${HOST}:${port}:127.0.0.1`, "-w", "\n%{http_code}", ...extra, `https://${HOST}:${port}${path}`];
  try {
    const { stdout, stderr } = await promisify(execFile)("curl", args);
    const i = stdout.lastIndexOf("\n");
    return { code: 0, status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i), stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, status: 0, body: "", stderr: e.stderr };
  }
}

async function eventually(what: string, check: () => Promise<string | null>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  let last: string | null = "never ran";
  while (Date.now() < end) {
    last = await check();
    if (last === null) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.fail(`${what}: ${last}`);
}

before(async () => {
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  const created = await w.kubectl(["create", "secret", "tls", "bookinfo-cert", "--cert", join(TLS, "bookinfo.crt"), "--key", join(TLS, "bookinfo.key")]);
  assert.equal(created.code, 0, created.stderr);
  const applied = await w.kubectl(["apply", "-f", "-"], { input: MESH });
  assert.equal(applied.code, 0, applied.stderr);
  const endpoints: Endpoint[] = [
    { namespace: "shop", workload: "ratings-v1", pod: "ratings-v1-a", serviceAccount: "default", labels: { app: "ratings" }, address: await app("ratings"), sidecar: false },
    { namespace: "default", workload: "productpage-v1", pod: "productpage-v1-a", serviceAccount: "default", labels: { app: "productpage" }, address: await app("productpage"), sidecar: false },
  ];
  const snapshot = await w.request("/mesh/v1/snapshot/default/edge-istio");
  assert.equal(snapshot.status, 200, snapshot.body);
  const serviceAccount = (snapshot.json() as { workload: { serviceAccount: string } }).workload.serviceAccount;
  port = await freePort();
  gateway = await DevProxy.start({
    mode: "gateway",
    namespace: "default",
    workload: "edge-istio",
    pod: "edge-istio-abcde-fghij",
    serviceAccount,
    controlPlane: { url: w.url, ca: w.ca, token: await w.workloadToken("default", serviceAccount) },
    wasmDir: join(PROJECT_ROOT, "build"),
    pollMs: 300,
    endpoints: new StaticEndpoints(() => endpoints),
    fallbackCa: await LocalDevCa.create(),
    listen: { host: "127.0.0.1", port },
    gatewayPort: 443,
  });
});

after(async () => {
  await gateway?.stop();
  for (const s of apps) s.close();
  await w?.stop();
});

test("kubectl create secret tls round-trips: type kubernetes.io/tls, both keys, the certificate as given", async () => {
  const got = await w.kubectl(["get", "secret", "bookinfo-cert", "-o", "json"]);
  assert.equal(got.code, 0, got.stderr);
  const secret = JSON.parse(got.stdout) as { type: string; data: Record<string, string> };
  assert.equal(secret.type, "kubernetes.io/tls");
  assert.deepEqual(Object.keys(secret.data).sort(), ["tls.crt", "tls.key"]);
  const { readFileSync } = await import("node:fs");
  assert.equal(Buffer.from(secret.data["tls.crt"], "base64").toString(), readFileSync(join(TLS, "bookinfo.crt"), "utf8"));
});

test("the Gateway's HTTPS listener is Programmed with ResolvedRefs True", async () => {
  const got = await w.kubectl(["get", "gateways.gateway.networking.k8s.io", "edge", "-o", "json"]);
  assert.equal(got.code, 0, got.stderr);
  const listener = (JSON.parse(got.stdout) as { status: { listeners: { name: string; conditions: { type: string; status: string }[] }[] } }).status.listeners[0];
  assert.deepEqual(listener.conditions.filter((c) => c.type === "Programmed" || c.type === "ResolvedRefs").map((c) => [c.type, c.status]), [["Programmed", "True"], ["ResolvedRefs", "True"]]);
});

test("curl --cacert completes the TLS handshake with the Secret's certificate and reaches the backend", async () => {
  await eventually("HTTPS /productpage", async () => {
    const r = await curl("/productpage");
    return r.status === 200 ? null : `curl exit ${r.code} status ${r.status}: ${r.stderr}`;
  });
  const r = await curl("/productpage", ["-v"]);
  assert.equal(r.body, "productpage /productpage proto=https");
  assert.match(r.stderr, /subject: CN=bookinfo\.example\.com/);
  assert.match(r.stderr, /SSL certificate verify ok/);
  assert.deepEqual(gateway.status().tls, { serverNames: [[HOST]] });
});

test("the listener serves no plaintext, and a client that does not trust the certificate fails the handshake", async () => {
  const plain = await promisify(execFile)("curl", ["-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", `http://127.0.0.1:${port}/productpage`]).catch((e: { code: number }) => ({ stdout: `exit ${e.code}` }));
  assert.notEqual(plain.stdout, "200");
  const untrusted = await promisify(execFile)("curl", ["-sS", "--max-time", "5", "--resolve", `${HOST}:${port}:127.0.0.1`, `https://${HOST}:${port}/productpage`]).catch((e: { code: number }) => ({ stdout: `exit ${e.code}` }));
  assert.equal(untrusted.stdout, "exit 60", "curl: peer certificate cannot be authenticated");
});

test("a backendRef into another namespace answers 500 until a ReferenceGrant permits it, then reaches it", async () => {
  const refused = await curl("/ratings");
  assert.equal(refused.status, 500, refused.stderr);
  const status = await w.kubectl(["get", "httproute", "bookinfo", "-o", "jsonpath={.status.parents[0].conditions[?(@.type==\"ResolvedRefs\")].reason}"]);
  assert.equal(status.stdout, "RefNotPermitted");
  const applied = await w.kubectl(["apply", "-f", "-"], { input: GRANT });
  assert.equal(applied.code, 0, applied.stderr);
  await eventually("HTTPS /ratings after the grant", async () => {
    const r = await curl("/ratings");
    return r.status === 200 && r.body === "ratings /ratings proto=https" ? null : `status ${r.status}: ${r.body}`;
  });
  const deleted = await w.kubectl(["delete", "referencegrant", "-n", "shop", "default-routes"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  await eventually("HTTPS /ratings after the grant is deleted", async () => {
    const r = await curl("/ratings");
    return r.status === 500 ? null : `status ${r.status}`;
  });
});

test("the key reaches the gateway's own LDS only: not the snapshot, explain, history or another workload's token", async () => {
  const key = (await import("node:fs")).readFileSync(join(TLS, "bookinfo.key"), "utf8");
  const keyBase64 = Buffer.from(key).toString("base64");
  const revision = ((await w.request("/mesh/v1/revisions?limit=1")).json() as { items: { revision: number }[] }).items[0].revision;
  const views = {
    snapshot: await w.request("/mesh/v1/snapshot/default/edge-istio"),
    served: await w.request("/mesh/v1/served"),
    history: await w.request(`/mesh/v1/revisions/${revision}`),
    diff: await w.request(`/mesh/v1/revisions/1/diff/${revision}`),
    explain: await w.request("/mesh/v1/explain", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source: { namespace: "default", workload: "edge-istio" }, request: { authority: HOST, path: "/productpage", method: "GET", headers: {} }, port: 443 }),
    }),
  };
  for (const [name, r] of Object.entries(views)) {
    assert.equal(r.status, 200, `${name}: ${r.body}`);
    assert.ok(!r.body.includes("PRIVATE KEY") && !r.body.includes(keyBase64), `${name} shows the key`);
  }
  assert.match(views.history.body, /"tls\.key":"<redacted>"/);
  assert.match(views.explain.body, /productpage\.default\.svc\.cluster\.local/);
  const node = { node: { id: "router~127.0.0.1~edge-istio-x.default~default.svc.cluster.local", metadata: { NAMESPACE: "default", WORKLOAD_NAME: "edge-istio" } } };
  const other = await w.request("/v3/discovery:listeners", { method: "POST", body: JSON.stringify(node), token: await w.workloadToken("shop", "default") });
  assert.equal(other.status, 403, other.body);
  const own = await w.request("/v3/discovery:listeners", { method: "POST", body: JSON.stringify(node), token: await w.workloadToken("default", gateway.options.serviceAccount) });
  assert.equal(own.status, 200, own.body);
  assert.ok(own.body.includes(JSON.stringify(key).slice(1, -1)), "the gateway's LDS carries its key inline");
});
