// kubectl sends the core kinds it creates by itself as protobuf: those commands work against the
// real Worker, and what they stored reads back as the JSON a manifest would have given.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
});
after(() => w.stop());

test("kubectl create namespace, configmap, secret, serviceaccount and service (protobuf bodies)", async () => {
  for (const args of [
    ["create", "namespace", "proto"],
    ["create", "configmap", "settings", "--from-literal=mode=fast", "-n", "proto"],
    ["create", "secret", "generic", "db", "--from-literal=password=hunter2", "-n", "proto"],
    ["create", "serviceaccount", "robot", "-n", "proto"],
    ["create", "service", "clusterip", "web", "--tcp=80:8080", "-n", "proto"],
  ]) {
    const r = await w.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  }
  const ns = (await w.request("/api/v1/namespaces/proto")).json();
  assert.equal(ns.metadata.name, "proto");
  assert.equal(ns.status?.phase ?? "Active", "Active");
  assert.deepEqual((await w.request("/api/v1/namespaces/proto/configmaps/settings")).json().data, { mode: "fast" });
  assert.equal((await w.request("/api/v1/namespaces/proto/serviceaccounts/robot")).status, 200);
  const secret = (await w.request("/api/v1/namespaces/proto/secrets/db")).json();
  assert.deepEqual([secret.type, secret.data], ["Opaque", { password: Buffer.from("hunter2").toString("base64") }]);
  const svc = (await w.request("/api/v1/namespaces/proto/services/web")).json();
  assert.deepEqual(svc.spec.ports, [{ name: "80-8080", port: 80, protocol: "TCP", targetPort: 8080 }]);
  assert.deepEqual(svc.spec.selector, { app: "web" });
});

test("protobuf for a kind it does not take, or a body that is not the envelope: 415 / 400 with a reason", async () => {
  const notEnvelope = await w.request("/api/v1/namespaces", { method: "POST", headers: { "content-type": "application/vnd.kubernetes.protobuf" }, body: Buffer.from("hello") });
  assert.equal(notEnvelope.status, 400);
  assert.match(notEnvelope.json().message, /envelope/);
  const truncated = await w.request("/api/v1/namespaces", { method: "POST", headers: { "content-type": "application/vnd.kubernetes.protobuf" }, body: Buffer.from([0x6b, 0x38, 0x73, 0, 0x0a, 0x40]) });
  assert.equal(truncated.status, 400, truncated.body);
});

test("Secrets: stringData is stored as data; read tokens cannot read them; history shows their keys only", async () => {
  const created = await w.request("/api/v1/namespaces/default/secrets", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "tls" }, stringData: { token: "s3cret" }, data: { other: Buffer.from("x").toString("base64") } }),
  });
  assert.equal(created.status, 201, created.body);
  const stored = (await w.request("/api/v1/namespaces/default/secrets/tls")).json();
  assert.deepEqual(stored.data, { other: "eA==", token: Buffer.from("s3cret").toString("base64") });
  assert.equal(stored.stringData, undefined);
  const bad = await w.request("/api/v1/namespaces/default/secrets", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "bad" }, data: { k: "not base64!" } }) });
  assert.equal(bad.status, 422);
  assert.match(bad.json().message, /data\.k: .*base64/);
  const reader = (await w.request("/mesh/v1/read-tokens", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).json().token;
  for (const path of ["/api/v1/namespaces/default/secrets/tls", "/api/v1/namespaces/default/secrets", "/api/v1/secrets", "/api/v1/secrets?watch=1"])
    assert.equal((await w.request(path, { token: reader })).status, 403, path);
  assert.equal((await w.request("/api/v1/namespaces/default/configmaps", { token: reader })).status, 200);
  const revision = (await w.request("/mesh/v1/revisions?limit=1")).json().items[0].revision;
  const history = (await w.request(`/mesh/v1/revisions/${revision}`, { token: reader })).json().items.find((o: { kind: string; metadata: { name: string } }) => o.kind === "Secret" && o.metadata.name === "tls");
  assert.deepEqual(history.data, { other: "<redacted>", token: "<redacted>" });
});
