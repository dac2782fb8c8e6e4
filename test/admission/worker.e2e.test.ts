// The webhook in the real Worker (wrangler dev, HTTPS): reached without the admin token, answers
// Bookinfo reviews with patches that apply, honours namespace labels stored through the config API (only
// for a caller holding the webhook secret), serves the webhook configuration, and never answers 5xx to 300 mutated reviews.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { mutate, prng, seedReviews } from "./fuzz.ts";
import { podProblems } from "./pod-schema.ts";
import { patchedPod, podFromDeployment, podReview, sampleObjects } from "./support.ts";
import { startTestWorker, type TestWorker } from "../support/worker.ts";

let worker: TestWorker;
before(async () => {
  worker = await startTestWorker();
});
after(() => worker?.stop());

const JSON_TYPE = { "content-type": "application/json" };
const inject = (body: string, headers: Record<string, string> = JSON_TYPE) =>
  worker.request("/inject", { method: "POST", headers, body, token: null });

test("Bookinfo pods get a sidecar through the Worker, without the admin token", { timeout: 120_000 }, async () => {
  for (const d of sampleObjects("bookinfo/platform/kube/bookinfo.yaml").filter((o) => o.kind === "Deployment")) {
    const review = podReview(podFromDeployment(d));
    const res = await inject(JSON.stringify(review));
    assert.equal(res.status, 200, res.body);
    const body = res.json();
    assert.equal(body.response.uid, review.request.uid);
    const pod = patchedPod(review.request.object, body);
    assert.deepEqual(podProblems(pod), []);
    assert.deepEqual(pod.spec.containers.map((c) => c.name), [d.spec.template.spec.containers[0].name, "istio-proxy"]);
    const bootstrap = pod.spec.initContainers!.find((c) => c.name === "istio-bootstrap")!;
    assert.equal(bootstrap.env!.find((e) => e.name === "BOOTSTRAP_URL")!.value, `${worker.url}/mesh/v1/bootstrap/default/${d.metadata.name}`);
  }
});

test("bad input over HTTP: 415 and 400 Status answers", async () => {
  assert.equal((await inject("{}", { "content-type": "text/plain" })).status, 415);
  assert.equal((await inject("")).status, 400);
  assert.equal((await inject("{nope")).status, 400);
  const res = await inject(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "x" } }));
  assert.equal(res.status, 400);
  assert.equal(res.json().message, "request.object is required");
});

test("a namespace labelled istio-injection=disabled in the config API is honoured for the secret's holder, and not revealed to anyone else", { timeout: 120_000 }, async () => {
  const legacy = async (w: TestWorker) => {
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy", labels: { "istio-injection": "disabled" } } };
    const applied = await w.kubectl(["apply", "-f", "-"], { input: JSON.stringify(ns) });
    assert.equal(applied.code, 0, applied.stderr);
  };
  const [details] = sampleObjects("bookinfo/platform/kube/bookinfo.yaml").filter((o) => o.kind === "Deployment");
  const review = JSON.stringify(podReview(podFromDeployment(details, "legacy")));
  // No secret: the call is anonymous, so the answer is the same as for any namespace the API server selected.
  await legacy(worker);
  const anonymous = (await inject(review)).json();
  assert.ok(anonymous.response.patch);
  assert.doesNotMatch(JSON.stringify(anonymous), /disabled/);
  const secured = await startTestWorker({ MESH_WEBHOOK_SECRET: "s3cret" });
  try {
    await legacy(secured);
    const res = await secured.request("/inject/s3cret", { method: "POST", headers: JSON_TYPE, body: review, token: null });
    const body = res.json();
    assert.equal(body.response.patch, undefined);
    assert.equal(body.response.auditAnnotations.injection, "skipped: namespace legacy has istio-injection=disabled");
  } finally {
    await secured.stop();
  }
});

test("GET /mesh/v1/webhook-config names this Worker's /inject", async () => {
  const res = await worker.request("/mesh/v1/webhook-config", { token: null });
  assert.equal(res.status, 200);
  assert.equal(res.json().webhooks[0].clientConfig.url, `${worker.url}/inject`);
});

test("300 mutated reviews over HTTP: no 5xx, every patch applies", { timeout: 300_000 }, async () => {
  const rand = prng(7);
  const seeds = seedReviews();
  for (let i = 0; i < 300; i++) {
    const review = mutate(seeds[i % seeds.length], rand) as { request?: { object?: unknown } };
    const res = await inject(JSON.stringify(review));
    assert.ok(res.status === 200 || res.status === 400, `run ${i}: ${res.status} ${res.body}`);
    if (res.status === 200 && res.json().response.patch) patchedPod(review.request!.object, res.json());
  }
});
