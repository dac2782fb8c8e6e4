// What a caller without a token, or with a workload token, must not get out of the Worker (under
// wrangler dev): bodies past the limit, tokens that outlive the token presented, NACK log entries
// for other workloads (or that flush theirs), and more pods than a workload may register, or pods
// that outlive their heartbeats because the Durable Object restarted.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeJwt, SignJWT } from "jose";
import { AUDIENCE, derivedSigningKey, ISSUER } from "../../control/proxy/tokens.ts";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

let w: TestWorker;
const TTL_SECONDS = 10;
const MAX_PODS = 8;

before(async () => {
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0", MESH_ENDPOINT_TTL_SECONDS: String(TTL_SECONDS), MESH_MAX_PODS_PER_WORKLOAD: String(MAX_PODS) });
  await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`);
});
after(async () => {
  await w?.stop();
});

const JSON_TYPE = { "content-type": "application/json" };
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const hasSqlite3 = (() => {
  try {
    execFileSync("sqlite3", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function bootstrap(workload: string, token: string) {
  return w.request(`/mesh/v1/bootstrap/default/${workload}?pod=${workload}-1&ip=10.1.0.5`, { token });
}

function discovery(kind: string, node: object, extra: object = {}, token: string | null = null) {
  return w.request(`/v3/discovery:${kind}`, { method: "POST", token, headers: JSON_TYPE, body: JSON.stringify({ version_info: "", node, resource_names: [], ...extra }) });
}

async function nodeOf(workload: string, token: string) {
  const r = await bootstrap(workload, token);
  assert.equal(r.status, 200, r.body);
  return r.json().node;
}

describe("request bodies are limited to 1 MiB everywhere", () => {
  const big = Buffer.alloc(2 * 1024 * 1024 + 1, "a");

  for (const [path, method, token] of [
    ["/v3/discovery:listeners", "POST", null],
    ["/inject", "POST", null],
    ["/mesh/v1/proxy/default/reviews-v1/endpoints/reviews-v1-big", "PUT", "workload"],
    ["/mesh/v1/ca/sign", "POST", "workload"],
    ["/mesh/v1/workload-tokens", "POST", "admin"],
    ["/mesh/v1/explain", "POST", "admin"],
  ] as const) {
    test(`${method} ${path} with ${token ?? "no"} token → 413`, async () => {
      const bearer = token === "workload" ? await w.workloadToken("default", "bookinfo-reviews") : token === "admin" ? undefined : null;
      const r = await w.request(path, { method, token: bearer, headers: JSON_TYPE, body: big });
      assert.equal(r.status, 413, r.body.slice(0, 300));
      assert.equal(r.json().reason, "RequestEntityTooLarge");
    });
  }

  test("the dashboard's files take no body: PATCH /ui/ with 1 MiB is a 405 and the Worker keeps answering", async () => {
    const body = Buffer.alloc(1024 * 1024, "a");
    for (const path of ["/ui/", "/ui/index.html", "/ui"]) {
      const r = await w.request(path, { method: "PATCH", token: null, headers: JSON_TYPE, body });
      assert.equal(r.status, 405, `${path}: ${r.body.slice(0, 200)}`);
    }
    // Paths the asset server would take for /ui/ (the fuzz found //ui/./) reach the Worker too.
    for (const path of ["//ui/./", "/ui/./index.html", "//ui"]) {
      const r = await w.request(path, { method: "PUT", token: null, headers: JSON_TYPE, body });
      assert.ok(r.status < 500, `${path}: ${r.status} ${r.body.slice(0, 200)}`);
      assert.equal((await w.request("/healthz", { token: null })).status, 200, `after PUT ${path}`);
    }
    const page = await w.request("/ui/", { token: null });
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    assert.equal((await w.request("/healthz", { token: null })).status, 200);
  });

  test("a GET of the dashboard's files with a body is served, and the Worker keeps answering", async () => {
    // The asset server answers without reading a body: the Worker reads it first (the fuzz found
    // a GET /ui/ with a JSON body restarting wrangler dev's runtime).
    for (const path of ["/ui/", "/ui", "/ui/index.html"]) {
      const r = await w.request(path, { token: null, headers: JSON_TYPE, body: '{"data":{"k":null}}' });
      assert.equal(r.status, 200, `${path}: ${r.body.slice(0, 200)}`);
      assert.equal((await w.request("/healthz", { token: null })).status, 200, `after GET ${path}`);
    }
  });

  test("xDS with a bad Authorization header is refused before its body is read", async () => {
    const r = await w.request("/v3/discovery:listeners", { method: "POST", token: "not-a-token", headers: JSON_TYPE, body: "{not json" });
    assert.equal(r.status, 401, r.body);
  });
});

describe("a token never mints one that outlives it", () => {
  test("a 60-second token's bootstrap embeds a token expiring no later, and so on down the chain", async () => {
    const first = await w.workloadToken("default", "bookinfo-productpage", 60);
    const exp = decodeJwt(first).exp!;
    let token = first;
    for (let i = 0; i < 2; i++) {
      const r = await bootstrap("productpage-v1", token);
      assert.equal(r.status, 200, r.body);
      token = r.json().node.metadata.EDGE_MESH_TOKEN;
      assert.ok(decodeJwt(token).exp! <= exp, `generation ${i + 1} expires at ${decodeJwt(token).exp}, after the presented ${exp}`);
    }
    // The admin still gets the configured lifetime (30 days by default).
    const admin = (await bootstrap("productpage-v1", w.token)).json().node.metadata.EDGE_MESH_TOKEN;
    assert.ok(decodeJwt(admin).exp! > exp + 29 * 86400);
  });

  test("a workload token without exp is refused everywhere", async () => {
    const key = await derivedSigningKey(w.token, "workload-tokens/v1");
    const forever = await new SignJWT({ ns: "default", sa: "bookinfo-productpage" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .sign(key);
    assert.equal((await bootstrap("productpage-v1", forever)).status, 401);
    assert.equal((await w.request("/mesh/v1/proxy/default/productpage-v1/filter-config", { token: forever })).status, 401);
    const node = await nodeOf("productpage-v1", await w.workloadToken("default", "bookinfo-productpage"));
    assert.equal((await discovery("listeners", { ...node, metadata: { ...node.metadata, EDGE_MESH_TOKEN: forever } })).status, 401);
  });
});

describe("the NACK log", () => {
  const CLUSTER_TYPE = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  const nack = (node: object, message: string, extra: object = {}) =>
    discovery("clusters", node, { response_nonce: "1.x", type_url: CLUSTER_TYPE, error_detail: { code: 3, message }, ...extra });
  const nacks = async () => {
    const r = await w.request("/mesh/v1/xds/nacks");
    assert.equal(r.status, 200, r.body.slice(0, 300));
    return r.json().items as { workload: string; nodeId: string; version: string; nonce: string; message: string }[];
  };
  /** The ConfigStore records NACKs after the answer (waitUntil): wait until `done` holds. */
  async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    let v = await read();
    for (let i = 0; i < 30 && !done(v); i++) {
      await sleep(100);
      v = await read();
    }
    return v;
  }

  test("a NACK the caller may not send (another service account's workload) is refused and not recorded", async () => {
    const productpage = await nodeOf("productpage-v1", await w.workloadToken("default", "bookinfo-productpage"));
    const reviewsToken = await w.workloadToken("default", "bookinfo-reviews");
    const { SERVICE_ACCOUNT: _, ...metadata } = productpage.metadata;
    const forged = await nack({ ...productpage, metadata: { ...metadata, EDGE_MESH_TOKEN: reviewsToken } }, "forged");
    assert.equal(forged.status, 403, forged.body);
    const genuine = await nack(productpage, "genuine");
    assert.equal(genuine.status, 200, genuine.body);
    const items = await eventually(nacks, (items) => items.some((n) => n.message === "genuine"));
    assert.deepEqual(items.map((n) => n.message), ["genuine"]);
  });

  test("oversized fields are stored cut to size, and the log stays listable", async () => {
    const node = await nodeOf("details-v1", await w.workloadToken("default", "bookinfo-details"));
    const huge = "x".repeat(200_000);
    const r = await nack({ ...node, id: huge }, huge, { version_info: huge, response_nonce: huge });
    assert.equal(r.status, 200, r.body.slice(0, 300));
    const items = await eventually(nacks, (items) => items.some((n) => n.workload === "default/details-v1"));
    const stored = items.find((n) => n.workload === "default/details-v1")!;
    assert.ok(stored.nodeId.length <= 512 && stored.version.length <= 256 && stored.nonce.length <= 256 && stored.message.length <= 4096, JSON.stringify(stored).length.toString());
  });

  test("NACKs stored uncapped (before the caps) are cut at the next start, so the log is listable again", { skip: !hasSqlite3 && "needs sqlite3 on PATH" }, async () => {
    const node = await nodeOf("ratings-v1", await w.workloadToken("default", "bookinfo-ratings"));
    assert.equal((await nack(node, "legacy")).status, 200);
    await eventually(nacks, (items) => items.some((n) => n.message === "legacy"));
    // What an attack left in an older store: a dozen NACKs of 4.5 MB each (54 MB, past the 32 MiB RPC limit).
    await w.restart(() => {
      const dir = join(w.dir, "state", "v3", "do");
      const [store] = readdirSync(dir).filter((d) => d.includes("ConfigStore"));
      const [file] = readdirSync(join(dir, store)).filter((f) => f.endsWith(".sqlite"));
      const mb = "replace(hex(zeroblob(1500000)), '00', 'x')";
      execFileSync("sqlite3", [
        join(dir, store, file),
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
         INSERT INTO xds_nacks (at, workload, node_id, type_url, version, nonce, message)
         SELECT at, workload, ${mb}, type_url, ${mb}, ${mb}, message FROM xds_nacks, n WHERE message = 'legacy'`,
      ]);
    });
    const items = await nacks();
    const legacy = items.filter((n) => n.workload === "default/ratings-v1");
    assert.ok(legacy.length > 1 && legacy.every((n) => n.nodeId.length <= 512 && n.version.length <= 256 && n.nonce.length <= 256), JSON.stringify(legacy.map((n) => [n.nodeId.length, n.version.length])));
  });

  test("one workload's NACKs cannot flush another's: each keeps its newest few", async () => {
    const node = await nodeOf("reviews-v1", await w.workloadToken("default", "bookinfo-reviews"));
    for (let i = 0; i < 520; i += 26) {
      const batch = await Promise.all(Array.from({ length: 26 }, (_, j) => nack(node, `flood ${i + j}`)));
      assert.deepEqual([...new Set(batch.map((r) => r.status))], [200]);
    }
    const items = await eventually(nacks, (items) => items.some((n) => n.message === "flood 519"));
    assert.ok(items.some((n) => n.message === "genuine"), "productpage's NACK is still listed");
    const flood = items.filter((n) => n.workload === "default/reviews-v1");
    assert.ok(flood.length <= 10, `${flood.length} NACKs kept for reviews-v1`);
  });
});

describe("the mesh CA", () => {
  test("the admin names a Kubernetes identity: a '/', an empty or a non-ASCII part is a 400", async () => {
    const { csrFor } = await import("../ca/support.ts");
    const csr = await csrFor([]);
    const sign = (namespace: string, serviceAccount: string) =>
      w.request("/mesh/v1/ca/sign", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ csr, namespace, serviceAccount }) });
    for (const [namespace, serviceAccount, field] of [
      ["default", "x/sa/admin", "serviceAccount"],
      ["default/sa/admin/ns/x", "y", "namespace"],
      ["", "default", "namespace"],
      ["default", "", "serviceAccount"],
      ["défaut", "default", "namespace"],
    ]) {
      const r = await sign(namespace, serviceAccount);
      assert.equal(r.status, 400, `${namespace}|${serviceAccount}: ${r.body}`);
      assert.match(r.json().message, new RegExp(`^${field}:`));
    }
    assert.equal((await sign("default", "bookinfo-ratings")).status, 200);
  });
});

describe("endpoint registration", () => {
  const register = (workload: string, pod: string, token: string) =>
    w.request(`/mesh/v1/proxy/default/${workload}/endpoints/${pod}`, { method: "PUT", token, headers: JSON_TYPE, body: JSON.stringify({ ip: "10.2.0.1", ports: { http: 9080 } }) });

  test(`a workload registers at most ${MAX_PODS} pods; the next one is refused with a Status`, async () => {
    const token = await w.workloadToken("default", "bookinfo-ratings");
    for (let i = 0; i < MAX_PODS; i++) assert.equal((await register("ratings-v1", `ratings-v1-${i}`, token)).status, 201);
    const over = await register("ratings-v1", "ratings-v1-over", token);
    assert.equal(over.status, 403, over.body);
    assert.equal(over.json().kind, "Status");
    assert.match(over.json().message, new RegExp(`${MAX_PODS} pods.*MESH_MAX_PODS_PER_WORKLOAD`));
    assert.equal((await register("ratings-v1", "ratings-v1-0", token)).status, 200, "a registered pod still heartbeats");
    assert.equal((await w.request("/mesh/v1/proxy/default/ratings-v1/endpoints/ratings-v1-0", { method: "DELETE", token })).status, 200);
    assert.equal((await register("ratings-v1", "ratings-v1-over", token)).status, 201, "room again after a deregistration");
  });

  test("a pod that stops heartbeating expires even when the Durable Object restarts more often than its TTL", { timeout: 180_000 }, async () => {
    const token = await w.workloadToken("default", "bookinfo-reviews");
    const node = await nodeOf("productpage-v1", await w.workloadToken("default", "bookinfo-productpage"));
    const r = await register("reviews-v3", "reviews-v3-silent", token);
    assert.equal(r.status, 201, r.body);
    assert.equal(r.json().ttlSeconds, TTL_SECONDS);
    const cluster = "outbound|9080||reviews.default.svc.cluster.local";
    const lbEndpoints = async () => {
      const eds = await discovery("endpoints", node, { resource_names: [cluster] });
      assert.equal(eds.status, 200, eds.body);
      return eds.json().resources[0].endpoints[0]?.lb_endpoints ?? [];
    };
    // Registrations reach EDS once published (debounced by a second).
    let seen = await lbEndpoints();
    for (let i = 0; i < 30 && !seen.length; i++) {
      await sleep(200);
      seen = await lbEndpoints();
    }
    assert.equal(seen.length, 1);
    // Restart (and load the registry right after each start) for well past TTL + the unpersisted allowance.
    const started = Date.now();
    while (Date.now() - started < 3 * TTL_SECONDS * 1000) {
      await w.restart();
      await lbEndpoints();
      await sleep(1000);
    }
    let left = await lbEndpoints();
    for (let i = 0; i < 10 && left.length; i++) {
      await sleep(500);
      left = await lbEndpoints();
    }
    assert.deepEqual(left, []);
  });
});
