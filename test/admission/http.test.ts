// The webhook's HTTP surface in-process (Hono's app.request): bad input, the shared-secret path,
// the settings the Worker derives, and the webhook configuration generator.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAdmissionApp, type AdmissionBindings } from "../../admission/index.ts";
import { podProblems } from "./pod-schema.ts";
import { patchedPod, podFromDeployment, podReview, sampleObjects } from "./support.ts";

const [details] = sampleObjects("bookinfo/platform/kube/bookinfo.yaml").filter((o) => o.kind === "Deployment");
const review = podReview(podFromDeployment(details));
const app = createAdmissionApp();
const JSON_TYPE = { "content-type": "application/json" };

function post(path: string, body: string, headers: Record<string, string> = JSON_TYPE, env: AdmissionBindings = {}) {
  return app.request(`https://mesh.example.com${path}`, { method: "POST", body, headers }, env);
}

describe("POST /inject", () => {
  test("answers the review with the same uid and a patch that applies", async () => {
    const res = await post("/inject", JSON.stringify(review), { "content-type": "application/json; charset=utf-8" });
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    assert.equal(body.response.uid, review.request.uid);
    assert.equal(body.response.allowed, true);
    const pod = patchedPod(review.request.object, body);
    assert.deepEqual(podProblems(pod), []);
    // The control-plane URL defaults to the origin the webhook was called on.
    const bootstrap = pod.spec.initContainers!.find((c) => c.name === "istio-bootstrap")!;
    assert.equal(bootstrap.env!.find((e) => e.name === "BOOTSTRAP_URL")!.value, "https://mesh.example.com/mesh/v1/bootstrap/default/details-v1");
  });

  test("Worker variables configure the control-plane URL, the proxy image and native sidecars", async () => {
    const env = { MESH_CONTROL_PLANE_URL: "https://cp.example.net/", MESH_PROXY_IMAGE: "registry.local/envoy:1", MESH_NATIVE_SIDECARS: "true" };
    const body = (await (await post("/inject", JSON.stringify(review), JSON_TYPE, env)).json()) as any;
    const pod = patchedPod(review.request.object, body);
    const proxy = pod.spec.initContainers!.find((c) => c.name === "istio-proxy")!;
    assert.equal(proxy.image, "registry.local/envoy:1");
    const bootstrap = pod.spec.initContainers!.find((c) => c.name === "istio-bootstrap")!;
    assert.equal(bootstrap.env!.find((e) => e.name === "BOOTSTRAP_URL")!.value, "https://cp.example.net/mesh/v1/bootstrap/default/details-v1");
  });

  test("the settings follow each request's env and URL (the app remembers only the last ones)", async () => {
    const image = async (env: AdmissionBindings | undefined, origin = "https://mesh.example.com") => {
      const res = await app.request(`${origin}/inject`, { method: "POST", body: JSON.stringify(review), headers: JSON_TYPE }, env);
      const pod = patchedPod(review.request.object, (await res.json()) as any);
      const bootstrap = pod.spec.initContainers!.find((c) => c.name === "istio-bootstrap")!;
      return [pod.spec.containers.find((c) => c.name === "istio-proxy")!.image, bootstrap.env!.find((e) => e.name === "BOOTSTRAP_URL")!.value!.split("/mesh/")[0]];
    };
    const a = { MESH_PROXY_IMAGE: "a/envoy:1" };
    const b = { MESH_PROXY_IMAGE: "b/envoy:1" };
    assert.deepEqual(await image(a), ["a/envoy:1", "https://mesh.example.com"]);
    assert.deepEqual(await image(b), ["b/envoy:1", "https://mesh.example.com"]);
    assert.deepEqual(await image(b, "https://other.example.org"), ["b/envoy:1", "https://other.example.org"]);
    assert.deepEqual(await image(a), ["a/envoy:1", "https://mesh.example.com"]);
    assert.deepEqual(await image(undefined), ["envoyproxy/envoy:v1.39-latest", "https://mesh.example.com"]);
  });

  const bad: [string, string, Record<string, string>, number, RegExp][] = [
    ["wrong content type", JSON.stringify(review), { "content-type": "text/plain" }, 415, /application\/json/],
    ["no content type", JSON.stringify(review), {}, 415, /application\/json/],
    ["empty body", "", JSON_TYPE, 400, /empty/],
    ["not JSON", "{nope", JSON_TYPE, 400, /not valid JSON/],
    ["JSON but not a review", "[1,2]", JSON_TYPE, 400, /AdmissionReview/],
    ["v1beta1 review", JSON.stringify({ ...review, apiVersion: "admission.k8s.io/v1beta1" }), JSON_TYPE, 400, /admission.k8s.io\/v1/],
    ["no request", JSON.stringify({ ...review, request: undefined }), JSON_TYPE, 400, /request is required/],
    ["no uid", JSON.stringify({ ...review, request: { ...review.request, uid: undefined } }), JSON_TYPE, 400, /request.uid is required/],
    ["no object", JSON.stringify({ ...review, request: { ...review.request, object: null } }), JSON_TYPE, 400, /request.object is required/],
  ];
  for (const [name, body, headers, code, message] of bad)
    test(`${name} → ${code} Status`, async () => {
      const res = await post("/inject", body, headers);
      assert.equal(res.status, code);
      const status = (await res.json()) as any;
      assert.equal(status.kind, "Status");
      assert.equal(status.code, code);
      assert.match(status.message, message);
    });

  test("a pod it cannot understand is allowed unmodified, with a warning", async () => {
    const broken = { ...review, request: { ...review.request, object: { ...review.request.object, spec: { containers: "app" } } } };
    const body = (await (await post("/inject", JSON.stringify(broken))).json()) as any;
    assert.equal(body.response.allowed, true);
    assert.equal(body.response.patch, undefined);
    assert.match(body.response.warnings[0], /^sidecar not injected: spec.containers must be a non-empty list/);
  });

  test("anything but pod CREATE is allowed unmodified, with a warning about the webhook's rules", async () => {
    const update = { ...review, request: { ...review.request, operation: "UPDATE" } };
    const body = (await (await post("/inject", JSON.stringify(update))).json()) as any;
    assert.equal(body.response.patch, undefined);
    assert.match(body.response.warnings[0], /only handles pod CREATE/);
  });
});

describe("the shared secret", () => {
  const env = { MESH_WEBHOOK_SECRET: "s3cret-path" };
  test("when set, only /inject/<secret> answers", async () => {
    assert.equal((await post("/inject/s3cret-path", JSON.stringify(review), JSON_TYPE, env)).status, 200);
    assert.equal((await post("/inject/wrong", JSON.stringify(review), JSON_TYPE, env)).status, 403);
    assert.equal((await post("/inject", JSON.stringify(review), JSON_TYPE, env)).status, 403);
  });
  test("when unset, a secret segment is a misconfiguration", async () => {
    const res = await post("/inject/s3cret-path", JSON.stringify(review));
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as any).message, /MESH_WEBHOOK_SECRET/);
  });
});

describe("GET /mesh/v1/webhook-config", () => {
  const get = (query: string, env: AdmissionBindings = {}) => app.request(`https://mesh.example.com/mesh/v1/webhook-config${query}`, {}, env);

  test("emits Istio's MutatingWebhookConfiguration for this origin", async () => {
    const config = (await (await get("")).json()) as any;
    assert.equal(config.kind, "MutatingWebhookConfiguration");
    assert.equal(config.apiVersion, "admissionregistration.k8s.io/v1");
    assert.equal(config.metadata.name, "istio-sidecar-injector");
    const selectors = Object.fromEntries(
      config.webhooks.map((h: any) => [h.name, [h.namespaceSelector.matchExpressions, h.objectSelector.matchExpressions]]),
    );
    const notFalse = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
    assert.deepEqual(selectors, {
      "rev.namespace.sidecar-injector.istio.io": [
        [{ key: "istio.io/rev", operator: "In", values: ["default"] }, { key: "istio-injection", operator: "DoesNotExist" }],
        [notFalse],
      ],
      "rev.object.sidecar-injector.istio.io": [
        [{ key: "istio.io/rev", operator: "DoesNotExist" }, { key: "istio-injection", operator: "DoesNotExist" }],
        [notFalse, { key: "istio.io/rev", operator: "In", values: ["default"] }],
      ],
      "namespace.sidecar-injector.istio.io": [[{ key: "istio-injection", operator: "In", values: ["enabled"] }], [notFalse]],
      "object.sidecar-injector.istio.io": [
        [{ key: "istio-injection", operator: "DoesNotExist" }, { key: "istio.io/rev", operator: "DoesNotExist" }],
        [{ key: "sidecar.istio.io/inject", operator: "In", values: ["true"] }, { key: "istio.io/rev", operator: "DoesNotExist" }],
      ],
    });
    for (const hook of config.webhooks) {
      assert.deepEqual(hook.clientConfig, { url: "https://mesh.example.com/inject" });
      assert.deepEqual(hook.rules, [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }]);
      assert.equal(hook.failurePolicy, "Fail");
      assert.equal(hook.timeoutSeconds, 10);
      assert.equal(hook.reinvocationPolicy, "Never");
      assert.equal(hook.sideEffects, "None");
      assert.deepEqual(hook.admissionReviewVersions, ["v1"]);
    }
  });

  test("takes the URL (and a caBundle) given, and refuses ones the API server would", async () => {
    const url = encodeURIComponent("https://edge-mesh.example.workers.dev/inject/abc");
    const config = (await (await get(`?url=${url}&caBundle=LS0tLS1CRUdJTg==`)).json()) as any;
    assert.deepEqual(config.webhooks[0].clientConfig, { url: "https://edge-mesh.example.workers.dev/inject/abc", caBundle: "LS0tLS1CRUdJTg==" });
    for (const bad of ["http://x.example/inject", "https://x.example/inject?a=1", "not a url", "https://u:p@x.example/inject"])
      assert.equal((await get(`?url=${encodeURIComponent(bad)}`)).status, 400, bad);
    assert.equal((await get(`?caBundle=${encodeURIComponent("not base64!")}`)).status, 400);
  });

  test("with a secret configured it never prints it: the URL must be given", async () => {
    const res = await get("", { MESH_WEBHOOK_SECRET: "s3cret-path" });
    assert.equal(res.status, 400);
    assert.doesNotMatch(await res.text(), /s3cret-path/);
  });
});
