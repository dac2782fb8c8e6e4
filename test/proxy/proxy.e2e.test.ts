// The proxy read path and the revision history, end to end through the Worker under wrangler dev.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

let w: TestWorker;
const sample = (p: string) => `${SAMPLES}bookinfo/${p}`;
const FC = (ns: string, wl: string) => `/mesh/v1/proxy/${ns}/${wl}/filter-config`;

before(async () => {
  // No pointer caching: each read sees the latest published revision at once.
  w = await startTestWorker({ MESH_POINTER_TTL_SECONDS: "0" });
  await w.apply(...["platform/kube/bookinfo.yaml", "networking/destination-rule-all.yaml", "networking/virtual-service-all-v1.yaml"].map(sample));
});
after(async () => {
  await w?.stop();
});

const token = (namespace: string, serviceAccount: string) => w.workloadToken(namespace, serviceAccount);

async function revisionNow(): Promise<number> {
  return (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision;
}

describe("filter-config", () => {
  test("200 with an ETag, then 304 with no body", async () => {
    const r = await w.request(FC("default", "productpage-v1"));
    assert.equal(r.status, 200, r.body);
    const etag = r.headers.etag as string;
    assert.match(etag, /^"\d+"$/);
    const body = r.json();
    assert.equal(`"${body.version}"`, etag);
    assert.equal(body.workload, "default/productpage-v1");
    const reviews = body.router.ports[0].virtualHosts.find((v: { name: string }) => v.name.startsWith("reviews."));
    assert.deepEqual(reviews.routes[0].destinations, [{ cluster: "outbound|9080|v1|reviews.default.svc.cluster.local", weight: 1 }]);
    const again = await w.request(FC("default", "productpage-v1"), { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body, "");
  });

  test("the ETag moves after a write that affects the workload, and only then", async () => {
    const before = (await w.request(FC("default", "productpage-v1"))).headers.etag as string;
    // A change in a namespace productpage cannot see does not move its ETag.
    const other = `apiVersion: v1
kind: Namespace
metadata:
  name: other
---
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: other
  annotations:
    networking.istio.io/exportTo: "."
spec:
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
`;
    assert.equal((await w.kubectl(["apply", "-f", "-"], { input: other })).code, 0);
    assert.equal((await w.request(FC("default", "productpage-v1"))).headers.etag, before);
    const unchanged = await w.request(FC("default", "productpage-v1"), { headers: { "if-none-match": before } });
    assert.equal(unchanged.status, 304);

    assert.equal((await w.kubectl(["apply", "-f", sample("networking/virtual-service-reviews-50-v3.yaml")])).code, 0);
    const moved = await w.request(FC("default", "productpage-v1"), { headers: { "if-none-match": before } });
    assert.equal(moved.status, 200);
    assert.ok(Number(JSON.parse(moved.body).version) > Number(before.replaceAll('"', "")));
    const reviews = moved.json().router.ports[0].virtualHosts.find((v: { name: string }) => v.name.startsWith("reviews."));
    assert.deepEqual(
      reviews.routes[0].destinations.map((d: { weight: number }) => d.weight),
      [50, 50],
    );
  });

  test("workload tokens: own namespace + service account only", async () => {
    const reviews = await token("default", "bookinfo-reviews");
    assert.equal((await w.request(FC("default", "reviews-v1"), { token: reviews })).status, 200);
    assert.equal((await w.request(FC("default", "reviews-v3"), { token: reviews })).status, 200);
    const denied = await w.request(FC("default", "ratings-v1"), { token: reviews });
    assert.equal(denied.status, 403);
    assert.equal(denied.json().reason, "Forbidden");
    const elsewhere = await token("other", "bookinfo-reviews");
    assert.equal((await w.request(FC("default", "reviews-v1"), { token: elsewhere })).status, 403);
    assert.equal((await w.request(FC("default", "reviews-v1"), { token: null })).status, 401);
    assert.equal((await w.request(FC("default", "reviews-v1"), { token: `${reviews}x` })).status, 401);
    // A workload token is no admin token.
    assert.equal((await w.request("/apis/networking.istio.io/v1/virtualservices", { token: reviews })).status, 401);
    assert.equal((await w.request("/mesh/v1/workload-tokens", { method: "POST", token: reviews, body: "{}" })).status, 401);
  });

  test("bad token requests are 400s", async () => {
    for (const body of ["nope", "{}", JSON.stringify({ namespace: "Bad_NS", serviceAccount: "x" }), JSON.stringify({ namespace: "a", serviceAccount: "b", ttlSeconds: 10 })]) {
      const r = await w.request("/mesh/v1/workload-tokens", { method: "POST", headers: { "content-type": "application/json" }, body });
      assert.equal(r.status, 400, body);
    }
  });

  test("unknown workload → 404", async () => {
    assert.equal((await w.request(FC("default", "nope"))).status, 404);
  });
});

describe("revisions and rollback", () => {
  test("rollback round trip: all-v1 → 50-v3 → rollback → the snapshot is byte for byte the first", async () => {
    assert.equal((await w.kubectl(["apply", "-f", sample("networking/virtual-service-all-v1.yaml")])).code, 0);
    const allV1 = await revisionNow();
    const first = await w.request("/mesh/v1/snapshot/default/productpage-v1");
    assert.equal((await w.kubectl(["apply", "-f", sample("networking/virtual-service-reviews-50-v3.yaml")])).code, 0);
    const split = await revisionNow();
    const second = await w.request("/mesh/v1/snapshot/default/productpage-v1");
    assert.notEqual(second.body, first.body);

    const rolled = await w.request("/mesh/v1/rollback", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: allV1 }) });
    assert.equal(rolled.status, 200, rolled.body);
    const m = rolled.json().revision;
    assert.ok(m > split, `rollback makes a new revision (${m} > ${split})`);
    const third = await w.request("/mesh/v1/snapshot/default/productpage-v1");
    assert.equal(third.body, first.body);
    assert.equal(third.headers.etag, `"${m}"`);
    const vs = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    assert.deepEqual(vs.spec.http[0].route, [{ destination: { host: "reviews", subset: "v1" } }]);

    const list = (await w.request("/mesh/v1/revisions?limit=3")).json().items;
    assert.equal(list[0].revision, m);
    assert.deepEqual(list[0].changes, [{ verb: "update", kind: "VirtualService", namespace: "default", name: "reviews" }]);
    assert.ok(list[0].revision > list[1].revision);

    const diff = (await w.request(`/mesh/v1/revisions/${allV1}/diff/${split}`)).json();
    assert.deepEqual(
      diff.changes.map((c: { verb: string; kind: string; name: string }) => `${c.verb} ${c.kind} ${c.name}`),
      ["update VirtualService reviews"],
    );
    const config = (await w.request(`/mesh/v1/revisions/${allV1}`)).json();
    assert.ok(config.items.some((o: { kind: string; metadata: { name: string } }) => o.kind === "VirtualService" && o.metadata.name === "reviews"));
  });

  test("rollback to an unknown revision → 404; bad bodies → 400", async () => {
    assert.equal((await w.request("/mesh/v1/rollback", { method: "POST", headers: { "content-type": "application/json" }, body: '{"to": 999999}' })).status, 404);
    assert.equal((await w.request("/mesh/v1/rollback", { method: "POST", headers: { "content-type": "application/json" }, body: '{"to": "x"}' })).status, 400);
    assert.equal((await w.request("/mesh/v1/revisions/abc")).status, 400);
  });
});

describe("analyze", () => {
  test("findings as JSON and istioctl text, and in status.validationMessages", async () => {
    const bad = readFileSync(sample("networking/virtual-service-reviews-v3.yaml"), "utf8").replace("subset: v3", "subset: v4");
    assert.equal((await w.kubectl(["apply", "-f", "-"], { input: bad })).code, 0);
    const json = (await w.request("/mesh/v1/analyze?namespace=default")).json();
    assert.ok(json.items.some((f: { code: string; name: string }) => f.code === "IST0101" && f.name === "reviews"), JSON.stringify(json));
    const text = (await w.request("/mesh/v1/analyze?namespace=default&format=text")).body;
    assert.match(text, /^Error \[IST0101\] \(VirtualService default\/reviews\) Referenced host\+subset in destinationrule not found: "reviews\+v4"$/m);
    const vs = JSON.parse((await w.kubectl(["get", "vs", "reviews", "-o", "json"])).stdout);
    assert.equal(vs.status.validationMessages[0].type.code, "IST0101");
  });
});
