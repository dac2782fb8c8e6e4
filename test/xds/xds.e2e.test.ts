// REST xDS, bootstrap, wasm serving and endpoint registration, end to end through the Worker under
// wrangler dev, as Envoy would drive them. Every document is parsed strictly against Envoy's protos.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request as httpsGet } from "node:https";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";
import { assertEnvoyJson } from "./envoy-proto.ts";

const require = createRequire(import.meta.url);
let w: TestWorker;
const sample = (p: string) => `${SAMPLES}bookinfo/${p}`;
const DISCOVERY = "envoy.service.discovery.v3.DiscoveryResponse";

before(async () => {
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  await w.apply(...["platform/kube/bookinfo.yaml", "networking/destination-rule-all.yaml", "networking/virtual-service-all-v1.yaml"].map(sample));
});
after(async () => {
  await w?.stop();
});

const workloadToken = (namespace: string, serviceAccount: string) => w.workloadToken(namespace, serviceAccount);

async function bootstrapFor(namespace: string, workload: string, sa: string, ip: string, token: string) {
  const q = new URLSearchParams({ pod: `${workload}-5d8f9c-x1`, ip, serviceAccount: sa, probers: JSON.stringify({ "/app-health/app/readyz": { httpGet: { path: "/health", port: 9080 } } }) });
  return w.request(`/mesh/v1/bootstrap/${namespace}/${workload}?${q}`, { token });
}

function fetchBytes(path: string): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(`${w.url}${path}`, { ca: w.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** What Envoy POSTs: its node (with the token in metadata), the last accepted version. */
function discovery(kind: string, node: object, version = "", extra: object = {}) {
  return w.request(`/v3/discovery:${kind}`, {
    method: "POST",
    token: null,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version_info: version, node, resource_names: [], ...extra }),
  });
}

describe("bootstrap → xDS", () => {
  let node: any;
  let productpageToken: string;

  test("the bootstrap carries Istio's node identity and a fresh workload token, and validates", async () => {
    productpageToken = await workloadToken("default", "bookinfo-productpage");
    const r = await bootstrapFor("default", "productpage-v1", "bookinfo-productpage", "10.1.0.5", productpageToken);
    assert.equal(r.status, 200, r.body);
    const b = r.json();
    assertEnvoyJson("envoy.config.bootstrap.v3.Bootstrap", b, "bootstrap");
    assert.equal(b.node.id, "sidecar~10.1.0.5~productpage-v1-5d8f9c-x1.default~default.svc.cluster.local");
    assert.deepEqual(b.node.metadata.LABELS, { app: "productpage", version: "v1" });
    assert.equal(b.dynamic_resources.lds_config.api_config_source.cluster_names[0], new URL(w.url).host);
    node = b.node;
    const other = await bootstrapFor("default", "productpage-v1", "bookinfo-reviews", "10.1.0.5", productpageToken);
    assert.equal(other.status, 403, other.body);
    assert.equal((await bootstrapFor("default", "productpage-v1", "bookinfo-productpage", "10.1.0.5", "nope")).status, 401);
  });

  test("LDS: first poll → resources + version; same version → 304 (Envoy: no update)", async () => {
    const first = await discovery("listeners", node);
    assert.equal(first.status, 200, first.body);
    const lds = first.json();
    assertEnvoyJson(DISCOVERY, lds, "LDS");
    assert.match(lds.version_info, /^\d+\.[0-9a-f]+$/);
    assert.deepEqual(lds.resources.map((l: any) => l.name), ["virtualInbound", "virtualOutbound"]);
    const again = await discovery("listeners", node, lds.version_info);
    assert.equal(again.status, 304);
    assert.equal(again.body, "");
    // A config change that reaches the workload moves the version.
    assert.equal((await w.kubectl(["apply", "-f", sample("networking/virtual-service-reviews-50-v3.yaml")])).code, 0);
    const moved = await discovery("listeners", node, lds.version_info);
    assert.equal(moved.status, 200);
    assert.notEqual(moved.json().version_info, lds.version_info);
  });

  test("RDS, CDS validate; clusters are named as Istio names them, EDS for mesh services", async () => {
    const rds = await discovery("routes", node, "", { resource_names: ["outbound"] });
    assert.equal(rds.status, 200, rds.body);
    assertEnvoyJson(DISCOVERY, rds.json(), "RDS");
    assert.deepEqual(rds.json().resources.map((r: any) => r.name), ["outbound"]);
    const cds = await discovery("clusters", node);
    assertEnvoyJson(DISCOVERY, cds.json(), "CDS");
    const names = cds.json().resources.map((c: any) => c.name);
    assert.ok(names.includes("outbound|9080|v1|reviews.default.svc.cluster.local"), names.join());
    const reviews = cds.json().resources.find((c: any) => c.name === "outbound|9080|v1|reviews.default.svc.cluster.local");
    assert.equal(reviews.type, "EDS");
    assert.equal(reviews.eds_cluster_config.service_name, reviews.name);
  });

  test("a node from another namespace, with its own token, gets 403", async () => {
    assert.equal((await w.kubectl(["apply", "-f", "-"], { input: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n" })).code, 0);
    const otherToken = await workloadToken("other", "default");
    const claimed = { ...node, metadata: { ...node.metadata, EDGE_MESH_TOKEN: otherToken } };
    const r = await discovery("listeners", claimed);
    assert.equal(r.status, 403, r.body);
    const wrongSa = { ...node, metadata: { ...node.metadata, SERVICE_ACCOUNT: "bookinfo-reviews" } };
    assert.equal((await discovery("clusters", wrongSa)).status, 403);
    const noToken = { ...node, metadata: { ...node.metadata, EDGE_MESH_TOKEN: undefined } };
    assert.equal((await discovery("clusters", noToken)).status, 401);
  });

  test("a NACK (error_detail) is recorded and listed", async () => {
    const r = await discovery("clusters", node, "1.deadbeef", { response_nonce: "1.deadbeef", type_url: "type.googleapis.com/envoy.config.cluster.v3.Cluster", error_detail: { code: 3, message: "Proto constraint validation failed: bad cluster" } });
    assert.equal(r.status, 200);
    let items: any[] = [];
    for (let i = 0; i < 20 && items.length === 0; i++) {
      items = (await w.request("/mesh/v1/xds/nacks?namespace=default")).json().items;
      if (!items.length) await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(items[0].workload, "default/productpage-v1");
    assert.equal(items[0].message, "Proto constraint validation failed: bad cluster");
    assert.equal(items[0].nodeId, node.id);
  });

  test("the wasm at /filters/router.wasm hashes to the sha256 in the listener config", async () => {
    const lds = (await discovery("listeners", node)).json();
    const filters = lds.resources[1].filter_chains[0].filters[0].typed_config.http_filters;
    const router = filters.find((f: any) => f.name === "edge-mesh.router").typed_config.config;
    const { sha256, http_uri } = router.vm_config.code.remote;
    const plugin = JSON.parse(router.configuration.value);
    assert.equal(plugin.token.split(".").length, 3, "the proxy's own workload token");
    assert.equal(plugin.path, "/mesh/v1/proxy/default/productpage-v1/filter-config");
    for (const path of ["/filters/router.wasm", new URL(http_uri.uri).pathname]) {
      const r = await fetchBytes(path);
      assert.equal(r.status, 200);
      assert.equal(r.headers["content-type"], "application/wasm");
      assert.equal(createHash("sha256").update(r.bytes).digest("hex"), sha256, path);
    }
    const immutable = await w.request(new URL(http_uri.uri).pathname, { token: null });
    assert.match(String(immutable.headers["cache-control"]), /immutable/);
  });

  test("endpoint registration: EDS serves registered pods per subset; heartbeats do not move versions", async () => {
    const reviewsToken = await workloadToken("default", "bookinfo-reviews");
    const put = (workload: string, pod: string, ip: string, token = reviewsToken) =>
      w.request(`/mesh/v1/proxy/default/${workload}/endpoints/${pod}`, { method: "PUT", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ ip, ports: { http: 9080 }, mtls: true }) });
    assert.equal((await put("reviews-v1", "reviews-v1-a", "10.2.0.1")).status, 201);
    assert.equal((await put("reviews-v2", "reviews-v2-a", "10.2.0.2")).status, 201);
    assert.equal((await put("reviews-v1", "reviews-v1-a", "10.2.0.1")).status, 200, "a heartbeat");
    assert.equal((await put("reviews-v1", "reviews-v1-x", "10.2.0.9", productpageToken)).status, 403);
    const eds = async (name: string, version = "") => discovery("endpoints", node, version, { resource_names: [name] });
    let r = await eds("outbound|9080|v1|reviews.default.svc.cluster.local");
    for (let i = 0; i < 30 && !r.json().resources[0].endpoints.length; i++) {
      await new Promise((res) => setTimeout(res, 200));
      r = await eds("outbound|9080|v1|reviews.default.svc.cluster.local");
    }
    assertEnvoyJson(DISCOVERY, r.json(), "EDS");
    const lb = r.json().resources[0].endpoints[0].lb_endpoints;
    assert.deepEqual(lb.map((e: any) => e.endpoint.address.socket_address), [{ address: "10.2.0.1", port_value: 9080 }]);
    assert.equal(lb[0].metadata.filter_metadata["envoy.transport_socket_match"].tlsMode, "istio");
    const all = await eds("outbound|9080||reviews.default.svc.cluster.local");
    assert.equal(all.json().resources[0].endpoints[0].lb_endpoints.length, 2);
    assert.equal((await eds("outbound|9080|v1|reviews.default.svc.cluster.local", r.json().version_info)).status, 304);
    // Deregistration removes the pod.
    const del = await w.request("/mesh/v1/proxy/default/reviews-v1/endpoints/reviews-v1-a", { method: "DELETE", token: reviewsToken });
    assert.equal(del.status, 200, del.body);
    let gone = await eds("outbound|9080|v1|reviews.default.svc.cluster.local", r.json().version_info);
    for (let i = 0; i < 30 && gone.status === 304; i++) {
      await new Promise((res) => setTimeout(res, 200));
      gone = await eds("outbound|9080|v1|reviews.default.svc.cluster.local", r.json().version_info);
    }
    assert.equal(gone.status, 200);
    assert.deepEqual(gone.json().resources[0].endpoints, []);
  });

  test("a workload token cannot move another workload's pod or remove it (403 naming the owner)", async () => {
    const reviewsToken = await workloadToken("default", "bookinfo-reviews");
    const detailsToken = await workloadToken("default", "bookinfo-details");
    const put = (workload: string, token: string) =>
      w.request(`/mesh/v1/proxy/default/${workload}/endpoints/reviews-v1-abc`, { method: "PUT", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ ip: "10.2.0.7", ports: { http: 9080 }, mtls: true }) });
    assert.equal((await put("reviews-v1", reviewsToken)).status, 201);
    const moved = await put("details-v1", detailsToken);
    assert.equal(moved.status, 403, moved.body);
    assert.equal(moved.json().kind, "Status");
    assert.match(moved.json().message, /pod reviews-v1-abc is registered to workload default\/reviews-v1 \(service account bookinfo-reviews\)/);
    const removed = await w.request("/mesh/v1/proxy/default/reviews-v1/endpoints/reviews-v1-abc", { method: "DELETE", token: detailsToken });
    assert.equal(removed.status, 403, removed.body);
    assert.match(removed.json().message, /belongs to workload default\/reviews-v1 \(service account bookinfo-reviews\); this token runs as default\/bookinfo-details/);
    // The pod stays in reviews' cluster and never reaches details' (after the 1 s publish debounce).
    await new Promise((res) => setTimeout(res, 1500));
    const eds = (name: string) => discovery("endpoints", node, "", { resource_names: [name] });
    const hosts = async (name: string) => ((await eds(name)).json().resources[0].endpoints[0]?.lb_endpoints ?? []).map((e: any) => e.endpoint.hostname);
    assert.deepEqual(await hosts("outbound|9080|v1|reviews.default.svc.cluster.local"), ["reviews-v1-abc"]);
    assert.deepEqual(await hosts("outbound|9080||details.default.svc.cluster.local"), []);
    // Its owner still heartbeats and removes it.
    assert.equal((await put("reviews-v1", reviewsToken)).status, 200);
    assert.equal((await w.request("/mesh/v1/proxy/default/reviews-v1/endpoints/reviews-v1-abc", { method: "DELETE", token: reviewsToken })).json().removed, true);
  });
});

describe("mesh CA over HTTP", () => {
  test("POST /mesh/v1/ca/sign: own identity → chain to the root; another identity → 403; malformed → 400", async () => {
    const { X509Certificate } = await import("node:crypto");
    const { csrFor } = await import("../ca/support.ts");
    const token = await workloadToken("default", "bookinfo-ratings");
    const sign = (csr: string) =>
      w.request("/mesh/v1/ca/sign", { method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ csr, validitySeconds: 86400 }) });
    const ok = await sign(await csrFor([{ type: "url", value: "spiffe://cluster.local/ns/default/sa/bookinfo-ratings" }]));
    assert.equal(ok.status, 200, ok.body);
    const { certChain, root } = ok.json();
    const leaf = new X509Certificate(certChain[0]);
    assert.ok(leaf.verify(new X509Certificate(root).publicKey));
    assert.equal(leaf.subjectAltName, "URI:spiffe://cluster.local/ns/default/sa/bookinfo-ratings");
    const roots = await w.request("/mesh/v1/ca/roots", { token: null });
    assert.equal(roots.body, root);
    const other = await sign(await csrFor([{ type: "url", value: "spiffe://cluster.local/ns/default/sa/bookinfo-productpage" }]));
    assert.equal(other.status, 403, other.body);
    assert.equal((await sign("-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----")).status, 400);
    assert.equal((await w.request("/mesh/v1/ca/sign", { method: "POST", token: null, body: "{}" })).status, 401);
  });

  test("the cert agent writes key, chain, roots and SDS files Envoy accepts, and registers the pod", { skip: !tools("openssl", "curl") && "needs openssl and curl on PATH" }, async () => {
    const { execFile } = await import("node:child_process");
    const { mkdtempSync, readFileSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { X509Certificate } = await import("node:crypto");
    const dir = mkdtempSync(join(tmpdir(), "edge-mesh-agent-"));
    const token = await workloadToken("default", "bookinfo-details");
    writeFileSync(join(dir, "envoy.json"), JSON.stringify({ node: { metadata: { EDGE_MESH_TOKEN: token } } }));
    writeFileSync(join(dir, "ca.pem"), w.ca);
    const script = (await w.request("/mesh/v1/ca/agent.sh", { token: null })).body;
    writeFileSync(join(dir, "agent.sh"), script);
    const env = {
      ...process.env, MESH_URL: w.url, POD_NAMESPACE: "default", POD_NAME: "details-v1-abc", SERVICE_ACCOUNT: "bookinfo-details",
      WORKLOAD_NAME: "details-v1", INSTANCE_IP: "10.3.0.1", MESH_PORTS: '{"http":9080}', CERT_DIR: join(dir, "certs"),
      BOOTSTRAP: join(dir, "envoy.json"), CURL_OPTS: `--cacert ${join(dir, "ca.pem")}`, ONCE: "1",
    };
    await new Promise<void>((resolve, reject) => execFile("sh", [join(dir, "agent.sh")], { env }, (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
    const leaf = new X509Certificate(readFileSync(join(dir, "certs", "cert-chain.pem")));
    assert.equal(leaf.subjectAltName, "URI:spiffe://cluster.local/ns/default/sa/bookinfo-details");
    assert.ok(leaf.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(join(dir, "certs", "key.pem")))));
    for (const f of ["default.json", "ROOTCA.json"]) {
      const doc = JSON.parse(readFileSync(join(dir, "certs", f), "utf8"));
      assertEnvoyJson(DISCOVERY, doc, f);
      assert.ok(JSON.stringify(doc).includes(join(dir, "certs")));
    }
  });
});

function tools(...names: string[]): boolean {
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  return names.every((n) => {
    try {
      execFileSync("sh", ["-c", `command -v ${n}`]);
      return true;
    } catch {
      return false;
    }
  });
}

describe("gateways", () => {
  test("Gateway and HTTPRoute status as Istio writes it; kubectl get gtw shows PROGRAMMED", async () => {
    assert.equal((await w.kubectl(["apply", "-f", sample("gateway-api/bookinfo-gateway.yaml")])).code, 0);
    const annotated = await w.kubectl(["annotate", "gtw", "bookinfo-gateway", "networking.istio.io/service-type=NodePort"]);
    assert.equal(annotated.code, 0, annotated.stderr);
    const table = (await w.kubectl(["get", "gtw"])).stdout.trim().split("\n").map((l) => l.split(/\s{2,}/));
    assert.deepEqual(table[0], ["NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]);
    assert.deepEqual(table[1].slice(0, 4), ["bookinfo-gateway", "istio", "bookinfo-gateway-istio.default.svc.cluster.local", "True"]);
    const gtw = JSON.parse((await w.kubectl(["get", "gtw", "bookinfo-gateway", "-o", "json"])).stdout);
    assert.deepEqual(gtw.status.conditions.map((c: any) => [c.type, c.status, c.reason]), [["Accepted", "True", "Accepted"], ["Programmed", "True", "Programmed"]]);
    assert.equal(gtw.status.listeners[0].attachedRoutes, 1);
    const route = JSON.parse((await w.kubectl(["get", "httproute", "bookinfo", "-o", "json"])).stdout);
    const parent = route.status.parents[0];
    assert.equal(parent.controllerName, "istio.io/gateway-controller");
    assert.deepEqual(parent.conditions.map((c: any) => [c.type, c.status]), [["Accepted", "True"], ["ResolvedRefs", "True"]]);
  });

  test("the manifest runs stock Envoy with the bootstrap; the Service type follows the annotation", async () => {
    const r = await w.request("/mesh/v1/gateways/default/bookinfo-gateway/manifest");
    assert.equal(r.status, 200, r.body);
    const items = r.json().items;
    assert.deepEqual(items.map((o: any) => o.kind), ["ServiceAccount", "Deployment", "Service"]);
    const [, deployment, service] = items;
    assert.equal(deployment.metadata.name, "bookinfo-gateway-istio");
    assert.match(deployment.spec.template.spec.initContainers[0].env.find((e: any) => e.name === "BOOTSTRAP_URL").value, /\/mesh\/v1\/bootstrap\/default\/bookinfo-gateway-istio$/);
    assert.equal(service.spec.type, "NodePort");
    assert.deepEqual(service.spec.ports.map((p: any) => p.port), [15021, 80]);
    assert.equal((await w.request("/mesh/v1/gateways/default/nope/manifest")).status, 404);
  });

  test("the gateway proxy gets its listeners and routes through the same xDS", async () => {
    const token = await workloadToken("default", "bookinfo-gateway-istio");
    const b = await bootstrapFor("default", "bookinfo-gateway-istio", "bookinfo-gateway-istio", "10.4.0.1", token);
    assert.equal(b.status, 200, b.body);
    const node = b.json().node;
    assert.match(node.id, /^router~10\.4\.0\.1~/);
    const lds = await discovery("listeners", node);
    assertEnvoyJson(DISCOVERY, lds.json(), "gateway LDS");
    assert.deepEqual(lds.json().resources.map((l: any) => [l.name, l.address.socket_address.port_value]), [["0.0.0.0_80", 80]]);
    const rds = await discovery("routes", node, "", { resource_names: ["http.80"] });
    assertEnvoyJson(DISCOVERY, rds.json(), "gateway RDS");
    const cds = await discovery("clusters", node);
    assert.ok(cds.json().resources.some((c: any) => c.name === "outbound|9080||productpage.default.svc.cluster.local"));
  });
});
