// Objects the mesh derives, through the real Worker and the real kubectl: the sidecar injector's
// MutatingWebhookConfiguration and the Services of Gateway API gateways.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { SAMPLES, startTestWorker, type TestWorker } from "../support/worker.ts";

let w: TestWorker;
before(async () => {
  w = await startTestWorker();
  await w.apply(`${SAMPLES}bookinfo/platform/kube/bookinfo.yaml`, `${SAMPLES}bookinfo/gateway-api/bookinfo-gateway.yaml`);
});
after(async () => {
  await w?.stop();
});

/** A `kubectl get` table as rows of cells. */
const table = (s: string) =>
  s
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));

describe("the sidecar injector's webhook configuration", () => {
  test("kubectl get mutatingwebhookconfiguration istio-sidecar-injector -o yaml: Istio's four webhooks on this /inject", async () => {
    const r = await w.kubectl(["get", "mutatingwebhookconfiguration", "istio-sidecar-injector", "-o", "yaml"]);
    assert.equal(r.code, 0, r.stderr);
    const config = parse(r.stdout);
    assert.equal(config.kind, "MutatingWebhookConfiguration");
    assert.deepEqual(
      config.webhooks.map((h: { name: string }) => h.name),
      ["rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io", "namespace.sidecar-injector.istio.io", "object.sidecar-injector.istio.io"],
    );
    for (const hook of config.webhooks) {
      assert.equal(hook.clientConfig.url, `${w.url}/inject`);
      assert.deepEqual(hook.rules[0].resources, ["pods"]);
      assert.deepEqual(hook.rules[0].operations, ["CREATE"]);
      assert.equal(hook.failurePolicy, "Fail");
      assert.equal(hook.timeoutSeconds, 10);
      assert.equal(hook.reinvocationPolicy, "Never");
      assert.equal(hook.sideEffects, "None");
      assert.deepEqual(hook.admissionReviewVersions, ["v1"]);
    }
    // The same object /mesh/v1/webhook-config prints for a cluster.
    assert.deepEqual(config, (await w.request("/mesh/v1/webhook-config", { token: null })).json());
  });

  test("it is listed, and read-only", async () => {
    const list = await w.kubectl(["get", "mutatingwebhookconfigurations"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(table(list.stdout).map((row) => row.slice(0, 2)), [["NAME", "WEBHOOKS"], ["istio-sidecar-injector", "4"]]);
    const del = await w.kubectl(["delete", "mutatingwebhookconfiguration", "istio-sidecar-injector"]);
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /\(MethodNotAllowed\): mutatingwebhookconfigurations\.admissionregistration\.k8s\.io cannot be deleted through the API/);
  });
});

describe("the Service of a Gateway API gateway", () => {
  test("kubectl get svc lists bookinfo-gateway-istio (LoadBalancer, 15021 + the listener port) with the user's Services", async () => {
    const r = await w.kubectl(["get", "svc"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = new Map(table(r.stdout).map((row) => [row[0], row]));
    assert.deepEqual(rows.get("NAME"), ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    assert.deepEqual(rows.get("bookinfo-gateway-istio")!.slice(1, 5), ["LoadBalancer", "<none>", "<none>", "15021/TCP,80/TCP"]);
    assert.ok(rows.has("productpage") && rows.has("reviews"), r.stdout);
    const svc = JSON.parse((await w.kubectl(["get", "svc", "bookinfo-gateway-istio", "-o", "json"])).stdout);
    assert.deepEqual(svc.spec.selector, { "gateway.networking.k8s.io/gateway-name": "bookinfo-gateway", "istio.io/gateway-name": "bookinfo-gateway" });
  });

  test("the networking.istio.io/service-type annotation on the Gateway sets its type", async () => {
    const annotate = await w.kubectl(["annotate", "gateways.gateway.networking.k8s.io", "bookinfo-gateway", "networking.istio.io/service-type=NodePort", "--overwrite"]);
    assert.equal(annotate.code, 0, annotate.stderr);
    const r = await w.kubectl(["get", "svc", "bookinfo-gateway-istio"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(table(r.stdout)[1][1], "NodePort");
  });

  test("a Gateway of another class gets no Service", async () => {
    const other = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: other-gateway
spec:
  gatewayClassName: someone-else
  listeners:
  - name: http
    port: 8080
    protocol: HTTP
`;
    const applied = await w.kubectl(["apply", "-f", "-"], { input: other });
    assert.equal(applied.code, 0, applied.stderr);
    const r = await w.kubectl(["get", "svc", "-o", "name"]);
    assert.ok(!r.stdout.includes("other-gateway"), r.stdout);
  });
});
