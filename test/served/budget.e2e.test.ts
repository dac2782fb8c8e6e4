// Served-size budgets (issue 18, item 7): a write that would make some workload's served
// configuration pass MESH_MAX_SERVED_BYTES_PER_WORKLOAD, or one part of it pass what the Durable
// Object stores in one value, is refused with a 413 naming the object; writes elsewhere go on.
// Against the Worker under wrangler dev, with the real kubectl.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

const BUDGET = 400_000;
let w: TestWorker;

before(async () => {
  w = await startTestWorker({ MESH_MAX_SERVED_BYTES_PER_WORKLOAD: String(BUDGET) });
  await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`);
});
after(async () => {
  await w?.stop();
});

/** A VirtualService for `host` with `routes` prefix routes (~110 bytes each once compiled). */
function bigVirtualService(name: string, host: string, routes: number) {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace: "default" },
    spec: {
      hosts: [host],
      http: Array.from({ length: routes }, (_, i) => ({ match: [{ uri: { prefix: `/path-${i}/` } }], route: [{ destination: { host } }] })),
    },
  };
}

function create(obj: { apiVersion: string; kind: string; metadata: { namespace: string } }, plural: string) {
  return w.request(`/apis/${obj.apiVersion}/namespaces/${obj.metadata.namespace}/${plural}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(obj),
  });
}

describe("served-size budgets", () => {
  test("a VirtualService that would make a workload's served config pass the budget: 413 naming it; the first one stays served", async () => {
    const first = await create(bigVirtualService("reviews-routes", "reviews", 1500), "virtualservices");
    assert.equal(first.status, 201, first.body.slice(0, 300));
    const second = await create(bigVirtualService("ratings-routes", "ratings", 2500), "virtualservices");
    assert.equal(second.status, 413, second.body.slice(0, 300));
    const s = second.json();
    assert.equal(s.reason, "RequestEntityTooLarge");
    assert.match(s.message, /with virtualservices\.networking\.istio\.io "ratings-routes" workload default\/\S+ would be served \d+ bytes of configuration; a workload may be served at most 400000 bytes \(MESH_MAX_SERVED_BYTES_PER_WORKLOAD\)/);
    assert.deepEqual(s.details, { name: "ratings-routes", group: "networking.istio.io", kind: "virtualservices" });
    assert.equal((await w.request("/apis/networking.istio.io/v1/namespaces/default/virtualservices/ratings-routes")).status, 404);
    // kubectl apply says the same.
    const k = await w.kubectl(["apply", "-f", "-"], { input: JSON.stringify(bigVirtualService("ratings-routes", "ratings", 2500)) });
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /Request entity too large: with virtualservices.networking.istio.io "ratings-routes"/);
    // An unrelated write goes on; what is served is the first VirtualService's routes.
    assert.equal((await w.kubectl(["create", "configmap", "unrelated", "--from-literal=k=v"])).code, 0);
    const token = await w.workloadToken("default", "bookinfo-productpage");
    const snapshot = await w.request("/mesh/v1/snapshot/default/productpage-v1", { token });
    assert.equal(snapshot.status, 200, snapshot.body.slice(0, 300));
    assert.ok(snapshot.body.includes("/path-1499/"));
    assert.ok(snapshot.body.length < BUDGET, `${snapshot.body.length} bytes served`);
  });

  test("policies that would make one part (a workload's authorization table) pass 1.75 MiB: 413 naming the policy", async () => {
    const policy = (name: string) => ({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name, namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "details" } },
        action: "DENY",
        rules: [{ to: [{ operation: { paths: Array.from({ length: 9000 }, (_, i) => `/${name}/${"p".repeat(80)}/${i}`) } }] }],
      },
    });
    const w2 = await startTestWorker({ MESH_MAX_SERVED_BYTES_PER_WORKLOAD: String(64 * 1024 * 1024) });
    try {
      await w2.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`);
      const post = (obj: object) =>
        w2.request("/apis/security.istio.io/v1/namespaces/default/authorizationpolicies", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(obj) });
      // ~0.9 MB each: the second or the third passes the part limit with the ones before it.
      assert.equal((await post(policy("deny-a"))).status, 201);
      let refused: { name: string; body: string } | undefined;
      for (const name of ["deny-b", "deny-c"]) {
        const r = await post(policy(name));
        if (r.status === 413) {
          refused = { name, body: r.body };
          break;
        }
        assert.equal(r.status, 201, r.body.slice(0, 300));
      }
      assert.ok(refused, "one of the policies is refused");
      const message = JSON.parse(refused.body).message as string;
      assert.match(message, new RegExp(`with authorizationpolicies\\.security\\.istio\\.io "${refused.name}" one part of workload default/details-v1's configuration .* would be \\d+ bytes; a part may be at most 1835008 bytes`));
      // The store still compiles and serves: a later small write is served.
      assert.equal((await w2.kubectl(["label", "deployment", "details-v1", "touched=yes"])).code, 0);
    } finally {
      await w2.stop();
    }
  });
});
