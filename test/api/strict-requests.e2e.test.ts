// Requests the Kubernetes API server refuses and this one must too (issue 18's low items), and
// what it ignores: duplicate JSON keys (strict decoding), resourceVersion on create, malformed
// label and field selectors; a client-set status on create is dropped; a rollback to the config
// as it is names a revision that exists. Against the Worker under wrangler dev.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
});
after(async () => {
  await w?.stop();
});

const JSON_TYPE = { "content-type": "application/json" };

describe("strict requests", () => {
  test("duplicate JSON keys: 400 strict decoding error naming the field (create, replace, patch); nothing written", async () => {
    const dup = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"other"},"data":{"a":"1"}}';
    const r = await w.request("/api/v1/namespaces/default/configmaps", { method: "POST", headers: JSON_TYPE, body: dup });
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json().message, 'strict decoding error: duplicate field "metadata.name"');
    assert.equal((await w.request("/api/v1/namespaces/default/configmaps/dup")).status, 404);
    assert.equal((await w.request("/api/v1/namespaces/default/configmaps/other")).status, 404);
    const created = await w.request("/api/v1/namespaces/default/configmaps", { method: "POST", headers: JSON_TYPE, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1"}}' });
    assert.equal(created.status, 201, created.body);
    const patch = await w.request("/api/v1/namespaces/default/configmaps/dup", {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: '{"data":{"a":"2","list":[{"x":1}],"a":"3"}}',
    });
    assert.equal(patch.status, 400, patch.body);
    assert.equal(patch.json().message, 'strict decoding error: duplicate field "data.a"');
    const nested = await w.request("/api/v1/namespaces/default/configmaps/dup", {
      method: "PUT",
      headers: JSON_TYPE,
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","labels":{"k":"v","k":"w"}},"data":{"a":"\\"quoted\\",\\"a\\":"}}',
    });
    assert.equal(nested.status, 400, nested.body);
    assert.equal(nested.json().message, 'strict decoding error: duplicate field "metadata.labels.k"');
    // The same key in different objects, and key-like text inside strings, are no duplicates.
    const fine = await w.request("/api/v1/namespaces/default/configmaps/dup", {
      method: "PUT",
      headers: JSON_TYPE,
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","labels":{"name":"x"}},"data":{"a":"\\"a\\":1,\\"a\\":2"}}',
    });
    assert.equal(fine.status, 200, fine.body);
    assert.equal((await w.request("/api/v1/namespaces/default/configmaps/dup")).json().data.a, '"a":1,"a":2');
  });

  test("resourceVersion on create: 400 as the API server answers", async () => {
    const r = await w.request("/api/v1/namespaces/default/configmaps", {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "with-rv", resourceVersion: "5" } }),
    });
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json().message, "resourceVersion should not be set on objects to be created");
    // kubectl create clears resourceVersion itself (resource.Helper.Create), so only raw clients meet this.
    assert.equal((await w.request("/api/v1/namespaces/default/configmaps/with-rv")).status, 404);
  });

  test("a status sent on create is dropped (status is a subresource)", async () => {
    const vs = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "with-status" },
      spec: { hosts: ["x.default.svc.cluster.local"], http: [{ route: [{ destination: { host: "x.default.svc.cluster.local" } }] }] },
      status: { forged: "yes", validationMessages: [{ type: { code: "IST0000" }, level: "ERROR", description: "forged" }] },
    };
    const r = await w.request("/apis/networking.istio.io/v1/namespaces/default/virtualservices", { method: "POST", headers: JSON_TYPE, body: JSON.stringify(vs) });
    assert.equal(r.status, 201, r.body);
    const stored = (await w.request("/apis/networking.istio.io/v1/namespaces/default/virtualservices/with-status")).json();
    assert.equal(stored.status.forged, undefined);
    assert.ok(!JSON.stringify(stored.status).includes("forged"), JSON.stringify(stored.status));
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "with-status" }, spec: { ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: "6.6.6.6" }] } } };
    const s = await w.request("/api/v1/namespaces/default/services", { method: "POST", headers: JSON_TYPE, body: JSON.stringify(svc) });
    assert.equal(s.status, 201, s.body);
    assert.equal((await w.request("/api/v1/namespaces/default/services/with-status")).json().status, undefined);
  });

  test("malformed label and field selectors: 400, through kubectl too", async () => {
    for (const query of [
      "labelSelector=app%3Da%3Db",
      "labelSelector=app%20in%20()",
      "labelSelector=-bad-%3Dx",
      `labelSelector=app%3D${"x".repeat(64)}`,
      "labelSelector=a%20b",
      "fieldSelector=metadata.name",
      "fieldSelector=metadata.name%20in%20(a)",
      "fieldSelector=metadata.uid%3Dx",
      "fieldSelector=metadata.name%3Da%3Db",
      "fieldSelector=metadata.name%3Da%5Cx",
    ]) {
      const r = await w.request(`/api/v1/namespaces/default/configmaps?${query}`);
      assert.equal(r.status, 400, `${query}: ${r.body}`);
      assert.equal(r.json().reason, "BadRequest");
    }
    const ok = await w.request("/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Ddup%2Cmetadata.namespace!%3Dx&labelSelector=app%20notin%20(a%2Cb)");
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(ok.json().items.map((o: { metadata: { name: string } }) => o.metadata.name), ["dup"]);
    const k = await w.kubectl(["get", "configmaps", "-l", "app=a=b"]);
    assert.notEqual(k.code, 0);
  });

  test("a rollback to the config as it is answers the current revision, which exists; the next write takes the next number", async () => {
    const current = (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision as number;
    const r = await w.request("/mesh/v1/rollback", { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ to: current }) });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json().revision, current);
    assert.equal((await w.request(`/mesh/v1/revisions/${r.json().revision}`)).status, 200);
    const created = await w.request("/api/v1/namespaces/default/configmaps", { method: "POST", headers: JSON_TYPE, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"after-rollback"}}' });
    assert.equal(created.json().metadata.resourceVersion, String(current + 1));
  });
});
